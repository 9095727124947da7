package depcheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCIRunsLintAndFuzz checks what CI runs (.ci/run calls `make test` with CI=true)
// without running it: `make -n test` must lint (gofmt, go vet, staticcheck pinned to a
// version, never @latest), run the tests, the race detector and every fuzz target.
func TestCIRunsLintAndFuzz(t *testing.T) {
	root := filepath.Join("..", "..")
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^export CI=true$`).Match(ci) || !regexp.MustCompile(`(?m)^make test$`).Match(ci) {
		t.Errorf(".ci/run must export CI=true and run `make test`:\n%s", ci)
	}
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Fatalf("make is not on PATH: run `make test-deps`, which installs Debian's make")
	}
	cmd := exec.Command(mk, "-n", "test", "PYDEPOT_TEST_TOOLS="+t.TempDir())
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n test: %v\n%s", err, out)
	}
	plan := string(out)
	for _, want := range []string{
		"install-test-deps.sh",
		"gofmt -l",
		"go vet ./...",
		"go install honnef.co/go/tools/cmd/staticcheck@v",
		"staticcheck-v",
		"go test -p 2",
		"go test -race",
		"scripts/fuzz-all.sh ",
	} {
		if !strings.Contains(plan, want) {
			t.Errorf("make test does not run %q; it runs:\n%s", want, plan)
		}
	}
	if strings.Contains(plan, "@latest") {
		t.Errorf("make test installs a tool @latest (pin its version):\n%s", plan)
	}
	if i, j := strings.Index(plan, "staticcheck-v"), strings.Index(plan, "go test -p 2"); i < 0 || j < 0 || i > j {
		t.Errorf("make test must lint before it tests:\n%s", plan)
	}
}
