package tasks_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore/sqlite"
	"github.com/pydepot/pydepot/internal/tasks"
)

// dbFile makes a migrated metadata database in a temporary folder and returns its path.
func dbFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pydepot.db")
	st, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return path
}

// openQueue opens a queue of its own (its own pool, as another process would) on path,
// lets register add its kinds, starts it, and stops it when the test ends.
func openQueue(t *testing.T, path string, cfg tasks.Config, register func(q *tasks.RiverQueue)) (*tasks.RiverQueue, *sql.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.OpenDB(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	q, err := tasks.Open(ctx, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if register != nil {
		register(q)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		q.Stop(sctx)
		db.Close()
	})
	return q, db
}

// waitTask polls a task until ok says yes, failing the test after a while.
func waitTask(t *testing.T, q tasks.Queue, id int64, what string, ok func(*tasks.Task) bool) *tasks.Task {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		task, err := q.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(task) {
			return task
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %d never %s: %+v", id, what, task)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitDone(t *testing.T, q tasks.Queue, id int64) *tasks.Task {
	t.Helper()
	return waitTask(t, q, id, "finished", func(x *tasks.Task) bool { return x.State.Done() })
}

// TestCompletedWithResult: a task runs and ends completed, with its handler's result,
// args, one attempt and its times.
func TestCompletedWithResult(t *testing.T) {
	ctx := context.Background()
	q, _ := openQueue(t, dbFile(t), tasks.Config{Workers: 2}, func(q *tasks.RiverQueue) {
		q.Register("echo", func(ctx context.Context, run tasks.Run) (any, error) {
			var args struct{ N int }
			if err := json.Unmarshal(run.Args(), &args); err != nil {
				return nil, err
			}
			run.Logf("got %d", args.N)
			return map[string]int{"version": args.N + 1}, nil
		})
	})
	before := time.Now().Add(-time.Second)
	id, err := q.Enqueue(ctx, "echo", map[string]int{"n": 6})
	if err != nil {
		t.Fatal(err)
	}
	task := waitDone(t, q, id)
	if task.State != tasks.Completed || string(task.Result) != `{"version":7}` || task.Attempt != 1 || task.Error != "" || task.Kind != "echo" {
		t.Fatalf("task = %+v, result %s", task, task.Result)
	}
	if string(task.Args) != `{"n":6}` {
		t.Errorf("args = %s", task.Args)
	}
	if len(task.Log) != 1 || task.Log[0] != "got 6" {
		t.Errorf("log = %q", task.Log)
	}
	if task.CreatedAt.Before(before) || task.StartedAt == nil || task.FinishedAt == nil || task.FinishedAt.Before(*task.StartedAt) {
		t.Errorf("times: created %v started %v finished %v", task.CreatedAt, task.StartedAt, task.FinishedAt)
	}
	if _, err := q.Enqueue(ctx, "nope", nil); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("Enqueue of an unknown kind: %v, want ErrInvalid", err)
	}
	if _, err := q.Enqueue(ctx, "echo", strings.Repeat("x", tasks.MaxArgsBytes)); !errors.Is(err, errs.ErrTooLarge) {
		t.Errorf("Enqueue of huge args: %v, want ErrTooLarge", err)
	}
	if _, err := q.Get(ctx, id+1000); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("Get of a missing task: %v, want ErrNotFound", err)
	}
}

