package tasks_test

import (
	"context"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/tasks"
)

// TestWaitChange: asked with the state a follower has seen, WaitChange answers as soon
// as the task leaves it (well before the wait), holds the answer while it stays, and
// answers at once without a state or for a task already elsewhere.
func TestWaitChange(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	q, _ := openQueue(t, dbFile(t), tasks.Config{Workers: 1}, func(q *tasks.RiverQueue) {
		q.Register("hold", func(ctx context.Context, run tasks.Run) (any, error) {
			<-release
			return "done", nil
		})
	})
	id, err := q.Enqueue(ctx, "hold", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitTask(t, q, id, "ran", func(x *tasks.Task) bool { return x.State == tasks.Running })

	// Still running: the answer is held for the wait.
	start := time.Now()
	got, err := tasks.WaitChange(ctx, q, id, tasks.Running, 300*time.Millisecond)
	if err != nil || got.State != tasks.Running {
		t.Fatalf("held: %+v, %v", got, err)
	}
	if held := time.Since(start); held < 300*time.Millisecond {
		t.Errorf("answered after %s, the wait was 300ms", held)
	}
	// Without a state: at once.
	start = time.Now()
	if got, err = tasks.WaitChange(ctx, q, id, "", 5*time.Second); err != nil || time.Since(start) > 2*time.Second {
		t.Errorf("no state: %+v, %v after %s", got, err, time.Since(start))
	}

	// The task ends while a follower waits on "running": it learns of it at once.
	done := make(chan *tasks.Task, 1)
	start = time.Now()
	go func() {
		got, err := tasks.WaitChange(ctx, q, id, tasks.Running, 8*time.Second)
		if err != nil {
			t.Error(err)
		}
		done <- got
	}()
	time.Sleep(100 * time.Millisecond)
	close(release)
	got = <-done
	if got == nil || got.State != tasks.Completed {
		t.Fatalf("after the end: %+v", got)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("the end was learnt after %s of an 8s wait", took)
	}
	// A wait on a state the task is not in answers at once.
	start = time.Now()
	if got, err = tasks.WaitChange(ctx, q, id, tasks.Running, 5*time.Second); err != nil || got.State != tasks.Completed || time.Since(start) > 2*time.Second {
		t.Errorf("done task: %+v, %v after %s", got, err, time.Since(start))
	}
}
