package resolver

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/simpleindex"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

type wheelSpec struct {
	name, version, requiresPython string
	deps, extras                  []string
}

// writeWheel writes a minimal pure-Python wheel and returns its path.
func writeWheel(t *testing.T, dir string, w wheelSpec) string {
	t.Helper()
	dist := strings.ReplaceAll(names.Normalize(w.name), "-", "_")
	path := filepath.Join(dir, fmt.Sprintf("%s-%s-py3-none-any.whl", dist, w.version))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	meta := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", w.name, w.version)
	if w.requiresPython != "" {
		meta += "Requires-Python: " + w.requiresPython + "\n"
	}
	for _, e := range w.extras {
		meta += "Provides-Extra: " + e + "\n"
	}
	for _, d := range w.deps {
		meta += "Requires-Dist: " + d + "\n"
	}
	di := fmt.Sprintf("%s-%s.dist-info/", dist, w.version)
	members := []struct{ name, body string }{
		{dist + "/__init__.py", ""},
		{di + "METADATA", meta},
		{di + "WHEEL", "Wheel-Version: 1.0\nGenerator: pydepot-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		{di + "RECORD", dist + "/__init__.py,,\n" + di + "METADATA,,\n" + di + "WHEEL,,\n" + di + "RECORD,,\n"},
	}
	for _, m := range members {
		mw, err := zw.Create(m.name)
		if err != nil {
			t.Fatal(err)
		}
		mw.Write([]byte(m.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// pipResolve runs pip install --dry-run --report against the index and returns the
// sorted "name==version" list, or ok=false when pip finds no solution.
func pipResolve(t *testing.T, indexURL string, roots []string) ([]string, bool) {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report.json")
	args := append([]string{"-m", "pip", "install", "--dry-run", "--ignore-installed", "--report", report,
		"--index-url", indexURL, "--no-cache-dir", "--disable-pip-version-check", "-q"}, roots...)
	cmd := exec.Command("python3", args...)
	cmd.Env = append(os.Environ(), "PIP_CONFIG_FILE=/dev/null", "PIP_NO_INPUT=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "ResolutionImpossible") || strings.Contains(string(out), "No matching distribution") {
			return nil, false
		}
		t.Fatalf("pip: %v\n%s", err, out)
	}
	var rep struct {
		Install []struct {
			Metadata struct{ Name, Version string } `json:"metadata"`
		} `json:"install"`
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range rep.Install {
		got = append(got, names.Normalize(i.Metadata.Name)+"=="+i.Metadata.Version)
	}
	sort.Strings(got)
	return got, true
}

func ourResolve(t *testing.T, indexURL string, roots []string) ([]string, error) {
	t.Helper()
	c, err := simpleindex.New([]string{indexURL}, nil, simpleindex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Resolve(context.Background(), NewIndexProvider(c, nil), baseRequest(roots...))
	if err != nil {
		return nil, err
	}
	var got []string
	for _, p := range res.Pins {
		got = append(got, p.Name+"=="+p.Version.String())
	}
	sort.Strings(got)
	return got, nil
}

// TestAgainstPip resolves the same requests from the same index with pip (its
// --dry-run --report) and with Resolve, on cases that exercise the PEP 440 pre-release
// rules, PEP 592 yanking, requires-python, extras, markers and backtracking, and on a few
// random indexes: where the answer is unique (the hand-made cases) the pins must be
// identical; on random cases both must agree on whether a solution exists.
func TestAgainstPip(t *testing.T) {
	if testing.Short() {
		t.Skip("one pip run per case takes seconds; run without -short")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatal("needs python3 with pip")
	}
	cases := []struct {
		name   string
		wheels []wheelSpec
		yanked []string
		roots  []string
	}{
		{"pre-releases skipped", []wheelSpec{{name: "lib", version: "1.0"}, {name: "lib", version: "2.0b1"}}, nil, []string{"lib"}},
		{"pre-release named", []wheelSpec{{name: "lib", version: "1.0"}, {name: "lib", version: "2.0b1"}}, nil, []string{"lib>=2.0b1"}},
		{"only pre-releases", []wheelSpec{{name: "lib", version: "2.0rc1"}, {name: "lib", version: "2.0a1"}}, nil, []string{"lib"}},
		{"yanked skipped", []wheelSpec{{name: "lib", version: "1.0"}, {name: "lib", version: "2.0"}}, []string{"lib-2.0-py3-none-any.whl"}, []string{"lib"}},
		{"yanked pinned", []wheelSpec{{name: "lib", version: "1.0"}, {name: "lib", version: "2.0"}}, []string{"lib-2.0-py3-none-any.whl"}, []string{"lib==2.0"}},
		{"requires-python", []wheelSpec{{name: "lib", version: "1.0", requiresPython: ">=3.6"}, {name: "lib", version: "2.0", requiresPython: ">=3.99"}}, nil, []string{"lib"}},
		{"extras and markers", []wheelSpec{
			{name: "App", version: "1.0", deps: []string{"lib[fast]>=1", `winonly; sys_platform == "win32"`, `linuxonly; sys_platform == "linux"`}},
			{name: "lib", version: "1.0", extras: []string{"fast"}, deps: []string{`speed_ups; extra == "fast"`}},
			{name: "speed-ups", version: "0.3"}, {name: "linuxonly", version: "1"}, {name: "winonly", version: "1"},
		}, nil, []string{"app"}},
		{"backtracking", []wheelSpec{
			{name: "a", version: "1.0", deps: []string{"c<2"}}, {name: "a", version: "2.0", deps: []string{"c>=2"}},
			{name: "b", version: "1.0", deps: []string{"d"}}, {name: "d", version: "1.0", deps: []string{"c<2"}},
			{name: "c", version: "1.0"}, {name: "c", version: "2.0"},
		}, nil, []string{"a", "b"}},
		{"conflict", []wheelSpec{
			{name: "a", version: "1.0", deps: []string{"c==1.0"}}, {name: "b", version: "1.0", deps: []string{"c==2.0"}},
			{name: "c", version: "1.0"}, {name: "c", version: "2.0"},
		}, nil, []string{"a", "b"}},
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 3 {
		ix := newRandomIndex(r)
		var ws []wheelSpec
		for p := range ix.pkgs {
			for v := 1; v <= ix.versions; v++ {
				w := wheelSpec{name: fmt.Sprintf("p%d", p), version: fmt.Sprint(v)}
				for _, d := range ix.deps[[2]int{p, v}] {
					w.deps = append(w.deps, d.String())
				}
				if ix.badPy[[2]int{p, v}] {
					w.requiresPython = ">=4"
				}
				ws = append(ws, w)
			}
		}
		var roots []string
		for _, q := range ix.root {
			roots = append(roots, q.String())
		}
		cases = append(cases, struct {
			name   string
			wheels []wheelSpec
			yanked []string
			roots  []string
		}{fmt.Sprintf("random %d", i), ws, nil, roots})
	}
	same := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var paths []string
			for _, w := range tc.wheels {
				paths = append(paths, writeWheel(t, dir, w))
			}
			yanked := map[string]string{}
			for _, y := range tc.yanked {
				yanked[y] = ""
			}
			srv := indextest.New(t, paths, indextest.Options{Yanked: yanked})
			pipPins, pipOK := pipResolve(t, srv.SimpleURL, tc.roots)
			ours, err := ourResolve(t, srv.SimpleURL, tc.roots)
			var ce *ConflictError
			if err != nil && !errors.As(err, &ce) {
				t.Fatal(err)
			}
			if pipOK != (err == nil) {
				t.Fatalf("pip solvable=%v %v, ours: %v %v", pipOK, pipPins, ours, err)
			}
			if !pipOK {
				return
			}
			if strings.Join(pipPins, " ") == strings.Join(ours, " ") {
				same++
			} else if !strings.HasPrefix(tc.name, "random") {
				t.Errorf("pip %v, ours %v", pipPins, ours)
			} else {
				t.Logf("different valid solutions: pip %v, ours %v", pipPins, ours)
			}
		})
	}
	t.Logf("%d of %d cases gave the same pins as pip", same, len(cases))
}
