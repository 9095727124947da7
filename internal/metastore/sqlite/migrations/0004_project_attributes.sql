-- pydepot schema, version 4: project attributes belong to a repository version.
-- Until now projects.display_name and projects.status were one global row that every
-- upload to any repository overwrote, so an upload to B renamed the project in A, even
-- in A's old versions. They now live in project_attributes, one row per repository and
-- state, versioned like repository_content: version N holds the rows with
-- version_added <= N AND (version_removed IS NULL OR version_removed > N), and a change
-- closes the row and opens a new one. Needs only the tables of migration 0001.
CREATE TABLE project_attributes (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    repository_id   INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    project_id      INTEGER NOT NULL REFERENCES projects(id),
    display_name    TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'active', -- PEP 792
    status_reason   TEXT    NOT NULL DEFAULT '',
    version_added   INTEGER NOT NULL,
    version_removed INTEGER
);
-- attributes_project covers the readers' lookup (one seek per project, no table read):
-- without the attribute columns in it the project list of 10,000 projects took 1.5 times
-- as long as before this migration.
CREATE INDEX attributes_project ON project_attributes
    (repository_id, project_id, version_added, version_removed, display_name, status, status_reason);
CREATE INDEX attributes_added ON project_attributes (repository_id, version_added);
CREATE INDEX attributes_removed ON project_attributes (repository_id, version_removed);

-- Every version used to show the global row: give each repository that ever held the
-- project that row, from the first version that held it, so every version reads as before.
INSERT INTO project_attributes (repository_id, project_id, display_name, status, version_added)
    SELECT rc.repository_id, p.id, p.display_name, p.status, MIN(rc.version_added)
    FROM repository_content rc JOIN projects p ON p.id = rc.project_id
    GROUP BY rc.repository_id, p.id
    ORDER BY rc.repository_id, p.id;

-- Nothing may read or write the global copies again.
ALTER TABLE projects DROP COLUMN display_name;
ALTER TABLE projects DROP COLUMN status;
