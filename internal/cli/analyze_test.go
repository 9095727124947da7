package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/buildinfo"
)

func runAnalyze(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: os.Getenv}
	code := Main(context.Background(), append([]string{"analyze"}, args...), env)
	return code, out.String(), errb.String()
}

func TestAnalyzeCommand(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "job.py")
	os.WriteFile(script, []byte("import antigravity, yaml, helper\nimport sklearn\ndef f():\n    import cv2\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "helper.py"), nil, 0o644)
	outFile := filepath.Join(dir, "deps.json")

	code, _, stderr := runAnalyze(t, "", "--python", "3.11", "--extra-pkg", "numpy>=1.26", "--pkg-mapping", "sklearn=scikit-learn-intelex", script, outFile)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res["python"].(string), "3.11") {
		t.Errorf("python = %v", res["python"])
	}
	wantMods := []any{"cv2", "sklearn", "yaml"}
	if !reflect.DeepEqual(res["modules"], wantMods) {
		t.Errorf("modules = %v, want %v", res["modules"], wantMods)
	}
	wantReqs := []any{"numpy>=1.26", "opencv-python", "PyYAML", "scikit-learn-intelex"}
	if !reflect.DeepEqual(res["requirements"], wantReqs) {
		t.Errorf("requirements = %v, want %v", res["requirements"], wantReqs)
	}
	if !bytes.Contains(b, []byte(`"numpy>=1.26"`)) {
		t.Errorf("'>' is escaped in %s", b)
	}

	// stdin to stdout, --toplevel, default interpreter (python3 on PATH).
	code, stdout, stderr := runAnalyze(t, "import yaml\ndef f():\n    import cv2\n", "--toplevel", "-", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, `"modules": [
        "yaml"
    ]`) {
		t.Errorf("stdout = %s", stdout)
	}

	for _, bad := range [][]string{
		{"--toplevel", "--function", "f", "-", "-"},
		{"--pkg-mapping", "noequals", "-", "-"},
		{"--python", "2.6", "-", "-"},
		{"--python", "3.11", filepath.Join(dir, "missing.py"), "-"},
	} {
		if code, _, _ := runAnalyze(t, "", bad...); code == 0 {
			t.Errorf("analyze %v succeeded", bad)
		}
	}
}

// TestAnalyzeNeverOverwritesSources: a missing OUT, a .py OUT or an OUT that is a
// source is a usage error (exit 1) that leaves every file as it was; a missing
// source exits 2, as cctools' python_package_analyze.
func TestAnalyzeNeverOverwritesSources(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.py"), filepath.Join(dir, "b.py")
	src := "import yaml\n"
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// OUT a symbolic link to a Python file that is not a source
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(b, link); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--python", "3.11", a, link},
		{a},
		{a, b},
		{"--python", "3.11", a, b},
		{"--python", "3.11", a, a},
		{"--python", "3.11", "-", a},
		{"--python", "3.11", dir, dir},
		{"--python", "3.11", a, filepath.Join(dir, "new.py")},
	} {
		code, _, stderr := runAnalyze(t, "import requests\n", args...)
		if code != 1 {
			t.Errorf("analyze %v: exit %d, want 1 (usage); stderr %s", args, code, stderr)
		}
		if !strings.Contains(stderr, "usage") {
			t.Errorf("analyze %v: stderr %q does not show the usage", args, stderr)
		}
		for _, p := range []string{a, b} {
			if got, _ := os.ReadFile(p); string(got) != src {
				t.Fatalf("analyze %v changed %s to %q", args, p, got)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "new.py")); err == nil {
			t.Fatalf("analyze %v created new.py", args)
		}
	}
	// A hard link to b.py and a dangling link to new.py are written by a rename: b.py
	// keeps its code and new.py is not created.
	hard, dangling := filepath.Join(dir, "hard.json"), filepath.Join(dir, "dangling.json")
	if err := os.Link(b, hard); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "new.py"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{hard, dangling} {
		if code, _, stderr := runAnalyze(t, "", "--python", "3.11", a, o); code != 0 {
			t.Errorf("analyze a.py %s: exit %d: %s", o, code, stderr)
		}
		if got, _ := os.ReadFile(b); string(got) != src {
			t.Fatalf("analyze a.py %s changed b.py to %q", o, got)
		}
		if got, err := os.ReadFile(o); err != nil || !strings.Contains(string(got), `"PyYAML"`) {
			t.Errorf("%s holds %q (%v), want the JSON", o, got, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "new.py")); err == nil {
		t.Fatal("analyze wrote new.py through a dangling link")
	}
	out := filepath.Join(dir, "out.json")
	if code, _, stderr := runAnalyze(t, "", "--python", "3.11", filepath.Join(dir, "missing.py"), out); code != 2 {
		t.Errorf("missing source: exit %d, want 2; stderr %s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed analyze wrote OUT")
	}
	if code, _, stderr := runAnalyze(t, "", "--python", "3.11", a, b+"x", out); code != 2 || !strings.Contains(stderr, "no such file") {
		t.Errorf("missing second source: exit %d, stderr %s", code, stderr)
	}
	if code, _, stderr := runAnalyze(t, "", "--python", "3.11", a, out); code != 0 {
		t.Errorf("a.py out.json: exit %d: %s", code, stderr)
	}
}

