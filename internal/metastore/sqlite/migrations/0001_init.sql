-- pydepot schema, version 1. Plain SQL that PostgreSQL also accepts apart from the
-- AUTOINCREMENT key types (BIGSERIAL there). Times are Unix microseconds (UTC).

CREATE TABLE repositories (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL DEFAULT '',
    latest      INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT  NOT NULL
);

CREATE TABLE repository_versions (
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    created_at    BIGINT  NOT NULL,
    message       TEXT    NOT NULL DEFAULT '',
    files         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repository_id, number)
);

-- One row per project name (normalized) across repositories.
CREATE TABLE projects (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'active'
);

-- One row per stored file of a repository; a filename is never reused in a repository.
CREATE TABLE files (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    repository_id   INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    project_id      INTEGER NOT NULL REFERENCES projects(id),
    filename        TEXT    NOT NULL,
    project_name    TEXT    NOT NULL,
    version         TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    sha256          TEXT    NOT NULL,
    size            BIGINT  NOT NULL,
    metadata_sha256 TEXT    NOT NULL DEFAULT '',
    requires_python TEXT    NOT NULL DEFAULT '',
    summary         TEXT    NOT NULL DEFAULT '',
    upload_time     BIGINT  NOT NULL,
    UNIQUE (repository_id, filename)
);
CREATE INDEX files_sha256 ON files (sha256);
CREATE INDEX files_metadata_sha256 ON files (metadata_sha256);

-- Which versions hold which file: version N is the rows with
-- version_added <= N AND (version_removed IS NULL OR version_removed > N).
-- A yank closes the row and opens a new one with the new state.
CREATE TABLE repository_content (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    repository_id   INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    project_id      INTEGER NOT NULL REFERENCES projects(id),
    file_id         INTEGER NOT NULL REFERENCES files(id),
    yanked          INTEGER NOT NULL DEFAULT 0,
    yank_reason     TEXT    NOT NULL DEFAULT '',
    version_added   INTEGER NOT NULL,
    version_removed INTEGER
);
CREATE INDEX content_project ON repository_content (repository_id, project_id, version_added);
CREATE INDEX content_file ON repository_content (repository_id, file_id, version_added);
CREATE INDEX content_removed ON repository_content (repository_id, version_removed);
CREATE INDEX content_added ON repository_content (repository_id, version_added);

-- The global serial counter: every project change in a version gets a new serial.
CREATE TABLE serials (
    serial        INTEGER PRIMARY KEY AUTOINCREMENT,
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    version       INTEGER NOT NULL,
    project_id    INTEGER NOT NULL REFERENCES projects(id),
    created_at    BIGINT  NOT NULL
);
CREATE INDEX serials_project ON serials (repository_id, project_id, version, serial);
CREATE INDEX serials_version ON serials (repository_id, version, serial);

CREATE TABLE distributions (
    base_path     TEXT    PRIMARY KEY,
    repository_id INTEGER NOT NULL REFERENCES repositories(id),
    pinned        INTEGER,
    public        INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL
);

CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT   NOT NULL,
    scope      TEXT   NOT NULL,
    repository TEXT   NOT NULL DEFAULT '',
    hash       BLOB   NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE import_names (
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    name    TEXT    NOT NULL,
    PRIMARY KEY (file_id, name)
);
CREATE INDEX import_names_name ON import_names (name);
