package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/server/wire"
	"github.com/pydepot/pydepot/internal/tasks"
)

// taskEnv is the real stack with a task queue on the same database, running the kinds
// "ok" (result {"version": N}), "fail" and "block" (until canceled).
func taskEnv(t *testing.T) (*testEnv, tasks.Queue) {
	t.Helper()
	ctx := context.Background()
	data := t.TempDir()
	svc, closeFn, err := backends.OpenDir(ctx, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })
	db, _ := backends.DataURLs(data)
	q, closeQueue, err := backends.OpenQueue(ctx, db, tasks.Config{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	q.Register("ok", func(ctx context.Context, run tasks.Run) (any, error) {
		run.SetProgress(tasks.Progress{DoneItems: 1, TotalItems: 1})
		run.Logf("done")
		return map[string]int{"version": 3}, nil
	})
	q.Register("fail", func(ctx context.Context, run tasks.Run) (any, error) { return nil, errors.New("it broke") })
	q.Register("block", func(ctx context.Context, run tasks.Run) (any, error) { <-ctx.Done(); return nil, ctx.Err() })
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		q.Stop(sctx)
		closeQueue()
	})
	return newEnvOn(t, Config{Tasks: q}, svc, data, t.TempDir()), q
}

func getJSON(t *testing.T, e *testEnv, method, path, token string, want int, out any) string {
	t.Helper()
	var hs []string
	if token != "" {
		hs = append(hs, basic(token))
	}
	resp := e.request(method, path, nil, hs...)
	body := readBody(t, resp)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, body, want)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(body), out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, body)
		}
	}
	return body
}

