// Package testcache keeps tests out of the caches of the user who runs them: `make test`
// wrote into the real ~/.cache/pydepot (pydepot's own environment and index caches) and
// ~/.cache/pip, ~/.local/share/... (the Python tools the tests drive).
//
// A package whose tests reach a default cache calls Main from its TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testcache.Main(m)) }
//
// Main points XDG_CACHE_HOME, XDG_DATA_HOME and XDG_STATE_HOME at a new temporary folder
// for the whole test binary (pydepot's DefaultCacheDir, pip, uv, poetry, pdm and pipenv
// all honour them, and child processes inherit them), runs the tests and removes the
// folder. HOME and XDG_CONFIG_HOME are left alone: the pyenv interpreters and the tools'
// configuration (go's own GOTOOLCHAIN=local, for one) are found through them. GOCACHE is
// pinned to the go command's own before XDG_CACHE_HOME moves, so that a test that runs
// go build reuses the build cache instead of compiling everything again.
package testcache

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Vars are the variables Main sets, each to its own subfolder.
var Vars = []string{"XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"}

// Main isolates the caches, runs m and returns its exit code.
func Main(m *testing.M) int {
	dir, err := os.MkdirTemp("", "pydepot-test-home-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testcache:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if os.Getenv("GOCACHE") == "" {
		if out, err := exec.Command("go", "env", "GOCACHE").Output(); err == nil && len(bytes.TrimSpace(out)) > 0 {
			os.Setenv("GOCACHE", string(bytes.TrimSpace(out)))
		}
	}
	for _, v := range Vars {
		p := filepath.Join(dir, v)
		if err := os.Mkdir(p, 0o700); err != nil {
			fmt.Fprintln(os.Stderr, "testcache:", err)
			return 1
		}
		os.Setenv(v, p)
	}
	return m.Run()
}
