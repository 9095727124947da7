package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

func TestParsedMetadata(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "pydepot.db"))
	defer s.Close()
	if _, err := s.ParsedMetadata(ctx, "abc"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	for _, v := range []string{`{"Name":"a"}`, `{"Name":"other"}`} {
		if err := s.InTx(ctx, func(tx metastore.Tx) error { return tx.PutParsedMetadata(ctx, "abc", []byte(v)) }); err != nil {
			t.Fatal(err)
		}
	}
	if b, err := s.ParsedMetadata(ctx, "abc"); err != nil || string(b) != `{"Name":"a"}` {
		t.Errorf("ParsedMetadata = %s, %v; want the first value", b, err)
	}
	// Rolled back with its transaction.
	boom := errors.New("boom")
	if err := s.InTx(ctx, func(tx metastore.Tx) error {
		if err := tx.PutParsedMetadata(ctx, "def", []byte("{}")); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, err := s.ParsedMetadata(ctx, "def"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("after rollback: %v", err)
	}
	if err := s.InTx(ctx, func(tx metastore.Tx) error { return tx.PutParsedMetadata(ctx, "", []byte("{}")) }); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("empty digest: %v", err)
	}
}

// TestMigrationFromSchema1: a database made before migration 0002 opens, keeps its data,
// and has no parsed metadata (readers fall back to parsing the blob).
func TestMigrationFromSchema1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pydepot.db")
	s := open(t, path)
	if err := s.InTx(ctx, func(tx metastore.Tx) error {
		_, err := tx.CreateRepository(ctx, "main", "", t0())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Take back what migration 0002 made (later migrations stay applied: they do not
	// depend on it), as an older pydepot left it.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DROP TABLE parsed_metadata; DELETE FROM schema_migrations WHERE version = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s = open(t, path)
	defer s.Close()
	if v, err := s.SchemaVersion(ctx); err != nil || v < 2 {
		t.Fatalf("SchemaVersion = %d, %v", v, err)
	}
	if _, err := s.Repository(ctx, "main"); err != nil {
		t.Errorf("data lost in the migration: %v", err)
	}
	if _, err := s.ParsedMetadata(ctx, "abc"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("ParsedMetadata after migrating: %v", err)
	}
}
