package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeRunsSyncTasks: `pydepot serve` runs a sync as a task on its queue, and
// `pydepot sync` follows it (plain lines: not a terminal) and prints its result; the
// task shows in `pydepot task list --kind sync`.
func TestServeRunsSyncTasks(t *testing.T) {
	upstream := startServer(t)
	mustRun(t, upstream, "upload", systemWheel(t, "wheel-0.38.4-py3-none-any.whl"))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	senv, _, serr := testEnv(map[string]string{"PYDEPOT_DATA": t.TempDir(), "PYDEPOT_LISTEN": "127.0.0.1:0", "PYDEPOT_ADMIN_TOKEN": testAdmin})
	done := make(chan int, 1)
	go func() { done <- Main(ctx, []string{"serve"}, senv) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	urlRE := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)/`)
	var sink string
	for deadline := time.Now().Add(20 * time.Second); sink == ""; time.Sleep(50 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(serr.String()); m != nil {
			sink = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %s", serr.String())
		}
	}
	mustRun(t, sink, "remote", "create", "up", "--url", upstream+"/simple/", "--include", "wheel")
	code, out, errb := cliRun(t, sink, testAdmin, "sync", "main", "--remote", "up")
	if code != 0 || !strings.Contains(out, "version 1: 1 added") || !strings.Contains(errb, "sync task 1 started") || !strings.Contains(errb, "task 1 (sync): completed") {
		t.Fatalf("sync: exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
	if out := mustRun(t, sink, "task", "list", "--kind", "sync"); !strings.Contains(out, "completed") || !strings.Contains(out, "1 items") {
		t.Errorf("task list --kind sync:\n%s", out)
	}
	if out := mustRun(t, sink, "sync", "main", "--remote", "up", "--no-wait"); !strings.Contains(out, "sync task 2 started") {
		t.Errorf("sync --no-wait: %s", out)
	}
}
