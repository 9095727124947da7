-- pydepot schema, version 11: repository_content's index of removals holds only the
-- rows that were removed. Every query through it compares version_removed (> or =), so
-- SQLite (and PostgreSQL) use the partial index for them; a row added, which is not
-- removed, no longer writes an index entry under NULL: one b-tree entry fewer per file a
-- sync or an upload adds.
DROP INDEX content_removed;
CREATE INDEX content_removed ON repository_content (repository_id, version_removed) WHERE version_removed IS NOT NULL;
