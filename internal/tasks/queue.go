package tasks

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/pydepot/pydepot/internal/errs"
)

// Bounds of what a task keeps.
const (
	MaxArgsBytes = 64 << 10 // a task's args, as JSON
	MaxLogLines  = 1000     // lines of a task's log
	MaxLogBytes  = 64 << 10 // bytes of a task's log
	MaxLineBytes = 1024     // bytes of one log line (longer ones are cut)
)

// Config holds a queue's settings; zero values take the defaults.
type Config struct {
	// Workers is how many tasks this process runs at once; 0 runs none (the process
	// enqueues, reads and cancels; another runs the tasks).
	Workers int
	// MaxAttempts is how many times a task may start (a Retryable error or a crash
	// uses one); default 3.
	MaxAttempts int
	// StaleAfter is how long a running task may go without a heartbeat before the queue
	// takes it for dead and retries (or fails) it; default 30 s. Heartbeats come every
	// StaleAfter/6, at most every 2 s.
	StaleAfter time.Duration
	// Retention is how long finished tasks are kept; default 30 days.
	Retention time.Duration
	// FlushInterval is how often progress and log lines are written; default 500 ms.
	FlushInterval time.Duration
	Logger        *slog.Logger
}

// Defaults.
const (
	DefaultMaxAttempts = 3
	DefaultStaleAfter  = 30 * time.Second
	DefaultRetention   = 30 * 24 * time.Hour
	DefaultFlush       = 500 * time.Millisecond
)

func (c Config) withDefaults() Config {
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = DefaultStaleAfter
	}
	if c.Retention <= 0 {
		c.Retention = DefaultRetention
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = DefaultFlush
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// heartbeat is how often a running task proves alive and looks whether it was canceled:
// a sixth of StaleAfter, at most every 2 s (a cancel is seen that soon).
func (c Config) heartbeat() time.Duration { return min(c.StaleAfter/6, 2*time.Second) }

// RiverQueue is the Queue on River (github.com/riverqueue/river) with its SQLite driver,
// on a database/sql pool.
type RiverQueue struct {
	db *sql.DB
	// driver is River's driver on db: riversqlite's now; River's database/sql driver for
	// PostgreSQL (riverdatabasesql) would take its place, with the same *sql.Tx.
	driver riverdriver.Driver[*sql.Tx]
	cfg    Config
	log    *slog.Logger

	mu       sync.Mutex
	handlers map[string]Handler
	client   *river.Client[*sql.Tx]
	working  bool                // River's client runs workers
	active   map[int64]bool      // the tasks this process runs now
	suspects map[int64]time.Time // the reaper's: running tasks seen silent, since when
	stopBg   context.CancelFunc
	bgDone   chan struct{}
}

var _ Queue = (*RiverQueue)(nil)

// Open runs River's migrations on db (in one transaction, so that processes starting
// together take turns) and returns the queue over it; call Register for each kind, then
// Start. The table task_runs must exist (migration 0005 of internal/metastore/sqlite,
// run when the metadata store opens). The caller keeps db and closes it after Stop.
func Open(ctx context.Context, db *sql.DB, cfg Config) (*RiverQueue, error) {
	cfg = cfg.withDefaults()
	var driver riverdriver.Driver[*sql.Tx] = riversqlite.New(db)
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: slog.New(warnAndUp{cfg.Logger.Handler()})})
	if err != nil {
		return nil, fmt.Errorf("task queue migrations: %w", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("task queue migrations: %w", err)
	}
	defer tx.Rollback()
	// MigrateTx is deprecated because some of River's PostgreSQL migrations cannot share a
	// transaction; SQLite's DDL is transactional and River's SQLite migrations can, and one
	// IMMEDIATE transaction is what makes two processes starting on a new file take turns
	// instead of both creating the tables. (PostgreSQL will want Migrate under a lock.)
	//lint:ignore SA1019 see above
	if _, err := migrator.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("task queue migrations: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM task_runs WHERE job_id < 0`).Scan(&n); err != nil {
		return nil, fmt.Errorf("task queue: the table task_runs is missing (open the metadata store first, it migrates the database): %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("task queue migrations: %w", err)
	}
	return &RiverQueue{db: db, driver: driver, cfg: cfg, log: cfg.Logger, handlers: map[string]Handler{},
		active: map[int64]bool{}, suspects: map[int64]time.Time{}}, nil
}

// kindPattern is the rule for kinds: short, lower-case, and within River's own rule.
var kindPattern = regexp.MustCompile(`^[a-z][a-z0-9_\-.:]{1,63}$`)

// Register implements Queue. It panics when called after Start, twice for a kind, or
// with a kind other than lower-case letters, digits and _-.: (a programming error).
func (q *RiverQueue) Register(kind string, h Handler) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.client != nil:
		panic("tasks: Register " + kind + " after Start")
	case !kindPattern.MatchString(kind):
		panic("tasks: invalid kind " + kind)
	case q.handlers[kind] != nil:
		panic("tasks: kind " + kind + " registered twice")
	}
	q.handlers[kind] = h
}

