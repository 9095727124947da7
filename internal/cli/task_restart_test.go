package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/server/wire"
	"github.com/pydepot/pydepot/internal/tasks"
)

// serveProc is a `pydepot serve` process a test can kill.
type serveProc struct {
	cmd  *exec.Cmd
	url  string
	logs *syncBuffer
	done chan struct{}
}

// startServeProc runs `pydepot serve` on data with extra environment and waits until it
// answers.
func startServeProc(t *testing.T, bin, data string, env ...string) *serveProc {
	t.Helper()
	addr := freeAddr(t)
	p := &serveProc{cmd: exec.Command(bin, "serve", "--data", data, "--listen", addr), url: "http://" + addr, logs: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = append(append(os.Environ(), "PYDEPOT_ADMIN_TOKEN="+mpToken, "HOME="+t.TempDir()), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("server %s log:\n%s", addr, p.logs.String())
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := mpClient.Get(p.url + "/simple/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("pydepot serve exited:\n%s", p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pydepot serve on %s did not start:\n%s", addr, p.logs.String())
		}
	}
}

// apiTask reads a task over HTTP with the admin token.
func apiTask(t *testing.T, url string, id int64) wire.Task {
	t.Helper()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/tasks/%d", url, id), nil)
	req.SetBasicAuth("__token__", mpToken)
	resp, err := mpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var task wire.Task
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&task) != nil {
		t.Fatalf("GET task %d: %d", id, resp.StatusCode)
	}
	return task
}