// TestFailingHandler: an error fails the task at once, with the error; a Retryable one
// runs it again.
func TestFailingHandler(t *testing.T) {
	ctx := context.Background()
	var flaky atomic.Int32
	q, _ := openQueue(t, dbFile(t), tasks.Config{Workers: 2}, func(q *tasks.RiverQueue) {
		q.Register("fail", func(ctx context.Context, run tasks.Run) (any, error) {
			return nil, fmt.Errorf("upstream said no: %w", errs.ErrInvalid)
		})
		q.Register("panic", func(ctx context.Context, run tasks.Run) (any, error) { panic("nil map") })
		q.Register("flaky", func(ctx context.Context, run tasks.Run) (any, error) {
			if flaky.Add(1) == 1 {
				return nil, tasks.Retryable(errors.New("connection reset"))
			}
			return "ok", nil
		})
	})
	id, err := q.Enqueue(ctx, "fail", nil)
	if err != nil {
		t.Fatal(err)
	}
	task := waitDone(t, q, id)
	if task.State != tasks.Failed || task.Error != "upstream said no: invalid" || task.Attempt != 1 || task.FinishedAt == nil {
		t.Fatalf("failed task = %+v", task)
	}
	if last := task.Log[len(task.Log)-1]; !strings.Contains(last, "upstream said no") {
		t.Errorf("the log does not end with the error: %q", task.Log)
	}
	pid, err := q.Enqueue(ctx, "panic", nil)
	if err != nil {
		t.Fatal(err)
	}
	if task := waitDone(t, q, pid); task.State != tasks.Failed || task.Attempt != 1 || !strings.Contains(task.Error, "panicked: nil map") {
		t.Errorf("panicking task = %+v", task)
	}
	id2, err := q.Enqueue(ctx, "flaky", nil)
	if err != nil {
		t.Fatal(err)
	}
	task = waitDone(t, q, id2)
	if task.State != tasks.Completed || task.Attempt != 2 || string(task.Result) != `"ok"` {
		t.Fatalf("retried task = %+v", task)
	}
	for _, tc := range []struct {
		state tasks.State
		want  []int64
	}{{tasks.Failed, []int64{pid, id}}, {tasks.Completed, []int64{id2}}, {tasks.Canceled, nil}, {tasks.Waiting, nil}} {
		list, err := q.List(ctx, tasks.ListOptions{State: tc.state})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, x := range list {
			got = append(got, x.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("List(%s) = %v, want %v", tc.state, got, tc.want)
		}
	}
	if _, err := q.List(ctx, tasks.ListOptions{State: "lost"}); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("List of an unknown state: %v", err)
	}
}

// TestCancel: a waiting task is canceled at once; a running one, canceled from another
// queue on the same database (another process's), gets its context canceled and ends
// canceled; canceling a finished task is a conflict.
func TestCancel(t *testing.T) {
	ctx := context.Background()
	path := dbFile(t)
	started := make(chan int64, 1)
	var sawCancel atomic.Bool
	block := func(ctx context.Context, run tasks.Run) (any, error) {
		started <- run.ID()
		<-ctx.Done()
		sawCancel.Store(true)
		return nil, ctx.Err()
	}
	// An enqueue-only queue: its tasks wait.
	reader, _ := openQueue(t, path, tasks.Config{}, func(q *tasks.RiverQueue) { q.Register("block", block) })
	id, err := reader.Enqueue(ctx, "block", nil)
	if err != nil {
		t.Fatal(err)
	}
	if task, err := reader.Get(ctx, id); err != nil || task.State != tasks.Waiting {
		t.Fatalf("before cancel: %+v, %v", task, err)
	}
	task, err := reader.Cancel(ctx, id)
	if err != nil || task.State != tasks.Canceled || task.FinishedAt == nil {
		t.Fatalf("cancel of a waiting task: %+v, %v", task, err)
	}
	if _, err := reader.Cancel(ctx, id); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("second cancel: %v, want ErrConflict", err)
	}
	if _, err := reader.Cancel(ctx, id+100); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("cancel of a missing task: %v, want ErrNotFound", err)
	}

	_, _ = openQueue(t, path, tasks.Config{Workers: 1}, func(q *tasks.RiverQueue) { q.Register("block", block) })
	id2, err := reader.Enqueue(ctx, "block", nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-started:
		if got != id2 {
			t.Fatalf("started task %d, want %d (the canceled %d must never run)", got, id2, id)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the task never started")
	}
	waitTask(t, reader, id2, "running", func(x *tasks.Task) bool { return x.State == tasks.Running })
	if _, err := reader.Cancel(ctx, id2); err != nil {
		t.Fatal(err)
	}
	task = waitDone(t, reader, id2)
	if task.State != tasks.Canceled || !sawCancel.Load() {
		t.Fatalf("canceled running task = %+v (handler saw the cancel: %v)", task, sawCancel.Load())
	}
	list, err := reader.List(ctx, tasks.ListOptions{State: tasks.Canceled})
	if err != nil || len(list) != 2 || list[0].ID != id2 || list[1].ID != id {
		t.Errorf("List(canceled) = %+v, %v; want %d then %d", list, err, id2, id)
	}
}

