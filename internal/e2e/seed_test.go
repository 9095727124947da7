package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// The three cctools man pages of seed 002_dcfe959a5bacbf29.txt, literally: its
// example.py, its dependencies.json, `python_package_create dependencies.json
// example_venv` and `python_package_run example_venv "python3 example.py"`, as pydepot
// commands.
const seedExample = `import os
import sys
import pickle

import antigravity
import matplotlib


if __name__ == "__main__":
    print("example")
`

// seedMatplotlib is a small pure-Python stand-in for matplotlib, built by the test: the
// packages matplotlib (with pyplot) and mpl_toolkits, as the real wheel has.
func seedMatplotlib(t *testing.T) string {
	t.Helper()
	whl, _, err := testdist.BuildProject(t.TempDir(), map[string]string{
		"pyproject.toml": `[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "matplotlib"
version = "3.5.3"
description = "a pure-Python stand-in for matplotlib, for pydepot's tests"

[tool.setuptools]
packages = ["matplotlib", "mpl_toolkits", "mpl_toolkits.mplot3d"]
`,
		"matplotlib/__init__.py":           "__version__ = '3.5.3'\n",
		"matplotlib/pyplot.py":             "def plot(*args, **kwargs):\n    return list(args)\n",
		"mpl_toolkits/__init__.py":         "",
		"mpl_toolkits/mplot3d/__init__.py": "class Axes3D:\n    pass\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	return whl
}

// seedRecorder is a harmless BROWSER: importing antigravity calls webbrowser.open on
// xkcd 353; this records the URL instead of opening anything.
func seedRecorder(t *testing.T) (browser, record string) {
	dir := t.TempDir()
	record = filepath.Join(dir, "opened.txt")
	browser = filepath.Join(dir, "browser")
	script := "#!/bin/sh\necho \"$1\" >> '" + record + "'\n"
	if err := os.WriteFile(browser, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return browser + " %s", record
}

func TestSeedManPages(t *testing.T) {
	needTools(t)
	s := startServer(t)
	pydepotUpload(t, s, seedMatplotlib(t))
	bin := pydepotBin(t)

	for _, tc := range []struct {
		name string
		// deps is the dependencies.json written as the seed shows it; "" = written by
		// `pydepot analyze example.py dependencies.json` for the default python3.
		deps   string
		python string // expected major.minor of the environment ("" = python3 on PATH)
	}{
		{"python3.7", `{"python": "3.7.3", "modules": ["antigravity", "matplotlib"]}`, "3.7"},
		{"default python3", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			work := t.TempDir()
			if err := os.WriteFile(filepath.Join(work, "example.py"), []byte(seedExample), 0o644); err != nil {
				t.Fatal(err)
			}
			env := []string{"PYDEPOT_URL=" + s.URL, "PYDEPOT_INDEX_URL=" + s.URL, "XDG_CACHE_HOME=" + t.TempDir()}
			depsFile := filepath.Join(work, "dependencies.json")
			if tc.deps != "" {
				if err := os.WriteFile(depsFile, []byte(tc.deps), 0o644); err != nil {
					t.Fatal(err)
				}
			} else {
				// python_package_analyze example.py dependencies.json
				run(t, work, env, bin, "analyze", "example.py", "dependencies.json")
				var got struct {
					Python  string   `json:"python"`
					Modules []string `json:"modules"`
				}
				data, _ := os.ReadFile(depsFile)
				if err := json.Unmarshal(data, &got); err != nil || got.Python == "" || strings.Join(got.Modules, ",") != "matplotlib" {
					t.Fatalf("analyze wrote %s (%v); want the seed's shape, antigravity dropped as stdlib", data, err)
				}
				tc.python = strings.Join(strings.SplitN(got.Python, ".", 3)[:2], ".")
			}

			// python_package_create dependencies.json example_venv
			out := run(t, work, env, bin, "create", "dependencies.json", "example_venv")
			t.Log(out)
			if _, err := os.Stat(filepath.Join(work, "example_venv.tar.gz")); err != nil {
				t.Fatalf("no example_venv.tar.gz: %v\n%s", err, out)
			}
			if !strings.Contains(out, "Python "+tc.python) || !strings.Contains(out, "1 packages") {
				t.Errorf("create output %q: want Python %s and 1 package (matplotlib; antigravity is stdlib)", out, tc.python)
			}

			// python_package_run example_venv "python3 example.py", with no Python of the
			// machine on PATH and a browser that only records
			browser, record := seedRecorder(t)
			runEnv := []string{"PATH=" + noPythonPath(t), "XDG_CACHE_HOME=" + t.TempDir(), "BROWSER=" + browser, "DISPLAY="}
			got := run(t, work, runEnv, bin, "run", "example_venv", "python3 example.py")
			if strings.TrimSpace(got) != "example" {
				t.Errorf("python3 example.py printed %q, want \"example\"", got)
			}
			opened, _ := os.ReadFile(record)
			if !strings.Contains(string(opened), "xkcd.com/353") {
				t.Errorf("import antigravity did not go through the harmless BROWSER (recorded %q)", opened)
			}
			check := "import sys, matplotlib, mpl_toolkits.mplot3d; print('%d.%d' % sys.version_info[:2], matplotlib.__version__)"
			got = run(t, work, runEnv, bin, "run", "example_venv", "python3 -c \""+check+"\"")
			if strings.TrimSpace(got) != tc.python+" 3.5.3" {
				t.Errorf("environment python/matplotlib: %q, want %s 3.5.3", got, tc.python)
			}

			// The environment's own pip refuses, even with the worker's pip on PATH.
			pipEnv := []string{"PATH=" + noPythonPath(t) + ":/usr/local/bin:/usr/bin:/bin", "XDG_CACHE_HOME=" + t.TempDir()}
			cmd := exec.Command(bin, "run", "example_venv", "pip install requests")
			cmd.Dir, cmd.Env = work, append(os.Environ(), pipEnv...)
			pout, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !strings.Contains(string(pout), "packed by pydepot") || !strings.Contains(string(pout), "add requests to the spec") {
				t.Errorf("pip install in the environment: %v\n%s", err, pout)
			} else if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Errorf("pip install in the environment: exit %v, want 1", err)
			}
		})
	}
}
