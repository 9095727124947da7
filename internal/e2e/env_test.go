package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/testdist"
)

const envScript = `import sys
import yaml
import dateutil.parser
import jinja2

doc = yaml.safe_load("when: 2024-03-01T10:00:00\nwho: world\n")
when = dateutil.parser.parse(str(doc["when"]))
print(jinja2.Template("hello {{ who }} {{ year }}").render(who=doc["who"], year=when.year))
print(sys.prefix == sys.base_prefix or "venv")
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
`

// uploadEnvCorpus uploads wheels rebuilt from the machine's installed PyYAML,
// python-dateutil, six, Jinja2 and MarkupSafe.
func uploadEnvCorpus(t *testing.T, s *server) {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for _, name := range []string{"PyYAML", "python-dateutil", "six", "Jinja2", "MarkupSafe"} {
		di, err := testdist.FindDistInfo(testdist.SitePackages(t), name)
		if err != nil {
			t.Fatal(err)
		}
		whl, err := testdist.Rebuild(di, dir)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, whl)
	}
	pydepotUpload(t, s, files...)
}

// noPythonPath is a folder holding only the few shell tools a run needs, so that no Python
// of the machine is reachable through PATH.
func noPythonPath(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, tool := range []string{"sh", "dirname", "realpath", "cat", "env", "ls", "true"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// buildEnv analyzes envScript and creates myenv.tar.gz from it; it returns the tarball.
func buildEnv(t *testing.T, s *server) (tarball, script string) {
	t.Helper()
	bin := pydepotBin(t)
	work := t.TempDir()
	script = filepath.Join(work, "script.py")
	if err := os.WriteFile(script, []byte(envScript), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	env := []string{"PYDEPOT_URL=" + s.URL, "PYDEPOT_TOKEN=" + s.Token, "XDG_CACHE_HOME=" + cache}
	run(t, work, env, bin, "analyze", "--index-url", s.URL, script, "deps.json")
	var spec struct {
		Python       string   `json:"python"`
		Modules      []string `json:"modules"`
		Requirements []string `json:"requirements"`
	}
	data, err := os.ReadFile(filepath.Join(work, "deps.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatalf("analyze output: %v\n%s", err, data)
	}
	reqs := strings.ToLower(strings.Join(spec.Requirements, " "))
	for _, want := range []string{"pyyaml", "python-dateutil", "jinja2"} {
		if !strings.Contains(strings.ReplaceAll(reqs, "_", "-"), want) {
			t.Fatalf("analyze requirements %v lack %s (modules %v)", spec.Requirements, want, spec.Modules)
		}
	}
	for _, m := range spec.Modules {
		if m == "sys" {
			t.Fatalf("stdlib module sys listed: %v", spec.Modules)
		}
	}
	run(t, work, env, bin, "create", "--index-url", s.URL+"/simple/", "deps.json", "myenv")
	return filepath.Join(work, "myenv.tar.gz"), script
}

func TestAnalyzeCreateRunElsewhere(t *testing.T) {
	needTools(t)
	s := startServer(t)
	uploadEnvCorpus(t, s)
	tarball, script := buildEnv(t, s)

	// Move the tarball and the script to another folder; run with no Python on PATH.
	elsewhere := t.TempDir()
	moved := filepath.Join(elsewhere, "myenv.tar.gz")
	if err := os.Rename(tarball, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(script, filepath.Join(elsewhere, "script.py")); err != nil {
		t.Fatal(err)
	}
	bin := pydepotBin(t)
	env := []string{"PATH=" + noPythonPath(t), "XDG_CACHE_HOME=" + t.TempDir(), "PYTHONPATH=/nonexistent", "PYTHONHOME=/nonexistent"}
	out := run(t, elsewhere, env, bin, "run", "myenv", "python script.py")
	if !strings.Contains(out, "hello world 2024") {
		t.Fatalf("script output: %s", out)
	}
	// The child's exit status passes through, in both forms.
	statusOf := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = elsewhere
		cmd.Env = append(os.Environ(), env...)
		o, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(o)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(o)
	}
	if code, o := statusOf("run", "myenv.tar.gz", "python script.py 7"); code != 7 {
		t.Fatalf("want exit 7, got %d: %s", code, o)
	}
	if code, o := statusOf("run", "-e", moved, "--", "python", "script.py", "5"); code != 5 {
		t.Fatalf("want exit 5, got %d: %s", code, o)
	}
	// pydepot run's own failures: 1 usage, 2 missing, 3 extraction, 4 activation.
	if code, o := statusOf("run"); code != 1 {
		t.Fatalf("usage: want 1, got %d: %s", code, o)
	}
	if code, o := statusOf("run", "nosuchenv", "true"); code != 2 {
		t.Fatalf("missing: want 2, got %d: %s", code, o)
	}
	bad := filepath.Join(elsewhere, "broken.tar.gz")
	if err := os.WriteFile(bad, []byte("this is not a tarball"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, o := statusOf("run", bad, "true"); code != 3 {
		t.Fatalf("extraction: want 3, got %d: %s", code, o)
	}
	noBin := filepath.Join(elsewhere, "emptyenv")
	if err := os.MkdirAll(noBin, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, o := statusOf("run", noBin, "true"); code != 4 {
		t.Fatalf("activation: want 4, got %d: %s", code, o)
	}
}

func TestRunThroughWorkQueueWithMakeflow(t *testing.T) {
	needTools(t)
	s := startServer(t)
	uploadEnvCorpus(t, s)
	tarball, script := buildEnv(t, s)

	flow := t.TempDir()
	for src, name := range map[string]string{tarball: "myenv.tar.gz", script: "script.py", pydepotBin(t): "pydepot"} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(flow, name), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	makeflowFile := "out.txt: pydepot myenv.tar.gz script.py\n\t./pydepot run -u unpacked myenv.tar.gz \"python script.py\" > out.txt\n"
	if err := os.WriteFile(filepath.Join(flow, "Makeflow"), []byte(makeflowFile), 0o644); err != nil {
		t.Fatal(err)
	}
	// The worker's `pydepot run` keeps its caches in the test's folder, not ~/.cache.
	env := commandEnv([]string{"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1", "XDG_CACHE_HOME=" + t.TempDir()})
	portFile := filepath.Join(flow, "port")
	mf := exec.Command("makeflow", "-T", "wq", "-Z", portFile, "Makeflow")
	mf.Dir, mf.Env = flow, env
	var mfOut strings.Builder
	mf.Stdout, mf.Stderr = &mfOut, &mfOut
	if err := mf.Start(); err != nil {
		t.Fatal(err)
	}
	var port string
	for i := 0; i < 200 && port == ""; i++ {
		b, _ := os.ReadFile(portFile)
		port = strings.TrimSpace(string(b))
		time.Sleep(50 * time.Millisecond)
	}
	if port == "" {
		_ = mf.Process.Kill()
		t.Fatalf("makeflow wrote no port: %s", mfOut.String())
	}
	worker := exec.Command("work_queue_worker", "--single-shot", "-t", "120", "127.0.0.1", port)
	worker.Dir, worker.Env = t.TempDir(), append(env, "PATH="+noPythonPath(t)+":/usr/bin:/bin")
	var wOut strings.Builder
	worker.Stdout, worker.Stderr = &wOut, &wOut
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mf.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("makeflow: %v\n%s\nworker:\n%s", err, mfOut.String(), wOut.String())
		}
	case <-time.After(4 * time.Minute):
		_ = mf.Process.Kill()
		t.Fatalf("makeflow timed out:\n%s\nworker:\n%s", mfOut.String(), wOut.String())
	}
	_ = worker.Process.Kill()
	_ = worker.Wait()
	out, err := os.ReadFile(filepath.Join(flow, "out.txt"))
	if err != nil || !strings.Contains(string(out), "hello world 2024") {
		t.Fatalf("out.txt = %q (%v)\n%s", out, err, mfOut.String())
	}
	t.Log("makeflow ran the environment on a Work Queue worker")
}
