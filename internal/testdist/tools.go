package testdist

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ToolsEnv names the folder of the pinned clients when it is not .tools at the module root.
const ToolsEnv = "PYDEPOT_TEST_TOOLS"

// Clients are the commands scripts/install-test-deps.sh installs from the pins of
// scripts/test-tools, one virtualenv each.
var Clients = []string{"uv", "pip", "twine", "poetry", "pdm", "hatch", "pipenv"}

// ModuleRoot is the folder of the go.mod above the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// ToolsDir is the folder the test setup installs today's clients into: $PYDEPOT_TEST_TOOLS,
// else .tools at the module root.
func ToolsDir() (string, error) {
	if d := os.Getenv(ToolsEnv); d != "" {
		return filepath.Abs(d)
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ".tools"), nil
}

// Tool returns the path of the pinned client name (one of Clients) that the test setup
// installed. It fails the test, never skips it, when the setup did not install it or
// installed it from other pins, so that no machine passes by running fewer tests or
// other clients.
func Tool(t testing.TB, name string) string {
	t.Helper()
	dir, err := ToolsDir()
	if err != nil {
		t.Fatalf("testdist.Tool(%q): %v", name, err)
	}
	root, err := ModuleRoot()
	if err != nil {
		t.Fatalf("testdist.Tool(%q): %v", name, err)
	}
	p := filepath.Join(dir, "bin", name)
	if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		t.Fatalf("%s is not installed at %s: run scripts/install-test-deps.sh (make test-deps), "+
			"which installs the clients pinned in scripts/test-tools into %s", name, p, dir)
	}
	// The venv records the digest of the pins it was made from (as `sha256sum < NAME.txt`
	// prints it); another digest means the pins moved on and the setup was not run again.
	pinFile := filepath.Join(root, "scripts", "test-tools", name+".txt")
	pins, err := os.ReadFile(pinFile)
	if err != nil {
		t.Fatalf("testdist.Tool(%q): no pins: %v", name, err)
	}
	sum := sha256.Sum256(pins)
	made, _ := os.ReadFile(filepath.Join(dir, name, ".pins"))
	if got, _, _ := strings.Cut(string(made), " "); got != hex.EncodeToString(sum[:]) {
		t.Fatalf("%s at %s was not made from the current %s: run scripts/install-test-deps.sh again", name, p, pinFile)
	}
	return p
}

// DebianTool returns the Debian-packaged command name (/usr/bin/NAME, installed by the test
// setup from Debian) for the "old clients" tests, after checking that `NAME --version`
// reports a version wantVersion names (for example "4" for twine 4.x, "1.3" for 1.3.x). It fails the test
// when the command is missing or another version.
func DebianTool(t testing.TB, name, wantVersion string) string {
	t.Helper()
	p := filepath.Join("/usr/bin", name)
	out, err := exec.Command(p, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("Debian's %s (%s): %v\n%s\nrun scripts/install-test-deps.sh (make test-deps)", name, p, err, out)
	}
	if !versionIs(string(out), wantVersion) {
		t.Fatalf("Debian's %s is not version %s*: %s", name, wantVersion, strings.TrimSpace(string(out)))
	}
	return p
}

// versionIs reports whether the version a --version output reports (its first word that
// starts with a digit and holds a dot, as in "twine version 4.0.2 (…)" or
// "Poetry (version 1.3.2)") is want or, with want "4" or "4.", a 4.x.
func versionIs(out, want string) bool {
	v := versionOf(out)
	want = strings.TrimSuffix(want, ".")
	return v != "" && (v == want || strings.HasPrefix(v, want+"."))
}

func versionOf(out string) string {
	for _, w := range strings.FieldsFunc(out, func(r rune) bool { return strings.ContainsRune(" \t\n(),", r) }) {
		if w[0] >= '0' && w[0] <= '9' && strings.Contains(w, ".") {
			return w
		}
	}
	return ""
}

// PinnedVersion returns the version scripts/test-tools/NAME.txt pins for the package name,
// or "" when it pins none.
func PinnedVersion(name string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(root, "scripts", "test-tools", name+".txt"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+"=="); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", nil
}
