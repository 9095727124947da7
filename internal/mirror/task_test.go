package mirror_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
	"github.com/pydepot/pydepot/internal/tasks"
)

// TestSyncTask: StartSync enqueues a "sync" task on the real queue (River on the same
// SQLite database); the task runs the sync, reports progress and stores the result.
func TestSyncTask(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	svc, closeFn, err := backends.OpenDir(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })
	if err := svc.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	dbURL, _ := backends.DataURLs(dir)
	q, closeQ, err := backends.OpenQueue(ctx, dbURL, tasks.Config{Workers: 1, FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeQ() })
	m := mirror.New(svc, mirror.Options{TempDir: filepath.Join(dir, "tmp")})
	m.Register(q)
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()) })

	up := indextest.New(t, writeAll(t, dist{name: "alpha", version: "1.0"}, dist{name: "alpha", version: "2.0"}), indextest.Options{})
	if _, err := m.CreateRemote(ctx, mirror.Remote{Name: "up", URL: up.SimpleURL, Includes: []string{"alpha"}}); err != nil {
		t.Fatal(err)
	}
	id, res, err := m.StartSync(ctx, mirror.SyncRequest{Repository: "main", Remote: "up"})
	if err != nil || id == 0 || res != nil {
		t.Fatalf("StartSync = %d, %v, %v", id, res, err)
	}
	var task *tasks.Task
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if task, err = q.Get(ctx, id); err != nil {
			t.Fatal(err)
		}
		if task.State.Done() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task still %s", task.State)
		}
	}
	if task.State != tasks.Completed || task.Kind != mirror.TaskKind {
		t.Fatalf("task %+v", task)
	}
	var out mirror.SyncResult
	if err := json.Unmarshal(task.Result, &out); err != nil || out.Added != 2 || out.Version != 1 {
		t.Fatalf("result %s: %v", task.Result, err)
	}
	if p := task.Progress; p.DoneItems != 2 || p.TotalItems != 2 || p.DoneBytes <= 0 || p.TotalBytes != p.DoneBytes {
		t.Errorf("progress %+v", task.Progress)
	}
	// A sync that fails fails its task, with a log line per failed file.
	if _, err := m.UpdateRemote(ctx, "up", mirror.RemoteUpdate{Includes: &[]string{"alpha", "missing"}}); err != nil {
		t.Fatal(err)
	}
	id, _, _ = m.StartSync(ctx, mirror.SyncRequest{Repository: "main", Remote: "up"})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if task, _ = q.Get(ctx, id); task.State.Done() || time.Now().After(deadline) {
			break
		}
	}
	if task.State != tasks.Failed || len(task.Log) == 0 {
		t.Errorf("failing sync task: %s, error %q, log %q", task.State, task.Error, task.Log)
	}
}