// TestTaskSurvivesSIGKILL: a task running in a `pydepot serve` that is SIGKILLed is not
// left running: after the restart the server sees its heartbeat stale, runs it again,
// and it completes on its second attempt. The CLI lists, shows, follows and cancels
// tasks on that server (plain lines: not a terminal), and follow's exit status says how
// a task ended. The test kind "test.block" exists only in binaries built with
// -tags pydepot_testkinds.
func TestTaskSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "pydepot")
	if out, err := exec.Command("go", "build", "-tags", "pydepot_testkinds", "-o", bin, "../../cmd/pydepot").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := t.TempDir()
	stale := []string{"PYDEPOT_TASK_STALE_AFTER=3s"}
	first := startServeProc(t, bin, data, stale...)

	// The test enqueues as another process would (the kinds are the server's; this
	// queue runs none).
	ctx := context.Background()
	dbURL, _ := backends.DataURLs(data)
	q, closeQueue, err := backends.OpenQueue(ctx, dbURL, tasks.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeQueue()
	q.Register("test.block", func(context.Context, tasks.Run) (any, error) { return nil, nil })
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Stop(ctx)
	marker := filepath.Join(t.TempDir(), "go-on")
	id, err := q.Enqueue(ctx, "test.block", map[string]string{"until_file": marker})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if task := apiTask(t, first.url, id); task.State == "running" && task.Progress.DoneItems > 0 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("task never ran: %+v", task)
		}
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done
	if task, err := q.Get(ctx, id); err != nil || task.State != tasks.Running {
		t.Fatalf("after SIGKILL the database says %+v, %v; want running (the process died without a word)", task, err)
	}
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	killedAt := time.Now()
	second := startServeProc(t, bin, data, stale...)
	task := waitTaskDone(t, second.url, id)
	log := strings.Join(task.Log, "\n")
	if task.State != "completed" || task.Attempt != 2 || !strings.Contains(log, "no heartbeat") || !strings.Contains(log, "found it") {
		t.Fatalf("task after the restart = %+v", task)
	}
	t.Logf("retried and completed %s after the SIGKILL", time.Since(killedAt).Round(100*time.Millisecond))

	cli := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "PYDEPOT_URL="+second.url, "PYDEPOT_TOKEN="+mpToken, "HOME="+t.TempDir())
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String()
	}
	sid := fmt.Sprint(id)
	if code, out := cli("task", "list"); code != 0 || !strings.Contains(out, sid+"  ") || !strings.Contains(out, "completed") {
		t.Errorf("task list: %d\n%s", code, out)
	}
	if code, out := cli("task", "show", sid); code != 0 || !strings.Contains(out, "test.block, completed (attempt 2)") || !strings.Contains(out, "found it") {
		t.Errorf("task show: %d\n%s", code, out)
	}
	if code, out := cli("task", "show", sid, "--follow"); code != 0 || !strings.Contains(out, "completed") {
		t.Errorf("task show --follow of a completed task: %d\n%s", code, out)
	}
	failing, err := q.Enqueue(ctx, "test.block", map[string]string{"fail": "it broke on purpose"})
	if err != nil {
		t.Fatal(err)
	}
	if code, out := cli("task", "show", fmt.Sprint(failing), "--follow"); code != ExitTaskFailed || !strings.Contains(out, "it broke on purpose") {
		t.Errorf("following a failing task: exit %d\n%s", code, out)
	}
	blocked, err := q.Enqueue(ctx, "test.block", map[string]string{"until_file": marker + ".never"})
	if err != nil {
		t.Fatal(err)
	}
	followed := make(chan string, 1)
	go func() {
		code, out := cli("task", "show", fmt.Sprint(blocked), "--follow")
		followed <- fmt.Sprintf("exit %d\n%s", code, out)
	}()
	for deadline := time.Now().Add(30 * time.Second); apiTask(t, second.url, blocked).State != "running"; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the blocking task never ran")
		}
	}
	// Ctrl-C stops following, not the task.
	interrupted := exec.Command(bin, "task", "show", fmt.Sprint(blocked), "--follow")
	interrupted.Env = append(os.Environ(), "PYDEPOT_URL="+second.url, "PYDEPOT_TOKEN="+mpToken, "HOME="+t.TempDir())
	var iout bytes.Buffer
	interrupted.Stdout, interrupted.Stderr = &iout, &iout
	if err := interrupted.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	interrupted.Process.Signal(os.Interrupt)
	if err := interrupted.Wait(); interrupted.ProcessState.ExitCode() != ExitInterrupted || !strings.Contains(iout.String(), "it goes on") {
		t.Errorf("following interrupted: %v, exit %d\n%s", err, interrupted.ProcessState.ExitCode(), iout.String())
	}
	if state := apiTask(t, second.url, blocked).State; state != "running" {
		t.Errorf("after Ctrl-C of a follower the task is %s, want running", state)
	}
	if code, out := cli("task", "cancel", fmt.Sprint(blocked)); code != 0 || !strings.Contains(out, "stopping") {
		t.Errorf("task cancel: %d\n%s", code, out)
	}
	select {
	case got := <-followed:
		if !strings.HasPrefix(got, fmt.Sprintf("exit %d\n", ExitTaskCanceled)) || !strings.Contains(got, "waiting for") || !strings.Contains(got, "was canceled") {
			t.Errorf("following a task that gets canceled: %s", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("follow did not end after the cancel")
	}
	if code, out := cli("task", "cancel", fmt.Sprint(blocked)); code == 0 || !strings.Contains(out, "already canceled") {
		t.Errorf("second cancel: %d\n%s", code, out)
	}
	if code, out := cli("__complete", "task", "show", ""); code != 0 || !strings.Contains(out, sid+"\ttest.block, completed") {
		t.Errorf("completion of task IDs: %d\n%s", code, out)
	}
	if code, out := cli("__complete", "task", "list", "--kind", ""); code != 0 || !strings.Contains(out, "test.block\n") {
		t.Errorf("completion of task kinds: %d\n%s", code, out)
	}
}

// waitTaskDone polls task id of the server at url until it reaches a final state, for up
// to a minute after a restart.
func waitTaskDone(t *testing.T, url string, id int64) wire.Task {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		task := apiTask(t, url, id)
		if wire.TaskDone(task.State) {
			return task
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %d still %s a minute after the restart: %+v", id, task.State, task)
		}
	}
}
