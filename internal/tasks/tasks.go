package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// State is where a task is in its life.
type State string

// The states of a task. River's own states map onto them: available, scheduled, pending
// and retryable are waiting; discarded (attempts used up) is failed, and so is cancelled
// when the handler ended it with a permanent error rather than someone cancelling it.
const (
	Waiting   State = "waiting"
	Running   State = "running"
	Completed State = "completed"
	Failed    State = "failed"
	Canceled  State = "canceled"
)

// States lists every state, in the order of a task's life.
var States = []State{Waiting, Running, Completed, Failed, Canceled}

// Done reports whether s is final: the task will not run again.
func (s State) Done() bool { return s == Completed || s == Failed || s == Canceled }

// Progress counts what a task has done out of what it knows it has to do; a total of 0
// means not known (yet).
type Progress struct {
	DoneItems  int64 `json:"done_items"`
	TotalItems int64 `json:"total_items"`
	DoneBytes  int64 `json:"done_bytes"`
	TotalBytes int64 `json:"total_bytes"`
}

// Task is a task as stored.
type Task struct {
	ID       int64           `json:"id"`
	Kind     string          `json:"kind"`
	State    State           `json:"state"`
	Args     json.RawMessage `json:"args"`
	Progress Progress        `json:"progress"`
	// Log holds the task's last log lines (bounded: MaxLogLines lines, MaxLogBytes bytes);
	// LogDropped counts the older ones dropped to keep it so.
	Log        []string `json:"log"`
	LogDropped int64    `json:"log_dropped,omitempty"`
	// Error is the last attempt's error ("" when none failed).
	Error string `json:"error,omitempty"`
	// Result is what the handler returned, as JSON (null until the task completes).
	Result json.RawMessage `json:"result,omitempty"`
	// Attempt counts the runs started so far (0 while the first waits).
	Attempt   int       `json:"attempt"`
	CreatedAt time.Time `json:"created_at"`
	// StartedAt is when the current (or last) attempt started; FinishedAt when the task
	// reached a final state.
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// Run is what a handler gets: report progress, append log lines (bounded), see args.
type Run interface {
	ID() int64
	Args() json.RawMessage
	// SetProgress records p; it is cheap (the queue persists it at most every ~500 ms).
	SetProgress(p Progress)
	// Logf appends one line to the task's log; the log keeps its last MaxLogLines lines
	// and MaxLogBytes bytes, and a line is cut at MaxLineBytes.
	Logf(format string, a ...any)
}

// Handler runs one task; its result (JSON, e.g. {"version": 7}) is stored on success.
// Returning an error fails the task, or retries it when the error is Retryable (until
// the task's attempts are used up). The context ends when the task is canceled, when
// the queue stops (the task is then run again by the next start), or when the queue
// finds that another process took the task over; a handler should return soon after.
// A task may run again after a crash, so a handler must be safe to repeat.
type Handler func(ctx context.Context, run Run) (result any, err error)

// ListOptions selects tasks for List. Zero values select everything.
type ListOptions struct {
	State State  // one state, or "" for all
	Kind  string // one kind, or "" for all
	// Limit caps the tasks returned: DefaultListLimit when 0, at most MaxListLimit.
	Limit int
	// BeforeID returns only tasks older than this one (IDs grow): the next page starts
	// before the last ID of the previous one.
	BeforeID int64
}

// List limits.
const (
	DefaultListLimit = 50
	MaxListLimit     = 500
)

// Queue is the durable task queue. Every method that does I/O takes ctx first.
type Queue interface {
	// Register sets the handler of a kind; call it before Start, once per kind.
	Register(kind string, h Handler)
	// Start opens the queue for Enqueue and the other calls and, when the queue has
	// workers, starts running tasks in this process.
	Start(ctx context.Context) error
	// Stop stops taking tasks and waits until the running ones return (their contexts
	// are canceled when ctx ends first; they then run again at the next start).
	Stop(ctx context.Context) error
	// Enqueue adds a task of a registered kind with args (marshalled to JSON) and returns
	// its ID. An unknown kind or args that do not marshal wrap errs.ErrInvalid; args
	// over MaxArgsBytes wrap errs.ErrTooLarge.
	Enqueue(ctx context.Context, kind string, args any) (int64, error)
	// Get returns one task; an error wrapping errs.ErrNotFound when there is none.
	Get(ctx context.Context, id int64) (*Task, error)
	// List returns the tasks that opts select, newest first. An unknown state wraps
	// errs.ErrInvalid.
	List(ctx context.Context, opts ListOptions) ([]Task, error)
	// Cancel cancels a task: a waiting one at once, a running one when its handler
	// returns (its context is canceled). It returns the task as it is then. A task that
	// is already done gives an error wrapping errs.ErrConflict; an unknown one
	// errs.ErrNotFound.
	Cancel(ctx context.Context, id int64) (*Task, error)
}

// retryable marks an error that should run the task again.
type retryable struct{ err error }

func (r retryable) Error() string { return r.err.Error() }
func (r retryable) Unwrap() error { return r.err }

// Retryable marks err so that the task is tried again (with a backoff) instead of
// failing, until its attempts are used up. Retryable(nil) is nil.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return retryable{err}
}

// IsRetryable reports whether err (or an error it wraps) was marked with Retryable.
func IsRetryable(err error) bool {
	var r retryable
	return errors.As(err, &r)
}
