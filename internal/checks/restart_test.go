package checks_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/checks"
	"github.com/pydepot/pydepot/internal/metastore/sqlite"
	"github.com/pydepot/pydepot/internal/tasks"
)

// TestCheckRestart: a check whose server dies mid-way (its runner blocked, its queue's
// database pool closed under it, never stopped: as a killed process) is not left
// running: the next server's queue retries it, which stores a report, or fails it when
// it has no attempts left.
func TestCheckRestart(t *testing.T) {
	for _, tc := range []struct {
		attempts int
		want     tasks.State
	}{{2, tasks.Completed}, {1, tasks.Failed}} {
		t.Run(string(tc.want), func(t *testing.T) {
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
			fn, _ := upload(t, svc, "main", "alpha", "1.0")
			dbURL, _ := backends.DataURLs(dir)
			path, _ := backends.DatabasePath(dbURL)
			cfg := tasks.Config{Workers: 1, MaxAttempts: tc.attempts, StaleAfter: 1200 * time.Millisecond, FlushInterval: 10 * time.Millisecond}
			tmp := filepath.Join(dir, "tmp")
			os.MkdirAll(tmp, 0o700)

			// The server that dies.
			deadDB, err := sqlite.OpenDB(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			dead, err := tasks.Open(ctx, deadDB, cfg)
			if err != nil {
				t.Fatal(err)
			}
			blocked := &fakeRunner{block: make(chan struct{}), start: make(chan string, 1)}
			deadChecks := checks.New(svc, dead, blocked, checks.Options{TempDir: tmp})
			deadChecks.Register(dead)
			if err := dead.Start(ctx); err != nil {
				t.Fatal(err)
			}
			id, err := deadChecks.Queue(ctx, checks.Args{Repository: "main", Filename: fn})
			if err != nil {
				t.Fatal(err)
			}
			<-blocked.start
			if task, _ := dead.Get(ctx, id); task.State != tasks.Running {
				t.Fatalf("the check is %s, want running", task.State)
			}
			deadDB.Close() // killed: no heartbeat, no completion

			// The next server.
			db, err := sqlite.OpenDB(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			alive, err := tasks.Open(ctx, db, cfg)
			if err != nil {
				t.Fatal(err)
			}
			ch := checks.New(svc, alive, &fakeRunner{}, checks.Options{TempDir: tmp})
			ch.Register(alive)
			if err := alive.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { alive.Stop(context.Background()) })
			task := waitDone(t, alive, id)
			close(blocked.block) // the dead server's handler returns; nothing of it is recorded
			if task.State != tc.want {
				t.Fatalf("task %+v, want %s", task, tc.want)
			}
			rep, rerr := ch.Report(ctx, "main", fn)
			switch tc.want {
			case tasks.Completed:
				st, err := ch.Latest(ctx, "main", fn)
				if rerr != nil || rep.Verdict != "pass" || err != nil || st.Attempt != 2 || task.Attempt != 2 || !strings.Contains(strings.Join(task.Log, "\n"), "no heartbeat") {
					t.Errorf("retried check: task %+v, report %+v (%v), stored %+v", task, rep, rerr, st)
				}
			case tasks.Failed:
				if rerr == nil || !strings.Contains(task.Error, "no heartbeat") {
					t.Errorf("failed check: task %+v, report %+v", task, rep)
				}
			}
		})
	}
}