// TestTasksAPI: /api/tasks lists (newest first, filtered by state and kind, in pages),
// shows (with progress, log, result, error) and cancels, for an admin of the server only.
func TestTasksAPI(t *testing.T) {
	e, queue := taskEnv(t)
	ctx := context.Background()
	ids := map[string]int64{}
	for _, kind := range []string{"ok", "fail", "block"} {
		id, err := queue.Enqueue(ctx, kind, map[string]string{"repository": "main"})
		if err != nil {
			t.Fatal(err)
		}
		ids[kind] = id
	}
	show := func(id int64) wire.Task {
		var task wire.Task
		getJSON(t, e, "GET", fmt.Sprintf("/api/tasks/%d", id), adminSecret, 200, &task)
		return task
	}
	wait := func(id int64, state string) wire.Task {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			task := show(id)
			if task.State == state {
				return task
			}
			if time.Now().After(deadline) {
				t.Fatalf("task %d: %+v, never %s", id, task, state)
			}
		}
	}
	ok := wait(ids["ok"], "completed")
	if compact(ok.Result) != `{"version":3}` || ok.Progress.DoneItems != 1 || len(ok.Log) != 1 || ok.Kind != "ok" || compact(ok.Args) != `{"repository":"main"}` {
		t.Errorf("completed task = %+v", ok)
	}
	if failed := wait(ids["fail"], "failed"); failed.Error != "it broke" {
		t.Errorf("failed task = %+v", failed)
	}
	wait(ids["block"], "running")
	var canceled wire.Task
	getJSON(t, e, "POST", fmt.Sprintf("/api/tasks/%d/cancel", ids["block"]), adminSecret, 200, &canceled)
	wait(ids["block"], "canceled")
	body := getJSON(t, e, "POST", fmt.Sprintf("/api/tasks/%d/cancel", ids["block"]), adminSecret, 409, nil)
	if !strings.Contains(body, "already canceled") {
		t.Errorf("second cancel: %s", body)
	}

	// ?state=&wait= holds the answer while the task is in that state; a done task is
	// answered at once.
	start := time.Now()
	var held wire.Task
	getJSON(t, e, "GET", fmt.Sprintf("/api/tasks/%d?state=completed&wait=300ms", ids["ok"]), adminSecret, 200, &held)
	if held.State != "completed" || time.Since(start) < 300*time.Millisecond {
		t.Errorf("held answer after %s: %+v", time.Since(start), held)
	}
	start = time.Now()
	getJSON(t, e, "GET", fmt.Sprintf("/api/tasks/%d?state=running&wait=5s", ids["ok"]), adminSecret, 200, &held)
	if held.State != "completed" || time.Since(start) > 2*time.Second {
		t.Errorf("a task not in the state seen is answered at once: after %s, %+v", time.Since(start), held)
	}

	var list wire.TaskList
	getJSON(t, e, "GET", "/api/tasks", adminSecret, 200, &list)
	if len(list.Tasks) != 3 || list.Tasks[0].ID != ids["block"] || list.Tasks[2].ID != ids["ok"] || list.Tasks[0].Log != nil || list.NextBefore != 0 {
		t.Errorf("list = %+v", list)
	}
	getJSON(t, e, "GET", "/api/tasks?state=failed", adminSecret, 200, &list)
	if len(list.Tasks) != 1 || list.Tasks[0].ID != ids["fail"] {
		t.Errorf("state=failed: %+v", list)
	}
	getJSON(t, e, "GET", "/api/tasks?kind=ok", adminSecret, 200, &list)
	if len(list.Tasks) != 1 || list.Tasks[0].ID != ids["ok"] {
		t.Errorf("kind=ok: %+v", list)
	}
	getJSON(t, e, "GET", "/api/tasks?limit=2", adminSecret, 200, &list)
	if len(list.Tasks) != 2 || list.NextBefore != list.Tasks[1].ID {
		t.Errorf("limit=2: %+v", list)
	}
	getJSON(t, e, "GET", fmt.Sprintf("/api/tasks?limit=2&before=%d", list.NextBefore), adminSecret, 200, &list)
	if len(list.Tasks) != 1 || list.Tasks[0].ID != ids["ok"] {
		t.Errorf("second page: %+v", list)
	}

	reader, _, _ := e.svc.CreateToken(ctx, "reader", index.ScopeRead, "")
	repoAdmin, _, _ := e.svc.CreateToken(ctx, "repo-admin", index.ScopeAdmin, "main")
	for _, tc := range []struct {
		method, path, token string
		status              int
		says                string
	}{
		{"GET", "/api/tasks", "", 401, "token is required"},
		{"GET", "/api/tasks", reader, 403, "does not grant admin"},
		{"GET", "/api/tasks/1", repoAdmin, 403, "does not grant admin"},
		{"POST", "/api/tasks/1/cancel", reader, 403, "does not grant admin"},
		{"GET", "/api/tasks?state=lost", adminSecret, 400, `unknown task state \"lost\"`},
		{"GET", "/api/tasks?limit=-1", adminSecret, 400, "want a positive number"},
		{"GET", "/api/tasks?before=x", adminSecret, 400, "want a positive number"},
		{"GET", "/api/tasks?kind=" + strings.Repeat("k", 65), adminSecret, 400, "at most 64"},
		{"GET", "/api/tasks/abc", adminSecret, 400, `task id \"abc\"`},
		{"GET", "/api/tasks/1?state=running&wait=soon", adminSecret, 400, `wait=\"soon\": want a duration`},
		{"GET", "/api/tasks/1?state=running&wait=-1s", adminSecret, 400, `want a duration`},
		{"GET", "/api/tasks/1?state=lost&wait=1s", adminSecret, 400, `state=\"lost\": not a task state`},
		{"GET", "/api/tasks/99999", adminSecret, 404, "task 99999"},
		{"POST", "/api/tasks/99999/cancel", adminSecret, 404, "task 99999"},
	} {
		body := getJSON(t, e, tc.method, tc.path, tc.token, tc.status, nil)
		if !strings.Contains(body, tc.says) {
			t.Errorf("%s %s: %s, want it to say %q", tc.method, tc.path, body, tc.says)
		}
	}
}

// TestTasksOff: a server built without a queue answers /api/tasks with 503 naming that
// tasks are off, after checking the token as usual.
func TestTasksOff(t *testing.T) {
	e := newEnv(t, Config{})
	for _, path := range []string{"/api/tasks", "/api/tasks/1"} {
		body := getJSON(t, e, "GET", path, adminSecret, 503, nil)
		if !strings.Contains(body, "tasks are off") {
			t.Errorf("GET %s: %s", path, body)
		}
	}
	getJSON(t, e, "POST", "/api/tasks/1/cancel", adminSecret, 503, nil)
	getJSON(t, e, "GET", "/api/tasks", "", 401, nil)
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
