-- pydepot schema, version 10: fewer b-trees for each file a sync or an upload adds.
--
-- blobs drops its index on touched_at, which no query reads (gc asks by digest), and
-- every touch of a blob rewrote; blobs and import_names keep their rows in their primary
-- key's b-tree (WITHOUT ROWID): their rows are small and always found by that key, and
-- a rowid table kept each twice, the row by rowid and the key in its own index. A sync
-- writes five b-tree entries fewer per file (of about twenty).
DROP INDEX blobs_touched;

CREATE TABLE blobs_by_digest (
    digest     TEXT   PRIMARY KEY,
    size       BIGINT NOT NULL DEFAULT -1,
    first_seen BIGINT NOT NULL,
    touched_at BIGINT NOT NULL
) WITHOUT ROWID;
INSERT INTO blobs_by_digest (digest, size, first_seen, touched_at)
    SELECT digest, size, first_seen, touched_at FROM blobs;
DROP TABLE blobs;
ALTER TABLE blobs_by_digest RENAME TO blobs;

CREATE TABLE import_names_by_file (
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    name    TEXT    NOT NULL,
    PRIMARY KEY (file_id, name)
) WITHOUT ROWID;
INSERT INTO import_names_by_file (file_id, name) SELECT file_id, name FROM import_names;
DROP TABLE import_names;
ALTER TABLE import_names_by_file RENAME TO import_names;
CREATE INDEX import_names_name ON import_names (name);
