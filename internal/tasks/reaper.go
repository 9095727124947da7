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
// their process died (or hangs) without River being told. Every process with a queue
// runs it; each decision is taken again inside one write transaction, so two reapers,
// or a reaper and a late heartbeat, cannot both win.
func (q *RiverQueue) reap(ctx context.Context) error {
	res, err := q.client.JobList(ctx, river.NewJobListParams().States(rivertype.JobStateRunning).First(reapBatch))
	if err != nil {
		return err
	}
	for _, j := range res.Jobs {
		if err := q.rescue(ctx, j); err != nil {
			return fmt.Errorf("task %d: %w", j.ID, err)
		}
	}
	return nil
}

// rescue ends a running job whose heartbeat is stale, the way River's own rescuer does
// (through the same driver call): back to available when it has attempts left, failed
// (discarded) when not, canceled when someone had asked for that.
func (q *RiverQueue) rescue(ctx context.Context, j *rivertype.JobRow) error {
	tx, err := q.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: holds the write lock until commit
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var state string
	var attempt int
	var beat sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT j.state, j.attempt, r.heartbeat_at FROM river_job j
		LEFT JOIN task_runs r ON r.job_id = j.id AND r.attempt = j.attempt WHERE j.id = ?`, j.ID).Scan(&state, &attempt, &beat)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if state != string(rivertype.JobStateRunning) || attempt != j.Attempt {
		return nil
	}
	last := j.CreatedAt
	if j.AttemptedAt != nil {
		last = *j.AttemptedAt
	}
	if beat.Valid {
		last = time.UnixMicro(beat.Int64)
	}
	now := time.Now().UTC()
	silent := now.Sub(last)
	if silent < q.cfg.StaleAfter {
		return nil
	}
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
		return err
	}
	if _, err := q.driver.UnwrapExecutor(tx).JobRescueMany(ctx, &riverdriver.JobRescueManyParams{
		ID: []int64{j.ID}, Error: [][]byte{errData}, FinalizedAt: []*time.Time{finalized},
		ScheduledAt: []time.Time{now}, State: []string{string(newState)}, StuckHorizon: now.Add(time.Second),
	}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	q.log.Warn("task rescued: its process stopped", "task", j.ID, "kind", j.Kind, "attempt", attempt, "state", string(newState), "silent", silent.Round(time.Second))
	return nil
}
