package backends_test

import (
	"os/exec"
	"strings"
	"testing"
)

// deps lists the packages that pkgs link, with go list -deps.
func deps(t *testing.T, pkgs ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
	return strings.Fields(string(out))
}

// sqliteDeps are the SQLite packages among pkgs' dependencies.
func sqliteDeps(t *testing.T, pkgs ...string) []string {
	var bad []string
	for _, p := range deps(t, pkgs...) {
		if strings.HasPrefix(p, "modernc.org/sqlite") || strings.HasSuffix(p, "/internal/metastore/sqlite") ||
			strings.Contains(p, "mattn/go-sqlite3") {
			bad = append(bad, p)
		}
	}
	return bad
}

// TestDomainLinksNoSQLite: the domain takes its backends as interfaces; only the edge
// (this package, the CLI) links the SQLite driver.
func TestDomainLinksNoSQLite(t *testing.T) {
	if bad := sqliteDeps(t, "github.com/pydepot/pydepot/internal/index"); len(bad) > 0 {
		t.Errorf("internal/index links %v; open backends in internal/backends instead", bad)
	}
	// The check sees the driver where it is linked.
	if bad := sqliteDeps(t, "github.com/pydepot/pydepot/internal/backends"); len(bad) == 0 {
		t.Error("internal/backends links no SQLite driver: the check above proves nothing")
	}
}

// TestClientsLinkNoSQLite: the client and the analyzer talk HTTP to an index; they carry
// no database driver in their dependencies.
func TestClientsLinkNoSQLite(t *testing.T) {
	if bad := sqliteDeps(t, "github.com/pydepot/pydepot/internal/client", "github.com/pydepot/pydepot/internal/analyze"); len(bad) > 0 {
		t.Errorf("internal/client and internal/analyze link %v", bad)
	}
}
