-- pydepot schema, version 7: merged views, pull-through and blocklists.
--
-- A distribution serving one repository keeps only its distributions row. One that
-- serves an ordered list of sources (merged view) or pulls through from a remote has one
-- distribution_sources row per source, position 0 first; the distributions row keeps
-- position 0's repository and pin, so that routing, access checks and uploads read one
-- row as before. A source is a repository, optionally pinned; pull_remote names the
-- remote it fetches projects from on request (into that repository), refreshed after
-- pull_ttl_seconds.
CREATE TABLE distribution_sources (
    base_path        TEXT    NOT NULL REFERENCES distributions(base_path) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    repository_id    INTEGER NOT NULL REFERENCES repositories(id),
    pinned           INTEGER,
    pull_remote      TEXT    NOT NULL DEFAULT '',
    pull_ttl_seconds BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (base_path, position)
);

-- Projects (normalized) whose files a merged view merges across its sources instead of
-- letting the first source that knows the name hide it in the later ones.
CREATE TABLE distribution_allow_shadow (
    base_path TEXT NOT NULL REFERENCES distributions(base_path) ON DELETE CASCADE,
    project   TEXT NOT NULL,
    PRIMARY KEY (base_path, project)
);

-- A repository's blocklist: rule is the canonical text ("name", "name==version" or a
-- filename); project and version ('' when the rule has none) or filename are its parts.
-- Every add to the repository (upload, sync, pull-through) is checked against it.
CREATE TABLE blocklist (
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    rule          TEXT    NOT NULL,
    project       TEXT    NOT NULL DEFAULT '',
    version       TEXT    NOT NULL DEFAULT '',
    filename      TEXT    NOT NULL DEFAULT '',
    created_at    BIGINT  NOT NULL,
    PRIMARY KEY (repository_id, rule)
);
