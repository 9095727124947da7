-- pydepot schema, version 2: core metadata as parsed at upload, so that reads (the PyPI
-- JSON API) never parse a METADATA file again. Keyed by the metadata file's sha256, as
-- its blob is: the same bytes parse the same. Files uploaded before this migration have
-- no row; readers then parse the blob (bounded).
CREATE TABLE parsed_metadata (
    metadata_sha256 TEXT PRIMARY KEY,
    parsed          TEXT NOT NULL
);
