-- pydepot schema, version 9: the local OSV vulnerability database.
--
-- One row per OSV record, keyed by its id; record is the record as package osv parsed it
-- (JSON, opaque to the store). An import replaces a record by id, so a modified or
-- withdrawn record updates in place; records are never deleted (OSV withdraws them).
CREATE TABLE vulns (
    id           TEXT   NOT NULL PRIMARY KEY,
    modified     BIGINT NOT NULL,
    withdrawn    BIGINT,
    record       TEXT   NOT NULL
);

-- The projects (PEP 503 normalized) each record affects: the index a match reads, by
-- project first.
CREATE TABLE vuln_projects (
    project TEXT NOT NULL,
    vuln_id TEXT NOT NULL REFERENCES vulns(id) ON DELETE CASCADE,
    PRIMARY KEY (project, vuln_id)
) WITHOUT ROWID;

CREATE INDEX vuln_projects_by_vuln ON vuln_projects (vuln_id);
