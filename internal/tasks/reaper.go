package tasks

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// reapLoop runs the reaper every sixth of StaleAfter until ctx ends, and deletes the
// task_runs rows of jobs River's cleaner removed once an hour.
func (q *RiverQueue) reapLoop(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(q.cfg.StaleAfter / 6)
	defer tick.Stop()
	lastClean := time.Time{}
	for {
		if err := q.reap(ctx); err != nil && ctx.Err() == nil {
			q.log.Warn("task reaper", "err", err)
		}
		if time.Since(lastClean) > time.Hour {
			if _, err := q.db.ExecContext(ctx, `DELETE FROM task_runs WHERE job_id NOT IN (SELECT id FROM river_job)`); err != nil && ctx.Err() == nil {
				q.log.Warn("task reaper: deleting old progress rows", "err", err)
			}
			lastClean = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// reapBatch bounds the running jobs one pass looks at.
const reapBatch = 1000

// reap retries or fails the running tasks whose heartbeat is older than StaleAfter:
// their process died without River being told. Every process with a queue runs it.
//
// A stale heartbeat is not always a dead process: a write transaction holding the
// database (a large Apply) stops every heartbeat, live ones included, and they resume
// when it ends. So a task is rescued only when it has been seen silent on passes at
// least two heartbeats apart, never when this process runs it, and never by a rescue
// that had to wait for the write lock (the heartbeats were waiting too: the task is
// looked at afresh). Each rescue decides again inside one write transaction, so two
// reapers, or a reaper and a late heartbeat, cannot both win.
func (q *RiverQueue) reap(ctx context.Context) error {
	res, err := q.client.JobList(ctx, river.NewJobListParams().States(rivertype.JobStateRunning).First(reapBatch))
	if err != nil {
		return err
	}
	running := map[int64]bool{}
	for _, j := range res.Jobs {
		running[j.ID] = true
		q.mu.Lock()
		mine := q.active[j.ID]
		q.mu.Unlock()
		silent, ok, err := q.silence(ctx, q.db, j)
		if err != nil {
			return fmt.Errorf("task %d: %w", j.ID, err)
		}
		if mine || !ok || silent < q.cfg.StaleAfter {
			delete(q.suspects, j.ID)
			continue
		}
		first, seen := q.suspects[j.ID]
		if !seen {
			q.suspects[j.ID] = time.Now()
			continue
		}
		if time.Since(first) < 2*q.cfg.heartbeat() {
			continue
		}
		blocked, err := q.rescue(ctx, j)
		if err != nil {
			q.suspects[j.ID] = time.Now()
			return fmt.Errorf("task %d: %w", j.ID, err)
		}
		if blocked {
			q.suspects[j.ID] = time.Now()
		}
	}
	for id := range q.suspects {
		if !running[id] {
			delete(q.suspects, id)
		}
	}
	return nil
}

// silence is how long j's current attempt has gone without a heartbeat (since it
// started when it has none yet); ok is false when j no longer runs that attempt.
func (q *RiverQueue) silence(ctx context.Context, db querier, j *rivertype.JobRow) (silent time.Duration, ok bool, err error) {
	var state string
	var attempt int
	var beat sql.NullInt64
	err = db.QueryRowContext(ctx, `SELECT j.state, j.attempt, r.heartbeat_at FROM river_job j
		LEFT JOIN task_runs r ON r.job_id = j.id AND r.attempt = j.attempt WHERE j.id = ?`, j.ID).Scan(&state, &attempt, &beat)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil || state != string(rivertype.JobStateRunning) || attempt != j.Attempt {
		return 0, false, err
	}
	last := j.CreatedAt
	if j.AttemptedAt != nil {
		last = *j.AttemptedAt
	}
	if beat.Valid {
		last = time.UnixMicro(beat.Int64)
	}
	return time.Since(last), true, nil
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// rescue ends a running job whose heartbeat is stale, the way River's own rescuer does
// (through the same driver call): back to available when it has attempts left, failed
// (discarded) when not, canceled when someone had asked for that. blocked is true, and
// nothing is done, when the write lock took longer than a heartbeat to get.
func (q *RiverQueue) rescue(ctx context.Context, j *rivertype.JobRow) (blocked bool, err error) {
	asked := time.Now()
	tx, err := q.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: holds the write lock until commit
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if time.Since(asked) > q.cfg.heartbeat() {
		return true, nil
	}
	silent, ok, err := q.silence(ctx, tx, j)
	if err != nil || !ok || silent < q.cfg.StaleAfter {
		return false, err
	}
	attempt := j.Attempt
	now := time.Now().UTC()
	var meta struct {
		CancelAttemptedAt *time.Time `json:"cancel_attempted_at"`
	}
	_ = json.Unmarshal(j.Metadata, &meta)
	msg := fmt.Sprintf("the process running attempt %d stopped: no heartbeat for %s", attempt, silent.Round(time.Second))
	newState, finalized := rivertype.JobStateAvailable, (*time.Time)(nil)
	switch {
	case meta.CancelAttemptedAt != nil:
		newState, finalized = rivertype.JobStateCancelled, &now
	case attempt >= j.MaxAttempts:
		newState, finalized = rivertype.JobStateDiscarded, &now
	}
	errData, err := json.Marshal(rivertype.AttemptError{At: now, Attempt: attempt, Error: msg})
	if err != nil {
		return false, err
	}
	if _, err := q.driver.UnwrapExecutor(tx).JobRescueMany(ctx, &riverdriver.JobRescueManyParams{
		ID: []int64{j.ID}, Error: [][]byte{errData}, FinalizedAt: []*time.Time{finalized},
		ScheduledAt: []time.Time{now}, State: []string{string(newState)}, StuckHorizon: now.Add(time.Second),
	}); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	q.log.Warn("task rescued: its process stopped", "task", j.ID, "kind", j.Kind, "attempt", attempt, "state", string(newState), "silent", silent.Round(time.Second))
	return false, nil
}
