package checkrun_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/checkrun"

	"github.com/pydepot/pydepot/internal/checkreport"
)

// The benign sdist builds, installs with its dependency from the index, imports, has
// its three tests counted, and passes.
func TestBenign(t *testing.T) {
	dir := t.TempDir()
	helper := writeWheel(t, dir, "helperlib", "0.1", helperlibFiles)
	src := writeSdist(t, dir, "benign", "1.0", benignFiles, "helperlib")
	r, err := checkrun.New(testConfig(t, append(debianWheels(t), helper)...)).Check(t.Context(), input(t, src))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{checkreport.StepResolve, checkreport.StepBuild, checkreport.StepInstall, checkreport.StepImport, checkreport.StepTest} {
		if tk := task(t, r, name); tk.Status != checkreport.Passed {
			t.Errorf("%s: %s %s\n%s", name, tk.Status, tk.Error, tk.Log)
		}
	}
	if r.Tests.Passed != 3 || r.Tests.Failed != 0 || r.Tests.Errors != 0 {
		t.Errorf("tests %+v, want 3 passed", r.Tests)
	}
	if r.Verdict != checkreport.Pass {
		t.Errorf("verdict %s, want pass\n%s", r.Verdict, dump(r))
	}
	if !strings.Contains(task(t, r, checkreport.StepResolve).Log, "helperlib-0.1-py3-none-any.whl") {
		t.Errorf("resolve did not fetch the dependency:\n%s", task(t, r, checkreport.StepResolve).Log)
	}
	if !strings.Contains(task(t, r, checkreport.StepImport).Log, "ok benign") {
		t.Errorf("import did not import benign:\n%s", task(t, r, checkreport.StepImport).Log)
	}
}

// A syntax error in setup.py fails the build; install, import and test are skipped
// naming it, and the verdict is fail.
func TestSyntaxError(t *testing.T) {
	src := writeSdist(t, t.TempDir(), "broken", "1.0", brokenFiles)
	r, err := checkrun.New(testConfig(t, debianWheels(t)...)).Check(t.Context(), input(t, src))
	if err != nil {
		t.Fatal(err)
	}
	b := task(t, r, checkreport.StepBuild)
	if b.Status != checkreport.Failed || !strings.Contains(b.Log, "SyntaxError") {
		t.Fatalf("build: %s %s\n%s", b.Status, b.Error, b.Log)
	}
	for _, name := range []string{checkreport.StepInstall, checkreport.StepImport, checkreport.StepTest} {
		if tk := task(t, r, name); tk.Status != checkreport.Skipped || !strings.Contains(tk.Error, `"build"`) {
			t.Errorf("%s: %s %q, want skipped naming build", name, tk.Status, tk.Error)
		}
	}
	if r.Verdict != checkreport.Fail {
		t.Errorf("verdict %s, want fail", r.Verdict)
	}
}

// A wheel skips build (and test) and installs as it is; the .pth it installs, which runs
// code at every start, is a medium finding, so the verdict is warn.
func TestWheelWithPth(t *testing.T) {
	whl := writeWheel(t, t.TempDir(), "hooked", "2.0", hookedFiles)
	r, err := checkrun.New(testConfig(t)).Check(t.Context(), input(t, whl))
	if err != nil {
		t.Fatal(err)
	}
	if b := task(t, r, checkreport.StepBuild); b.Status != checkreport.Skipped || !strings.Contains(b.Error, "a wheel needs no build") {
		t.Errorf("build: %s %s", b.Status, b.Error)
	}
	for _, name := range []string{checkreport.StepInstall, checkreport.StepImport} {
		if tk := task(t, r, name); tk.Status != checkreport.Passed {
			t.Errorf("%s: %s %s\n%s", name, tk.Status, tk.Error, tk.Log)
		}
	}
	if tk := task(t, r, checkreport.StepTest); tk.Status != checkreport.Skipped {
		t.Errorf("test: %s", tk.Status)
	}
	var pth *checkreport.Finding
	for i, f := range r.Findings { // scan reports the shipped .pth too; this is install's
		if f.Kind == checkreport.Pth && f.Task == checkreport.StepInstall {
			pth = &r.Findings[i]
		}
	}
	if pth == nil || pth.Severity != checkreport.Medium || pth.Task != checkreport.StepInstall || !strings.Contains(pth.Detail, "hooked_init.pth") {
		t.Fatalf("pth finding %+v\n%s", pth, dump(r))
	}
	if r.Verdict != checkreport.Warn {
		t.Errorf("verdict %s, want warn", r.Verdict)
	}
}

