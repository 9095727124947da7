package sqlite

import (
	"context"
	"errors"
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
	n := len(s.writer.stmts)
	if n == 0 {
		t.Fatal("a transaction's statements were not prepared on the write connection")
	}
	create("b") // the same statements: prepared already
	if len(s.writer.stmts) != n {
		t.Errorf("second transaction: %d statements, want the first's %d", len(s.writer.stmts), n)
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

// TestWriterTakesTurns: write transactions run one at a time on the one write
// connection; one waiting for its turn gives up when its context ends, and the store
// closes after writes (the connection goes back to its pool first).
func TestWriterTakesTurns(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "p.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	inside, leave := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.InTx(ctx, func(tx metastore.Tx) error {
			close(inside)
			<-leave
			_, err := tx.CreateRepository(ctx, "first", "", time.Now())
			return err
		})
	}()
	<-inside
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := s.InTx(short, func(metastore.Tx) error { return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a transaction waiting for its turn past its deadline: %v", err)
	}
	close(leave)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := s.InTx(ctx, func(tx metastore.Tx) error {
		_, err := tx.CreateRepository(ctx, "second", "", time.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close after writes: %v", err)
	}
}
