package backends_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/tasks"
)

// TestOpenQueue: the task queue opens in the data directory's database, beside the
// store, and runs a task; a database URL it cannot serve is refused.
func TestOpenQueue(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, closeIndex, err := backends.OpenDir(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeIndex()
	dbURL, _ := backends.DataURLs(dir)
	q, closeQueue, err := backends.OpenQueue(ctx, dbURL, tasks.Config{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer closeQueue()
	q.Register("noop", func(ctx context.Context, run tasks.Run) (any, error) { return 1, nil })
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Stop(ctx)
	id, err := q.Enqueue(ctx, "noop", nil)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		task, err := q.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if task.State == tasks.Completed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %+v never completed", task)
		}
	}
	if _, _, err := backends.OpenQueue(ctx, "postgres://db/pydepot", tasks.Config{}); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("OpenQueue(postgres://) = %v, want ErrInvalid", err)
	}
}
