-- pydepot schema, version 6: remotes (upstream indexes to mirror) and what each sync
-- learnt about each project, so that the next sync asks only for what changed.
--
-- A remote's filters, policy and transport settings are one JSON document (config),
-- which the mirror package reads and validates; the store does not look inside it. Its
-- secrets (password, token) are kept here, in the 0600 database file, and are never
-- sent back by the API.
CREATE TABLE remotes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT   NOT NULL UNIQUE,
    url        TEXT   NOT NULL,
    config     TEXT   NOT NULL DEFAULT '{}',
    username   TEXT   NOT NULL DEFAULT '',
    password   TEXT   NOT NULL DEFAULT '',
    token      TEXT   NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One row per (remote, repository, project) synced: the validators of the project page
-- the last sync read (ETag, Last-Modified), the upstream serial it showed, when, and
-- whether that sync was a --mirror one (an additive sync's validators cannot skip a
-- --mirror sync: the removals it saw were not applied), and a digest of the remote's
-- URL and selection then (validators recorded under other filters are not trusted).
-- Keyed by repository too: syncing the same remote into a second repository must not
-- skip a project because the first one has it.
CREATE TABLE remote_sync_state (
    remote_id     INTEGER NOT NULL REFERENCES remotes(id) ON DELETE CASCADE,
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    project       TEXT    NOT NULL,
    etag          TEXT    NOT NULL DEFAULT '',
    last_modified TEXT    NOT NULL DEFAULT '',
    serial        BIGINT  NOT NULL DEFAULT 0,
    mirrored      INTEGER NOT NULL DEFAULT 0,
    config        TEXT    NOT NULL DEFAULT '',
    synced_at     BIGINT  NOT NULL,
    PRIMARY KEY (remote_id, repository_id, project)
);
