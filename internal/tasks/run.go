package tasks

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Causes of a handler's context ending, other than the queue stopping.
var (
	// ErrCanceled: someone canceled the task.
	ErrCanceled = errors.New("task canceled")
	// errLost: the task's row no longer says this attempt runs (the reaper took this
	// process for dead and retried or failed the task).
	errLost = errors.New("the task was taken over after a missed heartbeat")
)

// worker runs the tasks of one kind for River.
type worker struct {
	river.WorkerDefaults[taskArgs]
	q *RiverQueue
	h Handler
}

// Work runs the handler with a run that persists progress and log lines and beats the
// heartbeat. A handler's error that is not Retryable fails the task at once: River has
// no "discard now", so the job is ended as River's cancelled, which the queue reads as
// failed because nobody asked to cancel it (no cancel_attempted_at).
func (w *worker) Work(ctx context.Context, job *river.Job[taskArgs]) error {
	r, err := w.q.startRun(ctx, job.JobRow)
	if err != nil {
		return err // a database error: River retries the attempt
	}
	w.q.mu.Lock()
	w.q.active[r.id] = true
	w.q.mu.Unlock()
	defer func() {
		w.q.mu.Lock()
		delete(w.q.active, r.id)
		w.q.mu.Unlock()
	}()
	hctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := w.q.watch(hctx, r, cancel)
	result, herr := w.call(hctx, r)
	if herr == nil && result != nil {
		if err := river.RecordOutput(ctx, result); err != nil {
			herr = fmt.Errorf("recording the result: %w", err)
		}
	}
	if herr == nil {
		// Completed here, not by River's completer, which writes completions in batches,
		// every 250 ms when there are few: a follower learnt the end of a short task (a
		// re-sync of an unchanged upstream) that much later. The log and progress are
		// written first: whoever sees the task completed reads them whole. If this
		// fails, the completer completes it as usual.
		stop()
		if err := w.q.completeNow(ctx, job); err != nil {
			w.q.log.Warn("task: completing at once", "task", r.id, "err", err)
		}
		return nil
	}
	out := w.outcome(ctx, context.Cause(hctx), herr, r)
	stop() // after the outcome's log line, which it writes
	return out
}

// completeNow marks job completed in its own transaction (river.JobCompleteTx, with the
// output RecordOutput gave): River's later completion of it then changes nothing.
func (q *RiverQueue) completeNow(ctx context.Context, job *river.Job[taskArgs]) error {
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := river.JobCompleteTx[pollDriver](ctx, tx, job); err != nil {
		return err
	}
	return tx.Commit()
}

// call runs the handler; a panic fails the task (its stack goes to the log) instead of
// leaving River to retry it with the heartbeat still beating.
func (w *worker) call(ctx context.Context, r *run) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			w.q.log.Error("task handler panicked", "task", r.id, "panic", p, "stack", string(debug.Stack()))
			result, err = nil, fmt.Errorf("the task's handler panicked: %v", p)
		}
	}()
	return w.h(ctx, r)
}

// outcome is what Work returns to River for the handler's error herr (not nil: a task
// that succeeds is completed in Work), logging a line.
func (w *worker) outcome(ctx context.Context, cause, herr error, r *run) error {
	switch {
	case errors.Is(cause, ErrCanceled):
		r.Logf("canceled")
		return river.JobCancel(ErrCanceled)
	case errors.Is(cause, errLost):
		r.Logf("stopped: %s", errLost)
		// River ends the job's row with what Work returns, if that row is running: the
		// other attempt's, now. Wait until that attempt is over, so that this one's end
		// changes nothing.
		w.q.waitOtherAttempt(ctx, r)
		return herr
	case ctx.Err() != nil:
		// The queue is stopping: River puts the task back without using an attempt when
		// the error says the context was canceled, which a handler may not have wrapped.
		r.Logf("interrupted: the server is stopping; the task runs again at the next start")
		if !errors.Is(herr, context.Canceled) {
			herr = fmt.Errorf("%v: %w", herr, ctx.Err())
		}
		return herr
	case IsRetryable(herr):
		r.Logf("error (tried again): %s", herr)
		return herr
	}
	r.Logf("error: %s", herr)
	return river.JobCancel(herr)
}

// run is one attempt of a task: the Run its handler gets.
type run struct {
	id      int64
	attempt int
	args    json.RawMessage

	mu       sync.Mutex
	progress Progress
	log      logBuf
	dirty    bool
}

func (r *run) ID() int64             { return r.id }
func (r *run) Args() json.RawMessage { return r.args }

// Attempt is the attempt this run is (1 for the first); not part of Run, which test
// doubles implement, so callers find it by type assertion.
func (r *run) Attempt() int { return r.attempt }

func (r *run) SetProgress(p Progress) {
	r.mu.Lock()
	r.progress, r.dirty = p, true
	r.mu.Unlock()
}

