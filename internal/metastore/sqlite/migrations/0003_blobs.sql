-- pydepot schema, version 3: blob references live in the database, and a file row says
-- where it came from and whether its bytes are stored.
--
-- blobs has one row per digest the blob store holds or is about to hold. An upload
-- inserts (or touches) the row of each blob BEFORE writing its bytes, and the
-- transaction that adds a file row get-or-inserts it again; `pydepot gc` removes only
-- blobs that no file row references and whose touched_at is older than its grace period,
-- deleting the row and the bytes in one write transaction. A blob is never deleted on a
-- request path. size is -1 when not known (metadata files recorded before this table).
CREATE TABLE blobs (
    digest     TEXT   PRIMARY KEY,
    size       BIGINT NOT NULL DEFAULT -1,
    first_seen BIGINT NOT NULL,
    touched_at BIGINT NOT NULL
);
CREATE INDEX blobs_touched ON blobs (touched_at);

-- Fill it from the existing file rows: bodies with their size, metadata files without.
INSERT INTO blobs (digest, size, first_seen, touched_at)
    SELECT sha256, MAX(size), MIN(upload_time), MAX(upload_time) FROM files GROUP BY sha256;
INSERT INTO blobs (digest, size, first_seen, touched_at)
    SELECT metadata_sha256, -1, MIN(upload_time), MAX(upload_time) FROM files
    WHERE metadata_sha256 <> '' GROUP BY metadata_sha256
    ON CONFLICT (digest) DO NOTHING;

-- Origin: 'upload', or 'sync' from remote origin_remote (upstream_url and the upstream's
-- hashes, "sha256=<hex>" pairs separated by ','). Presence: 'stored' (the blob store has
-- the bytes) or 'remote' (known, not downloaded yet: on-demand fetching fills it in).
ALTER TABLE files ADD COLUMN origin          TEXT NOT NULL DEFAULT 'upload';
ALTER TABLE files ADD COLUMN origin_remote   TEXT NOT NULL DEFAULT '';
ALTER TABLE files ADD COLUMN upstream_url    TEXT NOT NULL DEFAULT '';
ALTER TABLE files ADD COLUMN upstream_hashes TEXT NOT NULL DEFAULT '';
ALTER TABLE files ADD COLUMN presence        TEXT NOT NULL DEFAULT 'stored';
