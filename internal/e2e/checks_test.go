package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/testdist"
)

// writeWheel writes a pure-Python wheel of the given members (plus METADATA, WHEEL and
// RECORD) into dir, in Go: nothing of it runs on the host.
func writeWheel(t *testing.T, dir, name, version string, files map[string]string) string {
	t.Helper()
	pkg := strings.ReplaceAll(name, "-", "_")
	di := pkg + "-" + version + ".dist-info/"
	members := [][2]string{}
	for p, body := range files {
		members = append(members, [2]string{p, body})
	}
	members = append(members,
		[2]string{di + "METADATA", "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\nSummary: e2e check fixture\n\n"},
		[2]string{di + "WHEEL", "Wheel-Version: 1.0\nGenerator: pydepot-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n"})
	b, err := testdist.WheelZip(di, members)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, pkg+"-"+version+"-py3-none-any.whl")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type checkJSON struct {
	File     string                                          `json:"file"`
	Verdict  string                                          `json:"verdict"`
	Tasks    []struct{ Name, Status string }                 `json:"tasks"`
	Findings []struct{ Task, Kind, Severity, Detail string } `json:"findings"`
}

// TestChecksThroughServe: the real check pipeline as `pydepot serve` wires it (sandbox,
// strace, trace report, scan, lint, vulns). A repository with --check-on-upload queues
// one check task per upload, which the task list shows; a benign wheel passes; a wheel
// whose .pth connects out at interpreter start fails with a high network finding, and
// `pydepot check` exits 3 on it; a distribution with --require-checks then serves the
// benign file only.
func TestChecksThroughServe(t *testing.T) {
	t.Parallel()
	testdist.NeedCommand(t, "bwrap", "bubblewrap")
	testdist.NeedCommand(t, "strace", "strace")
	s := startServer(t)
	s.cli(t, "repo", "create", "checked", "--check-on-upload")
	s.cli(t, "distribution", "create", "checked", "--repository", "checked")
	dir := t.TempDir()
	good := writeWheel(t, dir, "goodpkg", "1.0", map[string]string{"goodpkg/__init__.py": "VALUE = 42\n"})
	bad := writeWheel(t, dir, "badpkg", "1.0", map[string]string{
		"badpkg/__init__.py": "X = 1\n",
		"badpkg-hook.pth":    "import socket; exec(\"try:\\n socket.create_connection(('203.0.113.7', 80), timeout=1)\\nexcept OSError:\\n pass\")\n",
	})
	for _, f := range []string{good, bad} {
		s.cli(t, "upload", "--repository", "checked", f)
	}
	if out := s.cli(t, "task", "list", "--kind", "check"); strings.Count(out, " check ") != 2 {
		t.Fatalf("task list --kind check after two uploads:\n%s", out)
	}
	// Both queued checks end with a stored report.
	deadline := time.Now().Add(5 * time.Minute)
	for _, f := range []string{good, bad} {
		for {
			code, body := getAuthJSON(t, s, "/api/checks?repository=checked&filename="+filepath.Base(f))
			if code == http.StatusOK && strings.Contains(string(body), `"verdict"`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no report of %s after 5 minutes (%d %s)\n%s", f, code, body, s.cli(t, "task", "list"))
			}
			time.Sleep(500 * time.Millisecond)
		}
	}

	check := func(file string) (checkJSON, int, string) {
		t.Helper()
		cmd := exec.Command(pydepotBin(t), "check", "checked", filepath.Base(file), "--json")
		cmd.Env = append(os.Environ(), s.adminEnv()...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		var rep checkJSON
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatalf("check --json of %s: %v\n%s\n%s", file, err, out, stderr.Bytes())
		}
		return rep, code, string(out)
	}
	rep, code, out := check(good)
	if rep.Verdict != "pass" || code != 0 {
		t.Errorf("benign wheel: verdict %s, exit %d; want pass, 0\n%s", rep.Verdict, code, out)
	}
	for _, want := range []string{"install", "import", "scan", "lint", "trace-report", "vulns"} {
		found := false
		for _, task := range rep.Tasks {
			found = found || (task.Name == want && task.Status == "passed")
		}
		if !found {
			t.Errorf("benign wheel: no passed %s step\n%s", want, out)
		}
	}

	rep, code, out = check(bad)
	if code != 3 {
		t.Errorf("check of the hostile wheel: exit %d, want 3\n%s", code, out)
	}
	network := false
	for _, f := range rep.Findings {
		network = network || (f.Kind == "network" && f.Severity == "high" && strings.Contains(f.Detail, "203.0.113.7"))
	}
	if rep.Verdict != "fail" || !network {
		t.Errorf("hostile wheel: verdict %s, findings %+v; want fail with a high network finding naming 203.0.113.7", rep.Verdict, rep.Findings)
	}

	s.cli(t, "distribution", "update", "checked", "--require-checks")
	page := projectPage(t, s.URL+"/checked/simple/", "goodpkg")
	if page.file(filepath.Base(good)) == nil {
		t.Errorf("quarantine hides the benign file that passed")
	}
	if code, _ := getJSON(t, s.URL+"/checked/simple/badpkg/"); code == http.StatusOK {
		if p := projectPage(t, s.URL+"/checked/simple/", "badpkg"); p.file(filepath.Base(bad)) != nil {
			t.Errorf("quarantine serves the hostile file that failed")
		}
	}
}

// getAuthJSON GETs path of the server with the admin token.
func getAuthJSON(t *testing.T, s *server, path string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b
}
