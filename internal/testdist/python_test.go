package testdist

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakePyenv makes a pyenv root whose versions/NAME/bin/pythonX.Y link to the real
// interpreter real, and points PYENV_ROOT at it with PATH holding only pathDir.
func fakePyenv(t *testing.T, real Interpreter, pathDir string, names ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, n := range names {
		bin := filepath.Join(root, "versions", n, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(real.Path, filepath.Join(bin, "python"+real.MajorMinor())); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PYENV_ROOT", root)
	t.Setenv("PATH", pathDir)
	return root
}

// TestFindPythonInPyenvByVersion: pyenv's versions are found wherever its root is, by
// major.minor with the highest patch release first (3.11.10 before 3.11.9), and not
// mistaken for another minor (3.1 is not 3.11).
func TestFindPythonInPyenvByVersion(t *testing.T) {
	real := PythonInfo(t, SiteVersion)
	root := fakePyenv(t, real, t.TempDir(), "3.11.9", "3.11.10", "3.11-dev", "3.11.10t")
	if got := FindPyenvRoot(); got != root {
		t.Fatalf("FindPyenvRoot = %q, want $PYENV_ROOT %q", got, root)
	}
	in, err := FindPython(real.MajorMinor())
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "versions", "3.11.10", "bin", "python3.11"); in.Path != want {
		t.Errorf("FindPython(3.11).Path = %s, want %s", in.Path, want)
	}
	if in.Version != real.Version || in.Stdlib != real.Stdlib {
		t.Errorf("FindPython(3.11) = %+v, want what %s reports (%+v)", in, real.Path, real)
	}
	if _, err := FindPython("3.1"); err == nil || !strings.Contains(err.Error(), "no Python 3.1 in pyenv ("+root+")") {
		t.Errorf("FindPython(3.1) err = %v, want it to name the version and the pyenv root", err)
	}
}

// TestFindPythonOnPath: without pyenv, pythonX.Y on PATH is found; a version nobody has
// is an error naming where it was looked for.
func TestFindPythonOnPath(t *testing.T) {
	real := PythonInfo(t, SiteVersion)
	dir := t.TempDir()
	exe := filepath.Join(dir, "python"+real.MajorMinor())
	if err := os.Symlink(real.Path, exe); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", t.TempDir())
	fakePyenv(t, real, dir) // a root without versions of this minor
	in, err := FindPython(real.MajorMinor())
	if err != nil {
		t.Fatal(err)
	}
	if in.Path != exe {
		t.Errorf("found %s, want the one on PATH %s", in.Path, exe)
	}
	if _, err := FindPyenvPython(real.MajorMinor()); err == nil {
		t.Errorf("FindPyenvPython found %s outside pyenv", real.MajorMinor())
	}
	_, err = FindPython("3.99")
	if err == nil || !strings.Contains(err.Error(), "no Python 3.99 in pyenv (") || !strings.Contains(err.Error(), "PATH, /usr/bin") {
		t.Errorf("err = %v", err)
	}
	if _, err := FindPython("python3"); err == nil || !strings.Contains(err.Error(), "not a Python version") {
		t.Errorf("FindPython(python3) err = %v", err)
	}
}

// recorder stands in for the testing.TB of a test that Missing ends, to see how it ends.
type recorder struct {
	testing.TB
	failed, skipped string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Fatalf(format string, a ...any) { r.failed = fmt.Sprintf(format, a...) }
func (r *recorder) Skipf(format string, a ...any)  { r.skipped = fmt.Sprintf(format, a...) }

// TestMissingFailsInCI: a missing interpreter fails the test when CI=true and skips it
// elsewhere, with the reason either way.
func TestMissingFailsInCI(t *testing.T) {
	for _, ci := range []string{"true", ""} {
		t.Setenv("CI", ci)
		r := &recorder{TB: t}
		Missing(r, "no Python %s", "3.99")
		if ci == "true" && (r.failed == "" || r.skipped != "" || !strings.Contains(r.failed, "no Python 3.99")) {
			t.Errorf("CI=true: failed %q, skipped %q; want a failure naming 3.99", r.failed, r.skipped)
		}
		if ci == "" && (r.skipped == "" || r.failed != "" || !strings.Contains(r.skipped, "no Python 3.99")) {
			t.Errorf("CI unset: failed %q, skipped %q; want a skip naming 3.99", r.failed, r.skipped)
		}
	}
}

// TestPythonPrefixes lists each pyenv version and the prefix of each python on PATH once.
func TestPythonPrefixes(t *testing.T) {
	real := PythonInfo(t, SiteVersion)
	dir := t.TempDir()
	for _, n := range []string{"python3", "python" + real.MajorMinor()} {
		if err := os.Symlink(real.Path, filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	root := fakePyenv(t, real, dir, "3.11.9", "2.7.18")
	got := PythonPrefixes()
	realExe, _ := filepath.EvalSymlinks(real.Path)
	base := filepath.Dir(filepath.Dir(realExe))
	n := 0
	for _, p := range got {
		if p == base {
			n++
		}
	}
	if len(got) < 3 || got[0] != filepath.Join(root, "versions", "2.7.18") || got[1] != filepath.Join(root, "versions", "3.11.9") || n != 1 {
		t.Errorf("PythonPrefixes = %v, want both pyenv versions, then %s once", got, base)
	}
}
