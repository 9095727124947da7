package cli

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/checks"
	"github.com/pydepot/pydepot/internal/server"
	"github.com/pydepot/pydepot/internal/tasks"
)

// scriptedRunner is a Runner written for the tests: its report depends on the filename
// (a high finding for names in fail, an error for names in broken).
type scriptedRunner struct{ fail, broken string }

func (s scriptedRunner) Check(ctx context.Context, in checkreport.Input) (*checkreport.Report, error) {
	if strings.HasPrefix(in.Filename, s.broken) {
		return nil, errors.New("the sandbox could not start")
	}
	if in.Progress != nil {
		in.Progress(1, 2)
	}
	if err := os.WriteFile(filepath.Join(in.Dir, "trace"), []byte("execve(...)\n"), 0o644); err != nil {
		return nil, err
	}
	r := &checkreport.Report{
		Tasks: []checkreport.Task{
			{Name: checkreport.StepInstall, Status: checkreport.Passed, DurationMS: 12, Produces: []string{"env"}},
			{Name: checkreport.StepImport, Status: checkreport.Passed, DurationMS: 3, Needs: []string{"env"}},
		},
		Tests: checkreport.Tests{Passed: 4},
		Raw:   []checkreport.Raw{{Task: checkreport.StepInstall, Name: "install.trace", Path: "trace"}},
	}
	if strings.HasPrefix(in.Filename, s.fail) {
		r.Findings = []checkreport.Finding{{Task: checkreport.StepInstall, Kind: checkreport.Exec, Severity: checkreport.High, Detail: "spawned /bin/sh"}}
	}
	return r, nil
}

// startCheckServer runs the index, a task queue and the checks service with runner
// in-process, as serve wires them, and returns the server's URL.
func startCheckServer(t *testing.T, runner checkreport.Runner) string {
	t.Helper()
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
	if _, err := svc.Bootstrap(ctx, testAdmin); err != nil {
		t.Fatal(err)
	}
	dbURL, _ := backends.DataURLs(dir)
	q, closeQ, err := backends.OpenQueue(ctx, dbURL, tasks.Config{Workers: 1, FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeQ() })
	ch := checks.New(svc, q, runner, checks.Options{TempDir: t.TempDir()})
	ch.Register(q)
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()) })
	srv := httptest.NewServer(server.New(svc, server.Config{Tasks: q, Checks: ch, TempDir: t.TempDir(), StateTTL: -1}, nil))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestCheckCommand: `pydepot check` runs the check as a task, follows it, and prints