// analyze --index-url sends its version and warns, once, about a server of another
// version, as the other commands do.
func TestAnalyzeIndexVersion(t *testing.T) {
	var sent []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent = append(sent, r.Header.Get(buildinfo.VersionHeader))
		w.Header().Set(buildinfo.VersionHeader, "0.0.1-other")
		w.Write([]byte(`{"module":"x","projects":["x-dist"]}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	script := filepath.Join(dir, "job.py")
	if err := os.WriteFile(script, []byte("import aaa\nimport bbb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runAnalyze(t, "", "--python", "3.11", "--index-url", srv.URL+"/simple/", script, "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if len(sent) < 2 || sent[0] != buildinfo.Version || sent[1] != buildinfo.Version {
		t.Errorf("the index saw versions %q, want %q on each request", sent, buildinfo.Version)
	}
	if n := strings.Count(stderr, "runs 0.0.1-other"); n != 1 {
		t.Errorf("stderr names the server's version %d times, want once:\n%s", n, stderr)
	}
}

// TestAnalyzePrivateIndexToken: --index-url of a private distribution is asked with the
// token in PYDEPOT_TOKEN (it was asked anonymously and always answered 401), and a 401
// says how to give credentials, without ever printing the token.
func TestAnalyzePrivateIndexToken(t *testing.T) {
	const token = "pyd_analyze-test-token"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); (!ok || u != "__token__" || p != token) && r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, `{"status":401,"error":"an API token is required"}`, http.StatusUnauthorized)
			return
		}
		if r.URL.Path != "/api/imports/secretmod" || r.URL.Query().Get("distribution") != "team" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"module":"secretmod","match":"secretmod","distribution":"team","projects":["secret-dist"]}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	script := filepath.Join(dir, "job.py")
	os.WriteFile(script, []byte("import secretmod\n"), 0o644)
	run := func(tok string) (int, string, string) {
		var out, errb bytes.Buffer
		getenv := func(k string) string {
			if k == "PYDEPOT_TOKEN" {
				return tok
			}
			return os.Getenv(k)
		}
		env := Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: getenv}
		code := Main(context.Background(), []string{"analyze", "--python", "3.11", "--index-url", srv.URL + "/team/simple/", script, "-"}, env)
		return code, out.String(), errb.String()
	}
	code, stdout, stderr := run(token)
	if code != 0 || !strings.Contains(stdout, `"secret-dist"`) {
		t.Fatalf("with PYDEPOT_TOKEN: exit %d, %s %s", code, stdout, stderr)
	}
	if strings.Contains(stderr, token) {
		t.Errorf("the token is printed: %s", stderr)
	}
	code, stdout, stderr = run("")
	if code == 0 || strings.Contains(stdout, `"secret-dist"`) || !strings.Contains(stderr, "PYDEPOT_TOKEN") {
		t.Errorf("without a token: exit %d, %s, stderr %s (want the 401 reported with a hint naming PYDEPOT_TOKEN)", code, stdout, stderr)
	}
}

// TestAnalyzePrivateIndex maps imports through the server PYDEPOT_URL names, whose
// default distribution is private: with the token in PYDEPOT_TOKEN the index answers
// (_distutils_hack is in no built-in table, only the index knows setuptools provides
// it); without one the 401 is reported with its hint, not replaced by the table's guess.
func TestAnalyzePrivateIndex(t *testing.T) {
	url := startServer(t)
	mustRun(t, url, "upload", systemWheel(t, "setuptools-66.1.1-py3-none-any.whl"))
	mustRun(t, url, "distribution", "update", "main", "--private")
	reader := strings.TrimSpace(mustRun(t, url, "token", "create", "reader", "--scope", "read"))
	dir := t.TempDir()
	script := filepath.Join(dir, "job.py")
	if err := os.WriteFile(script, []byte("import _distutils_hack\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, errb := cliRun(t, url, reader, "analyze", "--python", "3.11", script, "-")
	if code != 0 {
		t.Fatalf("with a token: exit %d: %s", code, errb)
	}
	var res struct {
		Requirements []string `json:"requirements"`
		Unresolved   []string `json:"unresolved"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !reflect.DeepEqual(res.Requirements, []string{"setuptools"}) || len(res.Unresolved) != 0 {
		t.Errorf("with a token: requirements %v, unresolved %v; want setuptools from the index", res.Requirements, res.Unresolved)
	}

	code, out, errb = cliRun(t, url, "", "analyze", "--python", "3.11", script, "-")
	if code == 0 {
		t.Fatalf("without a token: exit 0, want the 401 reported; stdout: %s", out)
	}
	for _, want := range []string{"401", "PYDEPOT_TOKEN"} {
		if !strings.Contains(errb, want) {
			t.Errorf("without a token: stderr lacks %q:\n%s", want, errb)
		}
	}
}