// TestProgressAndLogBounded: progress and log lines are persisted while the task runs,
// and the log keeps only its last lines within the bounds.
func TestProgressAndLogBounded(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	const lines = 3 * tasks.MaxLogLines
	q, _ := openQueue(t, dbFile(t), tasks.Config{Workers: 1, FlushInterval: 50 * time.Millisecond}, func(q *tasks.RiverQueue) {
		q.Register("chatty", func(ctx context.Context, run tasks.Run) (any, error) {
			for i := range lines {
				run.Logf("line %d %s", i, strings.Repeat("x", 80))
			}
			run.SetProgress(tasks.Progress{DoneItems: 3, TotalItems: 10, DoneBytes: 300, TotalBytes: 1000})
			<-release
			run.Logf("last\nline")
			return nil, nil
		})
	})
	id, err := q.Enqueue(ctx, "chatty", nil)
	if err != nil {
		t.Fatal(err)
	}
	task := waitTask(t, q, id, "showed its progress", func(x *tasks.Task) bool { return x.Progress.DoneItems == 3 })
	if task.State != tasks.Running || task.Progress != (tasks.Progress{DoneItems: 3, TotalItems: 10, DoneBytes: 300, TotalBytes: 1000}) {
		t.Fatalf("running task = %+v", task)
	}
	check := func(task *tasks.Task, logged int, last string) {
		t.Helper()
		size := 0
		for _, l := range task.Log {
			size += len(l) + 1
		}
		if len(task.Log) > tasks.MaxLogLines || size > tasks.MaxLogBytes {
			t.Errorf("log of %d lines, %d bytes: over the bounds", len(task.Log), size)
		}
		if task.LogDropped+int64(len(task.Log)) != int64(logged) {
			t.Errorf("%d lines kept and %d counted dropped, want %d in all", len(task.Log), task.LogDropped, logged)
		}
		if got := task.Log[len(task.Log)-1]; got != last {
			t.Errorf("last line %q, want %q", got, last)
		}
	}
	check(task, lines, fmt.Sprintf("line %d %s", lines-1, strings.Repeat("x", 80)))
	close(release)
	task = waitDone(t, q, id)
	check(task, lines+2, "line")
	if task.Log[len(task.Log)-2] != "last" {
		t.Errorf("a multi-line Logf gave %q", task.Log[len(task.Log)-2:])
	}

	// A cut line stays valid UTF-8 within the bound.
	q2, _ := openQueue(t, dbFile(t), tasks.Config{Workers: 1}, func(q *tasks.RiverQueue) {
		q.Register("long", func(ctx context.Context, run tasks.Run) (any, error) {
			run.Logf("%s", strings.Repeat("é", 2*tasks.MaxLineBytes))
			return nil, nil
		})
	})
	id, err = q2.Enqueue(ctx, "long", nil)
	if err != nil {
		t.Fatal(err)
	}
	task = waitDone(t, q2, id)
	if len(task.Log) != 1 || len(task.Log[0]) > tasks.MaxLineBytes || !strings.HasSuffix(task.Log[0], "é…") {
		t.Errorf("long line: %d lines, first %d bytes, ends %q", len(task.Log), len(task.Log[0]), task.Log[0][max(0, len(task.Log[0])-8):])
	}
}