// Start implements Queue.
func (q *RiverQueue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.client != nil {
		return errors.New("task queue already started")
	}
	workers := river.NewWorkers()
	for kind, h := range q.handlers {
		river.AddWorkerArgs(workers, taskArgs{kind: kind}, &worker{q: q, h: h})
	}
	rc := &river.Config{
		Workers:     workers,
		MaxAttempts: q.cfg.MaxAttempts,
		// A task runs as long as it needs: a sync of a large index takes hours. River's
		// rescuer would retry a job running longer than RescueStuckJobsAfter whether or
		// not its process is alive, so it is kept out of the way (with JobTimeout -1 it
		// leaves known kinds alone; the long RescueStuckJobsAfter covers unknown ones)
		// and the heartbeat reaper of this package finds the dead ones instead.
		JobTimeout:                  -1,
		RescueStuckJobsAfter:        10 * 365 * 24 * time.Hour,
		CompletedJobRetentionPeriod: q.cfg.Retention,
		CancelledJobRetentionPeriod: q.cfg.Retention,
		DiscardedJobRetentionPeriod: q.cfg.Retention,
		Logger:                      slog.New(warnAndUp{q.log.Handler()}),
		// A server runs only the kinds it has (an older one beside a newer one on the
		// database, when pydepot scales out); the others wait for a server that has them
		// instead of failing as unknown.
		FetchOnlyKnownKinds: true,
		// River fetches at once after an insert by this process, but at most once per
		// cooldown (100 ms by default): every task waited that long before it ran, a
		// tenth of a second of each `pydepot sync` of an unchanged upstream (a third of
		// its time), and a queue of 100 tasks ran 40 a second. A fetch is one indexed
		// query.
		FetchCooldown: 5 * time.Millisecond,
	}
	// Without a kind there is nothing to run (River refuses workers without a handler).
	working := q.cfg.Workers > 0 && len(q.handlers) > 0
	if working {
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: q.cfg.Workers}}
	}
	client, err := river.NewClient[*sql.Tx](pollDriver{q.driver}, rc)
	if err != nil {
		return fmt.Errorf("task queue: %w", err)
	}
	if working {
		// River stops when Start's context ends; the queue stops when Stop says, with the
		// grace Stop gives, so the context River keeps is not canceled.
		if err := client.Start(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("task queue: %w", err)
		}
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	q.client, q.stopBg, q.bgDone, q.working = client, cancel, make(chan struct{}), working
	go q.reapLoop(bg, q.bgDone)
	return nil
}

// Stop implements Queue: running tasks get until ctx ends to return, then their
// contexts are canceled; River puts a task stopped so back to waiting without using an
// attempt.
func (q *RiverQueue) Stop(ctx context.Context) error {
	q.mu.Lock()
	client, cancel, done := q.client, q.stopBg, q.bgDone
	q.mu.Unlock()
	if client == nil {
		return nil
	}
	cancel()
	<-done
	if !q.working {
		return nil
	}
	if err := client.Stop(ctx); err != nil {
		hctx, hcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer hcancel()
		if herr := client.StopAndCancel(hctx); herr != nil {
			return fmt.Errorf("stopping the task queue: %w", herr)
		}
	}
	return nil
}

func (q *RiverQueue) started() (*river.Client[*sql.Tx], error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.client == nil {
		return nil, errors.New("task queue not started")
	}
	return q.client, nil
}

// Enqueue implements Queue.
func (q *RiverQueue) Enqueue(ctx context.Context, kind string, args any) (int64, error) {
	client, err := q.started()
	if err != nil {
		return 0, err
	}
	q.mu.Lock()
	known := q.handlers[kind] != nil
	q.mu.Unlock()
	if !known {
		return 0, fmt.Errorf("unknown task kind %q: %w", kind, errs.ErrInvalid)
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return 0, fmt.Errorf("task %s: args: %v: %w", kind, err, errs.ErrInvalid)
	}
	if string(raw) == "null" {
		raw = []byte("{}") // River stores args as a JSON value it will not take null for
	}
	if len(raw) > MaxArgsBytes {
		return 0, fmt.Errorf("task %s: args of %d bytes, over the limit of %d: %w", kind, len(raw), MaxArgsBytes, errs.ErrTooLarge)
	}
	res, err := client.Insert(ctx, taskArgs{kind: kind, raw: raw}, nil)
	if err != nil {
		return 0, fmt.Errorf("enqueue task %s: %w", kind, err)
	}
	return res.Job.ID, nil
}

