package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

// TestClientAndAnalyzeHaveNoSQLite keeps the server's storage out of the client side:
// the management client and the analyzer (which pydepot analyze and envs use) must not
// link the SQLite driver or the metadata store, which come in through internal/index.
func TestClientAndAnalyzeHaveNoSQLite(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	pkgs := []string{"github.com/pydepot/pydepot/internal/client", "github.com/pydepot/pydepot/internal/analyze"}
	out, err := exec.Command(goBin, append([]string{"list", "-deps"}, pkgs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{
		"modernc.org/sqlite",
		"github.com/pydepot/pydepot/internal/metastore/sqlite",
		"github.com/pydepot/pydepot/internal/index",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("internal/client or internal/analyze depends on %s (wire and the client must stay leaves)", dep)
			}
		}
	}
}
