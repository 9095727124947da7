package server

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/server/wire"
	"github.com/pydepot/pydepot/internal/tasks"
)

// taskRoutes registers /api/tasks: listing, showing and canceling tasks, for an admin
// token of the whole server.
func (s *server) taskRoutes(mux *http.ServeMux, j func(handler) http.Handler) {
	mux.Handle("GET /api/tasks", j(s.listTasks))
	mux.Handle("GET /api/tasks/{id}", j(s.getTask))
	mux.Handle("POST /api/tasks/{id}/cancel", j(s.cancelTask))
}

// errNoTasks answers when the server was built without a task queue.
var errNoTasks = &httpError{status: http.StatusServiceUnavailable, msg: "tasks are off: this server was started without a task queue"}

// tasksFor checks the token, then that there is a queue.
func (s *server) tasksFor(r *http.Request) (tasks.Queue, error) {
	if err := s.authorize(r, index.ActionManageTasks, ""); err != nil {
		return nil, err
	}
	if s.cfg.Tasks == nil {
		return nil, errNoTasks
	}
	return s.cfg.Tasks, nil
}

func (s *server) listTasks(w http.ResponseWriter, r *http.Request) error {
	q, err := s.tasksFor(r)
	if err != nil {
		return err
	}
	v := r.URL.Query()
	opts := tasks.ListOptions{State: tasks.State(v.Get("state")), Kind: v.Get("kind")}
	if len(opts.Kind) > 64 {
		return fmt.Errorf("kind of %d characters: a task kind has at most 64: %w", len(opts.Kind), errs.ErrInvalid)
	}
	for _, p := range []struct {
		name string
		to   *int64
	}{{"limit", nil}, {"before", &opts.BeforeID}} {
		raw := v.Get(p.name)
		if raw == "" {
			continue
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("%s=%q: want a positive number: %w", p.name, raw, errs.ErrInvalid)
		}
		if p.to == nil {
			opts.Limit = int(min(n, tasks.MaxListLimit))
		} else {
			*p.to = n
		}
	}
	list, err := q.List(r.Context(), opts)
	if err != nil {
		return err
	}
	out := wire.TaskList{Tasks: make([]wire.Task, len(list))}
	for i, t := range list {
		out.Tasks[i] = wireTask(t)
		out.Tasks[i].Log = nil // a list stays small; GET /api/tasks/{id} has the log
	}
	limit := opts.Limit
	if limit == 0 {
		limit = tasks.DefaultListLimit
	}
	if len(list) == limit {
		out.NextBefore = list[len(list)-1].ID
	}
	return writeJSON(w, http.StatusOK, out)
}

// taskID reads the {id} of the path.
func taskID(r *http.Request) (int64, error) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("task id %q: want the number 'pydepot task list' shows: %w", raw, errs.ErrInvalid)
	}
	return id, nil
}

func (s *server) getTask(w http.ResponseWriter, r *http.Request) error {
	q, err := s.tasksFor(r)
	if err != nil {
		return err
	}
	id, err := taskID(r)
	if err != nil {
		return err
	}
	// ?state=S&wait=D: answer once the task is no longer in state S, or after D (a Go
	// duration, at most tasks.MaxWait), so that a follower learns of the end at once.
	v := r.URL.Query()
	seen, wait := tasks.State(v.Get("state")), time.Duration(0)
	if raw := v.Get("wait"); raw != "" {
		if wait, err = time.ParseDuration(raw); err != nil || wait < 0 {
			return fmt.Errorf("wait=%q: want a duration such as 500ms: %w", raw, errs.ErrInvalid)
		}
	}
	if seen != "" && !slices.Contains(tasks.States, seen) {
		return fmt.Errorf("state=%q: not a task state: %w", seen, errs.ErrInvalid)
	}
	t, err := tasks.WaitChange(r.Context(), q, id, seen, wait)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wireTask(*t))
}

func (s *server) cancelTask(w http.ResponseWriter, r *http.Request) error {
	q, err := s.tasksFor(r)
	if err != nil {
		return err
	}
	id, err := taskID(r)
	if err != nil {
		return err
	}
	t, err := q.Cancel(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wireTask(*t))
}

func wireTask(t tasks.Task) wire.Task {
	return wire.Task{
		ID: t.ID, Kind: t.Kind, State: string(t.State), Args: t.Args,
		Progress: wire.TaskProgress(t.Progress),
		Log:      t.Log, LogDropped: t.LogDropped, Error: t.Error, Result: t.Result, Attempt: t.Attempt,
		CreatedAt: t.CreatedAt, StartedAt: t.StartedAt, FinishedAt: t.FinishedAt,
	}
}
