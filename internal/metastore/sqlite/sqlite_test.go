package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/metastore/metastoretest"
	"github.com/pydepot/pydepot/internal/metastore/sqlite"
)

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSuite(t *testing.T) {
	metastoretest.Run(t, func(t *testing.T) metastore.Store {
		return open(t, filepath.Join(t.TempDir(), "pydepot.db"))
	})
}

func TestMigrationsAreIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pydepot.db")
	s := open(t, path)
	if err := s.InTx(ctx, func(tx metastore.Tx) error {
		_, err := tx.CreateRepository(ctx, "main", "", t0())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	v1, err := s.SchemaVersion(ctx)
	if err != nil || v1 < 1 {
		t.Fatalf("SchemaVersion = %d, %v", v1, err)
	}
	s.Close()
	s = open(t, path)
	defer s.Close()
	if v2, _ := s.SchemaVersion(ctx); v2 != v1 {
		t.Errorf("schema version %d after reopening, was %d", v2, v1)
	}
	if _, err := s.Repository(ctx, "main"); err != nil {
		t.Errorf("data lost on reopen: %v", err)
	}
}
