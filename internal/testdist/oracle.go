package testdist

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// PackagingOracle returns a Python interpreter whose `packaging` library (pip's vendored
// copy in Python 3.13's pip, packaging 24, or Debian's python3-packaging, which the test
// setup installs) serves tests as the reference implementation of the packaging
// standards. It fails the test, naming `make test-deps`, when neither is there.
func PackagingOracle(t testing.TB) string {
	t.Helper()
	probe := func(py string) bool {
		cmd := exec.Command(py, "-c", "try:\n from pip._vendor.packaging import _parser\nexcept ImportError:\n from packaging import _parser")
		return cmd.Run() == nil
	}
	var tried []string
	if in, err := FindPython("3.13"); err == nil {
		if probe(in.Path) {
			return in.Path
		}
		tried = append(tried, in.Path)
	}
	if probe(DebianPython) {
		return DebianPython
	}
	tried = append(tried, DebianPython)
	t.Fatalf("no Python with packaging >= 22 as an oracle (tried %s): run `make test-deps`, which installs Debian's python3-packaging",
		strings.Join(tried, ", "))
	return ""
}

// RunPython runs script with the interpreter py, sends in as JSON on its standard input and
// decodes its standard output as JSON into out. It fails the test with the script's
// standard error when the script fails.
func RunPython(t testing.TB, py, script string, in, out any) {
	t.Helper()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, script)
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", py, script, err, stderr.String())
	}
	if err := json.Unmarshal(stdout, out); err != nil {
		t.Fatalf("%s %s: output is not the expected JSON: %v", py, script, err)
	}
}

// NeedDebian fails the test when glob matches nothing, naming the Debian packages pkgs
// that provide it and `make test-deps`, which installs them before the tests run (tests
// never install anything themselves: they run in parallel).
func NeedDebian(t testing.TB, glob string, pkgs ...string) {
	t.Helper()
	if m, _ := filepath.Glob(glob); len(m) > 0 {
		return
	}
	t.Fatalf("nothing matches %s: run `make test-deps` (scripts/install-test-deps.sh), which installs the Debian packages %s",
		glob, strings.Join(pkgs, " "))
}

// NeedCommand returns the path of the command name on PATH, or fails the test naming the
// Debian package pkg that provides it and `make test-deps`.
func NeedCommand(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not on PATH: run `make test-deps` (scripts/install-test-deps.sh), which installs the Debian package %s", name, pkg)
	}
	return p
}

// DebianPython is Debian's interpreter, the one that sees the Debian packages the test
// setup installs (python3-build, python3-setuptools, python3-wheel, python3-packaging).
const DebianPython = "/usr/bin/python3"

// DebianBuildPython returns DebianPython after checking that it has python3-build,
// python3-setuptools and python3-wheel (for `python3 -m build --no-isolation`); it fails
// the test, naming `make test-deps`, when one is missing.
func DebianBuildPython(t testing.TB) string {
	t.Helper()
	if out, err := exec.Command(DebianPython, "-c", "import build, setuptools, wheel").CombinedOutput(); err != nil {
		t.Fatalf("%s lacks build, setuptools or wheel (%v: %s): run `make test-deps` (scripts/install-test-deps.sh), "+
			"which installs the Debian packages python3-build python3-setuptools python3-wheel", DebianPython, err, strings.TrimSpace(string(out)))
	}
	return DebianPython
}
