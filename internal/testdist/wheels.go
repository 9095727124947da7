package testdist

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// PinnedWheels returns the paths of the wheels scripts/test-tools/wheels.lock pins for
// the projects named (normalized names, as "pytest"), which the test setup downloads into
// the wheels folder of ToolsDir. A wheel that is missing, or a folder made from another
// lock, skips the test, or fails it with CI=true (Missing).
func PinnedWheels(t testing.TB, names ...string) []string {
	t.Helper()
	dir, err := ToolsDir()
	if err != nil {
		t.Fatalf("testdist.PinnedWheels: %v", err)
	}
	root, err := ModuleRoot()
	if err != nil {
		t.Fatalf("testdist.PinnedWheels: %v", err)
	}
	lockFile := filepath.Join(root, "scripts", "test-tools", "wheels.lock")
	lock, err := os.ReadFile(lockFile)
	if err != nil {
		t.Fatalf("testdist.PinnedWheels: %v", err)
	}
	wheels := filepath.Join(dir, "wheels")
	sum := sha256.Sum256(lock)
	made, _ := os.ReadFile(filepath.Join(wheels, ".pins"))
	if got, _, _ := strings.Cut(string(made), " "); got != hex.EncodeToString(sum[:]) {
		Missing(t, "%s was not made from the current %s: run `make test-deps` (scripts/install-test-deps.sh)", wheels, lockFile)
		return nil
	}
	pins := map[string]string{} // name -> version
	for _, line := range strings.Split(string(lock), "\n") {
		line, _, _ = strings.Cut(line, "#")
		spec, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		if n, v, ok := strings.Cut(spec, "=="); ok {
			pins[n] = v
		}
	}
	var out []string
	for _, n := range names {
		v, ok := pins[n]
		if !ok {
			t.Fatalf("testdist.PinnedWheels: %s pins no %s", lockFile, n)
		}
		// Wheel file names spell the project with underscores.
		m, _ := filepath.Glob(filepath.Join(wheels, strings.ReplaceAll(n, "-", "_")+"-"+v+"-*.whl"))
		if len(m) != 1 {
			Missing(t, "no wheel of %s %s in %s: run `make test-deps` (scripts/install-test-deps.sh)", n, v, wheels)
			return nil
		}
		out = append(out, m[0])
	}
	return out
}
