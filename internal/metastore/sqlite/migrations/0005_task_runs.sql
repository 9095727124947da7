-- pydepot schema, version 5: what River does not keep about a running task. River's own
-- tables (river_job, river_leader, ...) are created by its migrations (rivermigrate, run
-- when internal/tasks opens the queue); this table sits beside them, one row per job:
-- the attempt it describes, when that attempt last proved alive (heartbeat_at, which
-- the reaper of internal/tasks reads to retry or fail a task whose process died),
-- progress counters, and the task's bounded log (newline-separated lines, the oldest
-- dropped first and counted in log_dropped). No foreign key: river_job is River's, and
-- its cleaner deletes old jobs; internal/tasks deletes the rows it leaves. Times are
-- Unix microseconds, as in every pydepot table.
CREATE TABLE task_runs (
    job_id       INTEGER PRIMARY KEY,
    attempt      INTEGER NOT NULL,
    started_at   BIGINT  NOT NULL,
    heartbeat_at BIGINT  NOT NULL,
    done_items   BIGINT  NOT NULL DEFAULT 0,
    total_items  BIGINT  NOT NULL DEFAULT 0,
    done_bytes   BIGINT  NOT NULL DEFAULT 0,
    total_bytes  BIGINT  NOT NULL DEFAULT 0,
    log          TEXT    NOT NULL DEFAULT '',
    log_dropped  INTEGER NOT NULL DEFAULT 0
);