func (r *run) Logf(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	r.mu.Lock()
	defer r.mu.Unlock()
	for line := range strings.SplitSeq(strings.TrimRight(msg, "\n"), "\n") {
		r.log.add(line)
	}
	r.dirty = true
}

// snapshot returns what to write, and clears dirty.
func (r *run) snapshot() (Progress, string, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dirty = false
	return r.progress, strings.Join(r.log.lines, "\n"), r.log.dropped
}

// logBuf keeps the last MaxLogLines lines within MaxLogBytes, counting those dropped.
type logBuf struct {
	lines   []string
	bytes   int
	dropped int64
}

func (b *logBuf) add(line string) {
	line = strings.ToValidUTF8(strings.TrimRight(line, "\r"), "\uFFFD")
	if len(line) > MaxLineBytes {
		cut := MaxLineBytes - len("…")
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		line = line[:cut] + "…"
	}
	b.lines = append(b.lines, line)
	b.bytes += len(line) + 1
	for len(b.lines) > MaxLogLines || b.bytes > MaxLogBytes {
		b.bytes -= len(b.lines[0]) + 1
		b.lines = b.lines[1:]
		b.dropped++
	}
	if cap(b.lines) > 4*MaxLogLines { // the slice's head keeps growing: copy it down
		b.lines = append([]string(nil), b.lines...)
	}
}

// startRun records the start of an attempt: its heartbeat row, with the log of the
// earlier attempts kept and the progress reset.
func (q *RiverQueue) startRun(ctx context.Context, job *rivertype.JobRow) (*run, error) {
	now := time.Now().UnixMicro()
	var logText string
	var dropped int64
	err := q.db.QueryRowContext(ctx, `INSERT INTO task_runs (job_id, attempt, started_at, heartbeat_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (job_id) DO UPDATE SET attempt = excluded.attempt, started_at = excluded.started_at,
			heartbeat_at = excluded.heartbeat_at, done_items = 0, total_items = 0, done_bytes = 0, total_bytes = 0
		RETURNING log, log_dropped`, job.ID, job.Attempt, now, now).Scan(&logText, &dropped)
	if err != nil {
		return nil, fmt.Errorf("task %d: recording its start: %w", job.ID, err)
	}
	r := &run{id: job.ID, attempt: job.Attempt, args: job.EncodedArgs}
	if logText != "" {
		r.log.lines = strings.Split(logText, "\n")
		for _, l := range r.log.lines {
			r.log.bytes += len(l) + 1
		}
	}
	r.log.dropped = dropped
	if job.Attempt > 1 {
		prev := "none recorded"
		if n := len(job.Errors); n > 0 {
			prev = job.Errors[n-1].Error
		}
		r.Logf("attempt %d of %d (the previous one ended: %s)", job.Attempt, job.MaxAttempts, prev)
	}
	return r, nil
}

// watch writes r's progress and log every FlushInterval when they changed, and beats the
// heartbeat (Config.heartbeat). After each heartbeat it reads the job's row: when someone
// asked to cancel the task, or another attempt took it over, it cancels the handler's
// context with ErrCanceled or errLost. (River itself would cancel a running job through
// its notifications, which the queue does without: it runs poll-only.) The returned stop
// ends the loop and writes the last state.
func (q *RiverQueue) watch(ctx context.Context, r *run, cancel context.CancelCauseFunc) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	bg := context.WithoutCancel(ctx)
	go func() {
		defer close(finished)
		tick := time.NewTicker(q.cfg.FlushInterval)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			r.mu.Lock()
			dirty := r.dirty
			r.mu.Unlock()
			beat := time.Since(last) >= q.cfg.heartbeat()
			if !dirty && !beat {
				continue
			}
			wctx, wcancel := context.WithTimeout(bg, q.cfg.StaleAfter)
			err := q.saveRun(wctx, r)
			if err == nil && beat {
				err = q.checkRun(wctx, r, cancel)
			}
			wcancel()
			if err != nil {
				q.log.Warn("task heartbeat", "task", r.id, "err", err)
				continue
			}
			if beat {
				last = time.Now()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		wctx, wcancel := context.WithTimeout(bg, 10*time.Second)
		defer wcancel()
		if err := q.saveRun(wctx, r); err != nil {
			q.log.Warn("task: writing its last progress", "task", r.id, "err", err)
		}
	}
}

// saveRun writes r's progress and log and beats its heartbeat. A row of another attempt
// is left alone.
func (q *RiverQueue) saveRun(ctx context.Context, r *run) error {
	p, logText, dropped := r.snapshot()
	_, err := q.db.ExecContext(ctx, `UPDATE task_runs SET heartbeat_at = ?, done_items = ?, total_items = ?,
		done_bytes = ?, total_bytes = ?, log = ?, log_dropped = ? WHERE job_id = ? AND attempt = ?`,
		time.Now().UnixMicro(), p.DoneItems, p.TotalItems, p.DoneBytes, p.TotalBytes, logText, dropped, r.id, r.attempt)
	return err
}

