package testdist

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// PackagingOracle returns a Python interpreter whose `packaging` library (pip's vendored
// copy in pyenv's 3.13, packaging 24, or Debian's python3-packaging) serves tests as the
// reference implementation of the packaging standards. It installs python3-packaging
// when nothing else is there, and fails the test when even that does not help.
func PackagingOracle(t testing.TB) string {
	t.Helper()
	probe := func(py string) bool {
		if _, err := os.Stat(py); err != nil {
			return false
		}
		cmd := exec.Command(py, "-c", "try:\n from pip._vendor.packaging import _parser\nexcept ImportError:\n from packaging import _parser")
		return cmd.Run() == nil
	}
	for _, py := range []string{"/root/.pyenv/versions/3.13.0/bin/python3", "/usr/bin/python3"} {
		if probe(py) {
			return py
		}
	}
	if out, err := exec.Command("apt-get", "install", "-y", "python3-packaging").CombinedOutput(); err != nil {
		t.Fatalf("installing python3-packaging for the oracle: %v\n%s", err, out)
	}
	if !probe("/usr/bin/python3") {
		t.Fatal("no Python with packaging >= 22 available as an oracle")
	}
	return "/usr/bin/python3"
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

// EnsureDebian installs the Debian packages pkgs when glob matches nothing, so a test that
// needs a tool gets it instead of skipping.
func EnsureDebian(t testing.TB, glob string, pkgs ...string) {
	t.Helper()
	if m, _ := filepath.Glob(glob); len(m) > 0 {
		return
	}
	out, err := exec.Command("apt-get", append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("apt-get install %v: %v\n%s", pkgs, err, out)
	}
}
