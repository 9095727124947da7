-- pydepot schema, version 8: checks (issue 10).
--
-- A repository with check_on_upload queues a check of every file uploaded to it; a
-- distribution with require_checks serves only the files whose latest check verdict is
-- pass (quarantine).
ALTER TABLE repositories ADD COLUMN check_on_upload INTEGER NOT NULL DEFAULT 0;
ALTER TABLE distributions ADD COLUMN require_checks INTEGER NOT NULL DEFAULT 0;

-- One row per finished check of a file (by filename: a filename names one file of a
-- repository for ever). task_id and attempt name the task attempt that ran it (0 when
-- it ran outside the queue). report is the JSON report (checkreport.Report, bounded by
-- the checks domain); the raw data it kept are blobs, listed in check_raw.
CREATE TABLE check_reports (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    filename      TEXT    NOT NULL,
    project       TEXT    NOT NULL,
    task_id       BIGINT  NOT NULL DEFAULT 0,
    attempt       INTEGER NOT NULL DEFAULT 0,
    verdict       TEXT    NOT NULL,
    report        TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL
);
CREATE INDEX check_reports_file ON check_reports (repository_id, filename, id);

-- The latest report of each file: what quarantine reads, one row per file, so that a
-- project page asks one indexed query whatever the number of reports.
CREATE TABLE check_latest (
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    filename      TEXT    NOT NULL,
    project       TEXT    NOT NULL,
    report_id     INTEGER NOT NULL REFERENCES check_reports(id) ON DELETE CASCADE,
    verdict       TEXT    NOT NULL,
    PRIMARY KEY (repository_id, filename)
);
CREATE INDEX check_latest_project ON check_latest (repository_id, project);

-- The raw data of a report (traces, test logs): blobs of the blob store, by name.
CREATE TABLE check_raw (
    report_id INTEGER NOT NULL REFERENCES check_reports(id) ON DELETE CASCADE,
    name      TEXT    NOT NULL,
    task      TEXT    NOT NULL DEFAULT '',
    sha256    TEXT    NOT NULL,
    size      BIGINT  NOT NULL,
    PRIMARY KEY (report_id, name)
);
CREATE INDEX check_raw_sha256 ON check_raw (sha256);