// the report; --json prints exactly the report's JSON shape; a fail verdict exits 3, a
// task that fails exits 1; --no-wait only starts the task.
func TestCheckCommand(t *testing.T) {
	url := startCheckServer(t, scriptedRunner{fail: "pip-", broken: "setuptools-"})
	good := systemWheel(t, "wheel-0.38.4-py3-none-any.whl")
	mustRun(t, url, "upload", good)
	name := filepath.Base(good)

	code, out, errb := cliRun(t, url, testAdmin, "check", "main", name, "--json")
	if code != 0 {
		t.Fatalf("check --json: exit %d\n%s\n%s", code, out, errb)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &top); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"file", "verdict", "tasks", "findings", "tests"} {
		if _, ok := top[k]; !ok {
			t.Errorf("--json lacks %q: %s", k, out)
		}
	}
	var rep struct {
		File    string `json:"file"`
		Verdict string `json:"verdict"`
		Tasks   []struct {
			Name       string   `json:"name"`
			Status     string   `json:"status"`
			DurationMS *int64   `json:"duration_ms"`
			Needs      []string `json:"needs"`
			Produces   []string `json:"produces"`
		} `json:"tasks"`
		Findings []map[string]string `json:"findings"`
		Tests    map[string]int      `json:"tests"`
	}
	json.Unmarshal([]byte(out), &rep)
	if rep.File != name || rep.Verdict != "pass" || len(rep.Tasks) != 2 || rep.Tasks[0].DurationMS == nil || *rep.Tasks[0].DurationMS != 12 ||
		!slices.Equal(rep.Tasks[0].Produces, []string{"env"}) || rep.Tasks[1].Needs[0] != "env" || rep.Findings == nil || rep.Tests["passed"] != 4 {
		t.Errorf("report %s", out)
	}
	if !strings.Contains(errb, "check task 1 started") || !strings.Contains(errb, "task 1 (check): completed") {
		t.Errorf("stderr: %s", errb)
	}

	// For people; the verdict fail exits 3.
	mustRun(t, url, "upload", systemWheel(t, "pip-23.0.1-py3-none-any.whl"))
	code, out, errb = cliRun(t, url, testAdmin, "check", "main", "pip-23.0.1-py3-none-any.whl")
	if code != ExitCheckFailed || !strings.Contains(out, "pip-23.0.1-py3-none-any.whl (main): fail") || !strings.Contains(out, "high") ||
		!strings.Contains(out, "spawned /bin/sh") || !strings.Contains(out, "tests: 4 passed") || !strings.Contains(out, "raw install.trace") || !strings.Contains(errb, "the check failed") {
		t.Errorf("check of a failing file: exit %d\n%s\n%s", code, out, errb)
	}
	// A check that cannot run fails its task: exit 1.
	sw := systemWheel(t, "setuptools-66.1.1-py3-none-any.whl")
	mustRun(t, url, "upload", sw)
	code, _, errb = cliRun(t, url, testAdmin, "check", "main", filepath.Base(sw))
	if code != ExitTaskFailed || !strings.Contains(errb, "the sandbox could not start") {
		t.Errorf("broken check: exit %d\n%s", code, errb)
	}
	if out := mustRun(t, url, "check", "main", name, "--no-wait"); !strings.Contains(out, "check task 4 started") {
		t.Errorf("--no-wait: %s", out)
	}
	if out := mustRun(t, url, "task", "list", "--kind", "check"); strings.Count(out, "  check  ") != 4 || !strings.Contains(out, "completed") || !strings.Contains(out, "1/2 items") {
		t.Errorf("task list --kind check:\n%s", out)
	}
	// A repository's admin may start a check but not follow the server-wide task.
	repoAdmin := strings.TrimSpace(mustRun(t, url, "token", "create", "ra", "--scope", "admin", "--repository", "main"))
	if i := strings.LastIndex(repoAdmin, "pyd_"); i >= 0 {
		repoAdmin = strings.Fields(repoAdmin[i:])[0]
	}
	if code, _, errb := cliRun(t, url, repoAdmin, "check", "main", name); code == 0 || !strings.Contains(errb, "started, but following it needs an admin token on every repository") {
		t.Errorf("check by a repository admin: exit %d %s", code, errb)
	}
	// Refusals: no token, an unknown file.
	if code, _, errb := cliRun(t, url, "", "check", "main", name); code == 0 || !strings.Contains(errb, "401") {
		t.Errorf("without a token: exit %d %s", code, errb)
	}
	if code, _, errb := cliRun(t, url, testAdmin, "check", "main", "nope-1.0-py3-none-any.whl"); code == 0 || !strings.Contains(errb, "404") {
		t.Errorf("unknown file: exit %d %s", code, errb)
	}
}

// TestCheckSettingsCommands: repo create/update --check-on-upload and distribution
// create/update --require-checks reach the server and show in repo show and
// distribution show.
func TestCheckSettingsCommands(t *testing.T) {
	url := startCheckServer(t, scriptedRunner{})
	if out := mustRun(t, url, "repo", "create", "vetted", "--check-on-upload"); !strings.Contains(out, "every upload is checked") {
		t.Errorf("repo create: %s", out)
	}
	if out := mustRun(t, url, "repo", "show", "vetted"); !strings.Contains(out, "checks:       on upload") {
		t.Errorf("repo show: %s", out)
	}
	if out := mustRun(t, url, "repo", "update", "vetted", "--check-on-upload=false"); !strings.Contains(out, "no longer checked") {
		t.Errorf("repo update: %s", out)
	}
	if out := mustRun(t, url, "repo", "show", "vetted"); !strings.Contains(out, "only when asked") {
		t.Errorf("repo show after update: %s", out)
	}
	if code, _, errb := cliRun(t, url, testAdmin, "repo", "update", "vetted"); code == 0 || !strings.Contains(errb, "nothing to change") {
		t.Errorf("repo update without a flag: %d %s", code, errb)
	}
	if out := mustRun(t, url, "distribution", "create", "prod", "--repository", "vetted", "--require-checks"); !strings.Contains(out, "only files whose check passed") {
		t.Errorf("distribution create: %s", out)
	}
	if out := mustRun(t, url, "distribution", "update", "prod", "--private"); !strings.Contains(out, "only files whose check passed") {
		t.Errorf("an update of something else keeps require-checks: %s", out)
	}
	if out := mustRun(t, url, "distribution", "update", "prod", "--require-checks=false"); strings.Contains(out, "check") {
		t.Errorf("distribution update: %s", out)
	}
}