// checkRun cancels the handler when the task was canceled or taken over.
func (q *RiverQueue) checkRun(ctx context.Context, r *run, cancel context.CancelCauseFunc) error {
	var state string
	var attempt int
	var cancelAt sql.NullString
	err := q.db.QueryRowContext(ctx, `SELECT state, attempt, metadata ->> 'cancel_attempted_at' FROM river_job WHERE id = ?`, r.id).
		Scan(&state, &attempt, &cancelAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		cancel(errLost)
	case err != nil:
		return err
	case state != string(rivertype.JobStateRunning) || attempt != r.attempt:
		cancel(errLost)
	case cancelAt.Valid:
		cancel(ErrCanceled)
	}
	return nil
}

// withRuns turns River's rows into Tasks, with the progress and log of task_runs.
func (q *RiverQueue) withRuns(ctx context.Context, jobs []*rivertype.JobRow) ([]Task, error) {
	out := make([]Task, 0, len(jobs))
	if len(jobs) == 0 {
		return out, nil
	}
	ids := make([]any, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	rows, err := q.db.QueryContext(ctx, `SELECT job_id, done_items, total_items, done_bytes, total_bytes, log, log_dropped
		FROM task_runs WHERE job_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, ids...)
	if err != nil {
		return nil, fmt.Errorf("task progress: %w", err)
	}
	defer rows.Close()
	type extra struct {
		p       Progress
		log     string
		dropped int64
	}
	runs := map[int64]extra{}
	for rows.Next() {
		var id int64
		var e extra
		if err := rows.Scan(&id, &e.p.DoneItems, &e.p.TotalItems, &e.p.DoneBytes, &e.p.TotalBytes, &e.log, &e.dropped); err != nil {
			return nil, fmt.Errorf("task progress: %w", err)
		}
		runs[id] = e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("task progress: %w", err)
	}
	for _, j := range jobs {
		t := fromJob(j)
		if e, ok := runs[j.ID]; ok {
			t.Progress, t.LogDropped = e.p, e.dropped
			if e.log != "" {
				t.Log = append(t.Log, strings.Split(e.log, "\n")...)
			}
		}
		if t.Log == nil {
			t.Log = []string{}
		}
		out = append(out, t)
	}
	return out, nil
}

// fromJob maps River's row to a Task (without progress and log).
func fromJob(j *rivertype.JobRow) Task {
	t := Task{ID: j.ID, Kind: j.Kind, Args: json.RawMessage(j.EncodedArgs), Attempt: j.Attempt, CreatedAt: j.CreatedAt.UTC()}
	var meta struct {
		CancelAttemptedAt *time.Time `json:"cancel_attempted_at"`
	}
	_ = json.Unmarshal(j.Metadata, &meta)
	switch j.State {
	case rivertype.JobStateRunning:
		t.State = Running
	case rivertype.JobStateCompleted:
		t.State = Completed
	case rivertype.JobStateDiscarded:
		t.State = Failed
	case rivertype.JobStateCancelled:
		t.State = Failed
		if meta.CancelAttemptedAt != nil {
			t.State = Canceled
		}
	default: // available, scheduled, pending, retryable
		t.State = Waiting
	}
	if n := len(j.Errors); n > 0 {
		// River records a job ended with river.JobCancel under that prefix.
		t.Error = strings.TrimPrefix(j.Errors[n-1].Error, "JobCancelError: ")
	}
	if out := j.Output(); len(out) > 0 {
		t.Result = json.RawMessage(out)
	}
	if j.AttemptedAt != nil {
		at := j.AttemptedAt.UTC()
		t.StartedAt = &at
	}
	if j.FinalizedAt != nil {
		at := j.FinalizedAt.UTC()
		t.FinishedAt = &at
	}
	return t
}

// waitOtherAttempt returns once the task has ended (or ctx ends: the queue stops), or
// when it has waited unrun for 5 s (no worker free anywhere: returning frees this one,
// and a row not running is left alone by River's end of this attempt). Returning while
// another attempt runs would let River end that attempt's row with this one's error.
func (q *RiverQueue) waitOtherAttempt(ctx context.Context, r *run) {
	var idleSince time.Time
	for {
		var state string
		err := q.db.QueryRowContext(ctx, `SELECT state FROM river_job WHERE id = ?`, r.id).Scan(&state)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return
		case err != nil:
		case state == string(rivertype.JobStateCompleted) || state == string(rivertype.JobStateCancelled) || state == string(rivertype.JobStateDiscarded):
			return
		case state == string(rivertype.JobStateRunning):
			idleSince = time.Time{}
		case idleSince.IsZero():
			idleSince = time.Now()
		case time.Since(idleSince) > 5*time.Second:
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(250 * time.Millisecond):
		}
	}
}
