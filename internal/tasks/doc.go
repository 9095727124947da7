// Package tasks runs pydepot's long operations (a sync, later a check or an environment
// build) as tasks in a durable queue kept in the metadata database, so that a task
// outlives the request that asked for it and the process that ran it.
//
// The queue is River (github.com/riverqueue/river) with its SQLite driver, on the same
// database file as the metadata store. River gives the parts that are hard to get right
// (locking a job to one worker across processes, retries with backoff, cancellation,
// retention, leader-run maintenance, its own versioned migrations), and the
// same code runs on PostgreSQL with River's PostgreSQL driver when pydepot scales out.
// River's tables are created by its migrations (rivermigrate) when the queue opens; what
// River does not keep (progress, the log, the heartbeat) is in the table task_runs of
// migration 0005 of internal/metastore/sqlite.
//
// States: River's available, scheduled, pending and retryable are Waiting; running is
// Running; completed is Completed; discarded (attempts used up) is Failed. River has no
// "fail now": a handler error that is not Retryable ends the job with river.JobCancel,
// and a cancelled job is Canceled only when someone asked for it (River then records
// cancel_attempted_at in its metadata), Failed otherwise. The handler's result is
// River's recorded output; the error is the last attempt's.
//
// A task whose process died: River's rescuer retries a job that has been running longer
// than a fixed time, whether or not its process is alive, so a sync that runs for hours
// would be run twice, and one whose process died minutes in would wait hours. Instead,
// while a handler runs its attempt beats a heartbeat (task_runs.heartbeat_at, with the
// progress and log writes, every sixth of StaleAfter and at most every 2 s, when it also
// looks whether the task was canceled), and every queue runs a reaper that takes a
// running job whose heartbeat is older than StaleAfter for dead: back to
// waiting when it has attempts left, failed when not (canceled when that was asked),
// through the driver call River's rescuer uses, each decided again inside one write
// transaction so that two reapers cannot both act. A long write transaction (a large
// Apply) silences every heartbeat at once; the reaper does not mistake that for deaths
// (see reap). River's rescuer is kept out of the
// way (JobTimeout -1, which it respects). A process that was only paused past StaleAfter
// sees, at its next heartbeat, that its attempt was taken over and cancels its handler
// (then waits for the new attempt to end: River would end that attempt's row with this
// one's outcome); handlers must be safe to run again (a sync is: its writes go through index.Apply).
//
// SQLite: River's pool has one connection (riversqlite's advice: SQLite has one writer)
// and begins transactions IMMEDIATE, like the store's writer, so that the two pools on
// one file wait for each other instead of failing with SQLITE_BUSY. River runs poll-only
// (its SQLite listener would poll every 50 ms; see pollDriver): a task enqueued by this
// process starts at once, one enqueued by another within a second, and a cancel reaches
// a running task through its heartbeat.
package tasks