// A dependency the index lacks fails resolve, which names it; the steps that need the
// wheelhouse are skipped naming resolve; progress counts every step.
func TestMissingDependency(t *testing.T) {
	src := writeSdist(t, t.TempDir(), "benign", "1.0", benignFiles, "helperlib")
	in := input(t, src)
	var last, total int
	in.Progress = func(d, n int) { last, total = d, n }
	r, err := checkrun.New(testConfig(t, debianWheels(t)...)).Check(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if res := task(t, r, checkreport.StepResolve); res.Status != checkreport.Failed || !strings.Contains(res.Error, "helperlib") {
		t.Fatalf("resolve: %s %q", res.Status, res.Error)
	}
	for _, name := range []string{checkreport.StepBuild, checkreport.StepInstall, checkreport.StepImport, checkreport.StepTest} {
		if tk := task(t, r, name); tk.Status != checkreport.Skipped || !strings.Contains(tk.Error, `"resolve"`) {
			t.Errorf("%s: %s %q, want skipped naming resolve", name, tk.Status, tk.Error)
		}
	}
	if r.Verdict != checkreport.Fail {
		t.Errorf("verdict %s", r.Verdict)
	}
	if last != len(r.Tasks) || total != len(r.Tasks) {
		t.Errorf("progress ended at %d/%d, want %d/%d", last, total, len(r.Tasks), len(r.Tasks))
	}
}

// A setup.py that sleeps forever is stopped by the time limit: build fails, the limit
// is a finding, and the rest is skipped.
func TestSleeperStopped(t *testing.T) {
	src := writeSdist(t, t.TempDir(), "sleeper", "1.0", sleeperFiles)
	cfg := testConfig(t, debianWheels(t)...)
	cfg.Limits.Time = 5 * time.Second
	start := time.Now()
	r, err := checkrun.New(cfg).Check(t.Context(), input(t, src))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("the check took %s with a 5s limit", d)
	}
	b := task(t, r, checkreport.StepBuild)
	if b.Status != checkreport.Failed || !strings.Contains(b.Error, "time limit") {
		t.Fatalf("build: %s %q", b.Status, b.Error)
	}
	if !hasFinding(r, checkreport.StepBuild, checkreport.Limit, "time limit") {
		t.Errorf("no time limit finding:\n%s", dump(r))
	}
	if r.Verdict != checkreport.Fail {
		t.Errorf("verdict %s", r.Verdict)
	}
}

// A setup.py that forks without end is stopped by the process limit, reported high, and
// nothing of it is left running.
func TestForkerStopped(t *testing.T) {
	src := writeSdist(t, t.TempDir(), "forker", "1.0", forkerFiles)
	cfg := testConfig(t, debianWheels(t)...)
	cfg.Limits.Processes = 64
	cfg.Limits.Time = time.Minute
	r, err := checkrun.New(cfg).Check(t.Context(), input(t, src))
	if err != nil {
		t.Fatal(err)
	}
	b := task(t, r, checkreport.StepBuild)
	if b.Status != checkreport.Failed || !strings.Contains(b.Error, "processes limit") {
		t.Fatalf("build: %s %q\n%s", b.Status, b.Error, dump(r))
	}
	if !hasFinding(r, checkreport.StepBuild, checkreport.Limit, "processes limit") {
		t.Errorf("no processes limit finding:\n%s", dump(r))
	}
	if r.Verdict != checkreport.Fail {
		t.Errorf("verdict %s", r.Verdict)
	}
	if left := processesRunning(t); left > 0 {
		t.Errorf("%d forked processes left running", left)
	}
}

func hasFinding(r *checkreport.Report, task string, kind checkreport.Kind, detail string) bool {
	for _, f := range r.Findings {
		if f.Task == task && f.Kind == kind && strings.Contains(f.Detail, detail) {
			return true
		}
	}
	return false
}

// processesRunning counts the host's processes of the forker's build: a setup.py runs as
// "python ... _pydepot_hooks.py" (its forks keep that command line) in the source tree
// forker-1.0.
func processesRunning(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		cwd, _ := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if strings.Contains(string(cmd), "_pydepot_hooks.py") && strings.Contains(cwd, "forker-1.0") {
			n++
		}
	}
	return n
}
