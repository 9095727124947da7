-- pydepot schema, version 12: repository_content's index by project carries the columns
-- a project's page reads (when a row was removed, its file, its yank), so that the page
-- of a 5,000-file project reads the index and the files, not each content row besides.
DROP INDEX content_project;
CREATE INDEX content_project ON repository_content (repository_id, project_id, version_added, version_removed, file_id, yanked, yank_reason);