// TestWorkersBound: a queue runs at most Workers tasks at once.
func TestWorkersBound(t *testing.T) {
	ctx := context.Background()
	var running, peak atomic.Int32
	q, _ := openQueue(t, dbFile(t), tasks.Config{Workers: 2}, func(q *tasks.RiverQueue) {
		q.Register("slow", func(ctx context.Context, run tasks.Run) (any, error) {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(300 * time.Millisecond)
			running.Add(-1)
			return nil, nil
		})
	})
	var ids []int64
	for range 6 {
		id, err := q.Enqueue(ctx, "slow", nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if task := waitDone(t, q, id); task.State != tasks.Completed {
			t.Fatalf("task %+v", task)
		}
	}
	if p := peak.Load(); p != 2 {
		t.Errorf("peak of %d tasks at once, want 2", p)
	}
}

// TestTwoQueuesRunEachOnce: two queues on one database file (two processes' worth, each
// with its own pool) share the tasks; none runs twice.
func TestTwoQueuesRunEachOnce(t *testing.T) {
	ctx := context.Background()
	path := dbFile(t)
	var mu sync.Mutex
	runs := map[int64]int{}
	count := func(ctx context.Context, run tasks.Run) (any, error) {
		mu.Lock()
		runs[run.ID()]++
		mu.Unlock()
		time.Sleep(10 * time.Millisecond)
		return nil, nil
	}
	a, _ := openQueue(t, path, tasks.Config{Workers: 4}, func(q *tasks.RiverQueue) { q.Register("count", count) })
	b, _ := openQueue(t, path, tasks.Config{Workers: 4}, func(q *tasks.RiverQueue) { q.Register("count", count) })
	var ids []int64
	for i := range 60 {
		q := a
		if i%2 == 1 {
			q = b
		}
		id, err := q.Enqueue(ctx, "count", i)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if task := waitDone(t, a, id); task.State != tasks.Completed || task.Attempt != 1 {
			t.Fatalf("task %+v", task)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range ids {
		if runs[id] != 1 {
			t.Errorf("task %d ran %d times", id, runs[id])
		}
	}
	list, err := a.List(ctx, tasks.ListOptions{Kind: "count", Limit: 25})
	if err != nil || len(list) != 25 || list[0].ID != ids[len(ids)-1] {
		t.Fatalf("List(kind count, limit 25) = %d tasks, %v", len(list), err)
	}
	next, err := a.List(ctx, tasks.ListOptions{Kind: "count", Limit: 25, BeforeID: list[24].ID})
	if err != nil || len(next) != 25 || next[0].ID != list[24].ID-1 {
		t.Fatalf("second page: %d tasks, %v", len(next), err)
	}
}

// TestStaleTaskRescued: a task whose process stops beating its heartbeat (its database
// pool closed under it, as if it died) is run again by another queue, or failed when it
// has no attempts left, never left running.
func TestStaleTaskRescued(t *testing.T) {
	for _, tc := range []struct {
		attempts int
		want     tasks.State
	}{{2, tasks.Completed}, {1, tasks.Failed}} {
		t.Run(string(tc.want), func(t *testing.T) {
			ctx := context.Background()
			path := dbFile(t)
			cfg := tasks.Config{Workers: 1, MaxAttempts: tc.attempts, StaleAfter: 1200 * time.Millisecond}
			started, release := make(chan struct{}, 1), make(chan struct{})
			// The dying process's queue, opened by hand: it is never stopped (it cannot be,
			// with its pool gone), as a killed process is not.
			deadDB, err := sqlite.OpenDB(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			dead, err := tasks.Open(ctx, deadDB, cfg)
			if err != nil {
				t.Fatal(err)
			}
			dead.Register("job", func(ctx context.Context, run tasks.Run) (any, error) {
				started <- struct{}{}
				<-release
				return "from the dead", nil
			})
			if err := dead.Start(ctx); err != nil {
				t.Fatal(err)
			}
			id, err := dead.Enqueue(ctx, "job", nil)
			if err != nil {
				t.Fatal(err)
			}
			<-started
			deadDB.Close() // the process is gone: no heartbeat, no completion
			alive, _ := openQueue(t, path, cfg, func(q *tasks.RiverQueue) {
				q.Register("job", func(ctx context.Context, run tasks.Run) (any, error) { return "second", nil })
			})
			task := waitDone(t, alive, id)
			if task.State != tc.want {
				t.Fatalf("task = %+v, want %s", task, tc.want)
			}
			// The dead queue's handler returns; its River cannot record anything.
			close(release)
			time.Sleep(100 * time.Millisecond)
			if again, err := alive.Get(ctx, id); err != nil || again.State != tc.want {
				t.Errorf("after the dead handler returned: %+v, %v", again, err)
			}
			switch tc.want {
			case tasks.Completed:
				if task.Attempt != 2 || string(task.Result) != `"second"` || !strings.Contains(strings.Join(task.Log, "\n"), "no heartbeat") {
					t.Errorf("rescued task = %+v", task)
				}
			case tasks.Failed:
				if task.Attempt != 1 || !strings.Contains(task.Error, "no heartbeat") {
					t.Errorf("failed task = %+v", task)
				}
			}
		})
	}
}

// TestOpenTogether: processes starting together on a new database file take turns with
// River's migrations instead of failing.
func TestOpenTogether(t *testing.T) {
	path := dbFile(t)
	errc := make(chan error, 3)
	for range 3 {
		go func() {
			db, err := sqlite.OpenDB(context.Background(), path)
			if err != nil {
				errc <- err
				return
			}
			defer db.Close()
			_, err = tasks.Open(context.Background(), db, tasks.Config{})
			errc <- err
		}()
	}
	for range 3 {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
}

// TestStopPutsTaskBack: a queue stopping with a task running cancels it after the grace
// and puts it back to waiting without using an attempt, even when the handler's error
// does not say its context was canceled; the next queue runs it as its first attempt.
func TestStopPutsTaskBack(t *testing.T) {
	ctx := context.Background()
	path := dbFile(t)
	started := make(chan struct{}, 1)
	db, err := sqlite.OpenDB(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	first, err := tasks.Open(ctx, db, tasks.Config{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	first.Register("job", func(ctx context.Context, run tasks.Run) (any, error) {
		started <- struct{}{}
		<-ctx.Done()
		return nil, errors.New("interrupted") // wraps nothing
	})
	if err := first.Start(ctx); err != nil {
		t.Fatal(err)
	}
	id, err := first.Enqueue(ctx, "job", nil)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := first.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	next, _ := openQueue(t, path, tasks.Config{Workers: 1}, func(q *tasks.RiverQueue) {
		q.Register("job", func(ctx context.Context, run tasks.Run) (any, error) { return "done", nil })
	})
	task := waitDone(t, next, id)
	if task.State != tasks.Completed || task.Attempt != 1 {
		t.Fatalf("task after the stop and a new start = %+v, want completed on attempt 1", task)
	}
}

// BenchmarkTaskRoundTrip: enqueue a task that does nothing and wait until it is
// completed, with four workers: the queue's own cost per task (a River insert, fetch
// and completion, the task_runs row, the heartbeat goroutine), and the latency a CLI
// following a short task sees.
func BenchmarkTaskRoundTrip(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "pydepot.db")
	st, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	db, err := sqlite.OpenDB(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	q, err := tasks.Open(ctx, db, tasks.Config{Workers: 4})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan int64, 1024)
	q.Register("noop", func(ctx context.Context, run tasks.Run) (any, error) { done <- run.ID(); return nil, nil })
	if err := q.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer q.Stop(ctx)
	b.Run("one-at-a-time", func(b *testing.B) {
		for b.Loop() {
			if _, err := q.Enqueue(ctx, "noop", nil); err != nil {
				b.Fatal(err)
			}
			<-done
		}
	})
	b.Run("batch-of-100", func(b *testing.B) {
		for b.Loop() {
			for range 100 {
				if _, err := q.Enqueue(ctx, "noop", nil); err != nil {
					b.Fatal(err)
				}
			}
			for range 100 {
				<-done
			}
		}
		b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "tasks/s")
	})
}

// TestLongWriteLockKeepsTask: a write transaction holding the database longer than the
// stale period (a large Apply) stops every heartbeat, the live ones included; the task
// is not taken for dead when the lock goes, neither by its own process nor by another.
func TestLongWriteLockKeepsTask(t *testing.T) {
	ctx := context.Background()
	path := dbFile(t)
	cfg := tasks.Config{Workers: 1, StaleAfter: 1200 * time.Millisecond}
	started, release := make(chan struct{}, 1), make(chan struct{})
	var runs atomic.Int32
	handler := func(ctx context.Context, run tasks.Run) (any, error) {
		runs.Add(1)
		started <- struct{}{}
		select {
		case <-release:
			return "done", nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	a, _ := openQueue(t, path, cfg, func(q *tasks.RiverQueue) { q.Register("job", handler) })
	_, _ = openQueue(t, path, cfg, func(q *tasks.RiverQueue) { q.Register("job", handler) })
	id, err := a.Enqueue(ctx, "job", nil)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	holder, err := sqlite.OpenDB(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	tx, err := holder.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the write lock
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE task_runs SET log = log WHERE job_id = ?`, id); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * cfg.StaleAfter)
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * cfg.StaleAfter) // the reapers' passes after the lock
	close(release)
	task := waitDone(t, a, id)
	if task.State != tasks.Completed || task.Attempt != 1 || runs.Load() != 1 {
		t.Fatalf("after a long write lock: %+v, run %d times; want completed on its only attempt", task, runs.Load())
	}
}

// TestUnknownKindWaits: a queue does not take the tasks of kinds it has no handler for
// (a server of another version on the database): they wait, unharmed, for one that has.
func TestUnknownKindWaits(t *testing.T) {
	ctx := context.Background()
	path := dbFile(t)
	noop := func(ctx context.Context, run tasks.Run) (any, error) { return "ran", nil }
	_, _ = openQueue(t, path, tasks.Config{Workers: 2}, func(q *tasks.RiverQueue) { q.Register("old", noop) })
	enq, _ := openQueue(t, path, tasks.Config{}, func(q *tasks.RiverQueue) { q.Register("new", noop) })
	id, err := enq.Enqueue(ctx, "new", nil)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the "old" queue fetches every second
	if task, err := enq.Get(ctx, id); err != nil || task.State != tasks.Waiting || task.Attempt != 0 {
		t.Fatalf("a task of a kind no worker has: %+v, %v; want waiting, never tried", task, err)
	}
	_, _ = openQueue(t, path, tasks.Config{Workers: 1}, func(q *tasks.RiverQueue) { q.Register("new", noop) })
	if task := waitDone(t, enq, id); task.State != tasks.Completed || task.Attempt != 1 {
		t.Fatalf("task = %+v, want completed on attempt 1", task)
	}
}

// TestTakenOverAttemptLeavesTheNewOne: a process whose task was taken over while it was
// alive (paused past the stale period; here another queue with a shorter one) stops its
// attempt when it notices, and its end does not touch the row of the attempt that took
// over: the task completes once, with the new attempt's result.
func TestTakenOverAttemptLeavesTheNewOne(t *testing.T) {
	ctx := context.Background()
	path := dbFile(t)
	started := make(chan struct{}, 1)
	var stopped atomic.Bool
	slow, _ := openQueue(t, path, tasks.Config{Workers: 1, StaleAfter: time.Minute}, func(q *tasks.RiverQueue) {
		q.Register("job", func(ctx context.Context, run tasks.Run) (any, error) {
			started <- struct{}{}
			<-ctx.Done()
			stopped.Store(true)
			return nil, ctx.Err()
		})
	})
	id, err := slow.Enqueue(ctx, "job", nil)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	_, _ = openQueue(t, path, tasks.Config{Workers: 1, StaleAfter: 1200 * time.Millisecond}, func(q *tasks.RiverQueue) {
		q.Register("job", func(ctx context.Context, run tasks.Run) (any, error) {
			time.Sleep(3 * time.Second) // the first attempt notices meanwhile
			return "second", nil
		})
	})
	waitDone(t, slow, id)
	time.Sleep(time.Second) // the first attempt's end, if it were to write
	task, err := slow.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if task.State != tasks.Completed || task.Attempt != 2 || string(task.Result) != `"second"` || !stopped.Load() {
		t.Fatalf("task = %+v (first attempt stopped: %v); want completed by attempt 2", task, stopped.Load())
	}
}