// Get implements Queue.
func (q *RiverQueue) Get(ctx context.Context, id int64) (*Task, error) {
	client, err := q.started()
	if err != nil {
		return nil, err
	}
	job, err := client.JobGet(ctx, id)
	if errors.Is(err, rivertype.ErrNotFound) {
		return nil, fmt.Errorf("task %d: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("task %d: %w", id, err)
	}
	tasks, err := q.withRuns(ctx, []*rivertype.JobRow{job})
	if err != nil {
		return nil, err
	}
	return &tasks[0], nil
}

// stateFilter is the SQL of a state (portable: SQLite and PostgreSQL both read
// metadata ->> 'key'). A cancelled job that nobody asked to cancel was failed by its
// handler (see worker.Work).
var stateFilter = map[State]string{
	Waiting:   `state IN ('available', 'scheduled', 'pending', 'retryable')`,
	Running:   `state = 'running'`,
	Completed: `state = 'completed'`,
	Failed:    `(state = 'discarded' OR (state = 'cancelled' AND metadata ->> 'cancel_attempted_at' IS NULL))`,
	Canceled:  `(state = 'cancelled' AND metadata ->> 'cancel_attempted_at' IS NOT NULL)`,
}

// List implements Queue.
func (q *RiverQueue) List(ctx context.Context, opts ListOptions) ([]Task, error) {
	client, err := q.started()
	if err != nil {
		return nil, err
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	p := river.NewJobListParams().OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit)
	if opts.State != "" {
		f, ok := stateFilter[opts.State]
		if !ok {
			return nil, fmt.Errorf("unknown task state %q, want one of %v: %w", opts.State, States, errs.ErrInvalid)
		}
		p = p.Where(f)
	}
	if opts.Kind != "" {
		p = p.Kinds(opts.Kind)
	}
	if opts.BeforeID > 0 {
		p = p.Where("id < @before_id", river.NamedArgs{"before_id": opts.BeforeID})
	}
	res, err := client.JobList(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	return q.withRuns(ctx, res.Jobs)
}

// Cancel implements Queue.
func (q *RiverQueue) Cancel(ctx context.Context, id int64) (*Task, error) {
	client, err := q.started()
	if err != nil {
		return nil, err
	}
	t, err := q.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.State.Done() {
		return t, fmt.Errorf("task %d is already %s: %w", id, t.State, errs.ErrConflict)
	}
	if _, err := client.JobCancel(ctx, id); err != nil {
		if errors.Is(err, rivertype.ErrNotFound) {
			return nil, fmt.Errorf("task %d: %w", id, errs.ErrNotFound)
		}
		return nil, fmt.Errorf("cancel task %d: %w", id, err)
	}
	return q.Get(ctx, id)
}

// taskArgs carries a task's kind and its JSON args through River, which keys workers
// by JobArgs.Kind; pydepot's kinds are strings registered at run time, so each worker
// is added with an instance (river.AddWorkerArgs) that names its kind.
type taskArgs struct {
	kind string
	raw  json.RawMessage
}

func (a taskArgs) Kind() string { return a.kind }

func (a taskArgs) MarshalJSON() ([]byte, error) {
	if len(a.raw) == 0 {
		return []byte("null"), nil
	}
	return a.raw, nil
}

func (a *taskArgs) UnmarshalJSON(b []byte) error {
	a.raw = append(json.RawMessage(nil), b...)
	return nil
}

// warnAndUp passes on River's warnings and errors only: its Info lines (each migration,
// each start and stop, each job error it retries) repeat what pydepot logs itself.
type warnAndUp struct{ slog.Handler }

func (h warnAndUp) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h warnAndUp) WithAttrs(as []slog.Attr) slog.Handler { return warnAndUp{h.Handler.WithAttrs(as)} }
func (h warnAndUp) WithGroup(g string) slog.Handler       { return warnAndUp{h.Handler.WithGroup(g)} }

// pollDriver is riversqlite's driver saying it has no listener, so that River runs
// poll-only: its SQLite listener polls a notification table every 50 ms (1.5% of a core
// on an idle server), while without one River fetches every second and at once after an
// insert by this process, and the queue sees a cancel through the task's heartbeat (at
// most 2 s). With no listener, nothing writes notifications either.
type pollDriver struct{ riverdriver.Driver[*sql.Tx] }

func (pollDriver) SupportsListener() bool     { return false }
func (pollDriver) SupportsListenNotify() bool { return false }
