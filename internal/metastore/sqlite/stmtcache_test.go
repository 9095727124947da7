package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/metastore"
)

// TestStatementsPreparedOnce: a query is prepared once per pool and reused, reads made
// through a reused statement see later commits (its rows were reset, holding no
// snapshot), and queries beyond the cache's bound still run.
func TestStatementsPreparedOnce(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "p.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	create := func(name string) {
		t.Helper()
		if err := s.InTx(ctx, func(tx metastore.Tx) error {
			_, err := tx.CreateRepository(ctx, name, "", now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	create("a")
	n := len(s.writeStmts.m)
	if n == 0 {
		t.Fatal("a transaction's statements were not prepared after it")
	}
	create("b") // the same statements: prepared already
	if len(s.writeStmts.m) != n || len(s.writeStmts.pending) != 0 {
		t.Errorf("second transaction: %d statements (%d pending), want the first's %d", len(s.writeStmts.m), len(s.writeStmts.pending), n)
	}
	for _, name := range []string{"a", "b"} {
		if _, err := s.Repository(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.readStmts.m) != 1 {
		t.Errorf("two reads of one query: %d statements prepared, want 1", len(s.readStmts.m))
	}
	// A reused read sees what was committed since it last ran.
	if _, err := s.Repository(ctx, "c"); err == nil {
		t.Fatal("repository c before it was made")
	}
	create("c")
	if _, err := s.Repository(ctx, "c"); err != nil {
		t.Errorf("repository c after its commit, read through a reused statement: %v", err)
	}
	// Past the bound, queries run as text.
	for i := range maxCachedStmts + 10 {
		var got int
		if err := s.q.QueryRowContext(ctx, fmt.Sprintf("SELECT %d + ?", i), 1).Scan(&got); err != nil || got != i+1 {
			t.Fatalf("query %d: %d, %v", i, got, err)
		}
	}
	if len(s.readStmts.m) > maxCachedStmts {
		t.Errorf("%d statements cached, bound %d", len(s.readStmts.m), maxCachedStmts)
	}
}
