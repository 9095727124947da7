package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCheckSurvivesSIGKILL: a check running in a `pydepot serve` that is SIGKILLed is
// not left running: the restarted server sees its heartbeat stale, runs it again, and
// it completes on its second attempt with a stored report; the killed attempt's folder
// is removed. The check pipeline is the test runner of binaries built with
// -tags pydepot_testkinds (PYDEPOT_TEST_CHECK_UNTIL).
func TestCheckSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "pydepot")
	if out, err := exec.Command("go", "build", "-tags", "pydepot_testkinds", "-o", bin, "../../cmd/pydepot").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := t.TempDir()
	marker := filepath.Join(t.TempDir(), "go-on")
	env := []string{"PYDEPOT_TASK_STALE_AFTER=3s", "PYDEPOT_TEST_CHECK_UNTIL=" + marker}
	first := startServeProc(t, bin, data, env...)
	wheel := systemWheel(t, "wheel-0.38.4-py3-none-any.whl")
	if code, out, errb := cliRun(t, first.url, mpToken, "upload", wheel); code != 0 {
		t.Fatalf("upload: %d %s %s", code, out, errb)
	}
	code, out, errb := cliRun(t, first.url, mpToken, "check", "main", filepath.Base(wheel), "--no-wait")
	m := regexp.MustCompile(`check task (\d+) started`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("check --no-wait: %d %s %s", code, out, errb)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if task := apiTask(t, first.url, id); task.State == "running" && task.Progress.DoneItems > 0 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the check never ran: %+v", task)
		}
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	second := startServeProc(t, bin, data, env...)
	task := waitTaskDone(t, second.url, id)
	log := strings.Join(task.Log, "\n")
	if task.State != "completed" || task.Attempt != 2 || !strings.Contains(log, "no heartbeat") || !strings.Contains(log, "found it") {
		t.Fatalf("check after the restart = %+v", task)
	}
	var res struct {
		Report  int64  `json:"report"`
		Verdict string `json:"verdict"`
	}
	if err := json.Unmarshal(task.Result, &res); err != nil || res.Verdict != "pass" || res.Report == 0 {
		t.Fatalf("result %s: %v", task.Result, err)
	}
	// The killed attempt's folder went at the restart, the second's when it ended.
	if left, _ := filepath.Glob(filepath.Join(data, "tmp", "check-*")); len(left) != 0 {
		t.Errorf("check folders left: %v", left)
	}
	code, out, errb = cliRun(t, second.url, mpToken, "check", "main", filepath.Base(wheel), "--json")
	if code != 0 || !strings.Contains(out, `"verdict": "pass"`) {
		t.Errorf("a check on the restarted server: %d %s %s", code, out, errb)
	}
}
