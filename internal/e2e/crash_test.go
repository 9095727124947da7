package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestSyncResumesAfterSIGKILL: a server syncs the pydepot upstream through an nginx proxy
// that sends every response at 24 KB/s, so the small files land at once and the four
// ~150 KB ones take seconds. It is SIGKILLed as soon as the first file is stored, restarted
// on the same data, and synced again. The result equals an uninterrupted sync (every field
// of every page, and the upstream's own pages), and `pydepot gc --dry-run --grace 0s`
// finds nothing to remove: no blob the killed sync left is unreferenced.
func TestSyncResumesAfterSIGKILL(t *testing.T) {
	t.Parallel()
	c := buildMirrorCorpus(t)
	up := sharedUpstream(t, "pydepot")
	slow := startSlowProxy(t, up)

	bin, data, logPath := pydepotBin(t), t.TempDir(), filepath.Join(t.TempDir(), "serve.log")
	start := func() *server {
		t.Helper()
		// The task the kill interrupts is retried once it shows no sign of life for 6 s
		// (instead of 30), so the test does not wait long for it.
		s, err := launchServer(bin, data, freeAddr(t), logPath, "PYDEPOT_TASK_STALE_AFTER=6s")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			s.stop()
			if t.Failed() {
				t.Logf("server log:\n%s", s.logText())
			}
		})
		return s
	}
	stored := func(s *server) (n int) {
		for _, d := range c.Dists {
			if s.blobStored(t, fileSHA(t, d.Path)) {
				n++
			}
		}
		return n
	}

	s := start()
	s.cli(t, "remote", "create", "slow", "--url", slow.Simple)
	s.mirrorRepo(t, "crashed")
	// --no-wait returns once the task is queued; the command runs on its own anyway, so
	// that the kill lands mid-sync however the server runs it.
	syncCmd := exec.Command(bin, "sync", "crashed", "--remote", "slow", "--no-wait")
	syncCmd.Env = commandEnv(s.adminEnv())
	var syncOut bytes.Buffer
	syncCmd.Stdout, syncCmd.Stderr = &syncOut, &syncOut
	if err := syncCmd.Start(); err != nil {
		t.Fatal(err)
	}
	syncDone := make(chan error, 1)
	go func() { syncDone <- syncCmd.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	// The kill lands as soon as the sync has a file: stored, or downloaded and waiting
	// for its batch's commit (blobs are made durable per batch, so on a fast machine the
	// first file may be stored only with the last).
	for stored(s) == 0 && syncDoneItems(t, s) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the sync fetched no file within 2 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.kill()
	select {
	case err := <-syncDone:
		t.Logf("pydepot sync --no-wait: %v\n%s", err, syncOut.String())
	case <-time.After(time.Minute):
		_ = syncCmd.Process.Kill()
		t.Fatalf("pydepot sync --no-wait still running a minute after the server died")
	}
	if n := stored(s); n == len(c.Dists) {
		t.Fatalf("the SIGKILL landed after the sync had stored all %d files: not a crash in the middle", n)
	} else {
		t.Logf("killed with %d of %d files stored", n, len(c.Dists))
	}

	s = start()
	s.cli(t, "sync", "crashed", "--remote", "slow")
	waitTasksIdle(t, s)
	ref := s.syncFrom(t, "ref", up)
	crashed := s.URL + "/crashed/simple/"
	if a, b := projectNames(t, crashed), projectNames(t, ref); !reflect.DeepEqual(a, b) {
		t.Errorf("after the crash and a re-sync the mirror lists %v; an uninterrupted sync %v", a, b)
	}
	for _, p := range c.Projects() {
		page := projectPage(t, crashed, p)
		samePages(t, p, page, projectPage(t, ref, p))
		samePages(t, p, page, projectPage(t, up.Simple, p))
	}
	s.stop()
	out := run(t, "", nil, bin, "gc", "--data", data, "--dry-run", "--grace", "0s")
	if !strings.HasPrefix(out, "would remove 0 unreferenced blob(s)") {
		t.Errorf("gc --dry-run after the crash and re-sync:\n%s", out)
	}
}

// waitTasksIdle waits (up to 2 minutes) until s's /api/tasks shows no task waiting or
// running: a task the SIGKILL interrupted may be retried after the restart.
func waitTasksIdle(t *testing.T, s *server) {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		req, err := http.NewRequest("GET", s.URL+"/api/tasks", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+s.Token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable && strings.Contains(string(body), "tasks are off") {
			return // no task queue: the sync ran in its request, nothing can be retried
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/tasks: %d\n%s", resp.StatusCode, body)
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("GET /api/tasks: %v\n%s", err, body)
		}
		busy := busyTasks(v)
		if len(busy) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("tasks still busy after 2 minutes: %v", busy)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// busyTasks returns the objects anywhere in v whose "state" is waiting or running.
func busyTasks(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if st, _ := x["state"].(string); st == "waiting" || st == "running" {
			out = append(out, fmt.Sprintf("task %v (%v) %s", x["id"], x["kind"], st))
		}
		for _, e := range x {
			out = append(out, busyTasks(e)...)
		}
	case []any:
		for _, e := range x {
			out = append(out, busyTasks(e)...)
		}
	}
	return out
}

// syncDoneItems is the done_items of the newest task of s (0 while there is none).
func syncDoneItems(t *testing.T, s *server) int64 {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	req, err := http.NewRequest("GET", s.URL+"/api/tasks?limit=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var out struct {
		Tasks []struct {
			Progress struct {
				DoneItems int64 `json:"done_items"`
			} `json:"progress"`
		} `json:"tasks"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out) != nil || len(out.Tasks) == 0 {
		return 0
	}
	return out.Tasks[0].Progress.DoneItems
}
