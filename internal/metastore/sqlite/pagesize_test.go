package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/pydepot/pydepot/internal/metastore/sqlite"
)

// TestPageSize: a database made by Open, or a side database made by OpenSideDB, has
// 8 KiB pages and is in WAL mode; one made before with 4 KiB pages keeps them and
// opens as before.
func TestPageSize(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	pages := func(path string) (int, string) {
		t.Helper()
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		var mode string
		if err := db.QueryRow(`PRAGMA page_size`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		return n, mode
	}
	fresh := filepath.Join(dir, "fresh.db")
	s, err := sqlite.Open(ctx, fresh, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if n, mode := pages(fresh); n != 8192 || mode != "wal" {
		t.Errorf("a new store: %d-byte pages, journal %s", n, mode)
	}
	side := filepath.Join(dir, "side.db")
	db, err := sqlite.OpenSideDB(side)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if n, mode := pages(side); n != 8192 || mode != "wal" {
		t.Errorf("a new side database: %d-byte pages, journal %s", n, mode)
	}

	old := filepath.Join(dir, "old.db")
	o := oldDBAt(t, old, 10)
	o.exec(`INSERT INTO repositories (name, latest, created_at) VALUES ('kept', 0, 1)`)
	o.db.Close()
	s, err = sqlite.Open(ctx, old, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := s.Repository(ctx, "kept"); err != nil || r.Name != "kept" {
		t.Errorf("a store of 4 KiB pages after Open: %+v, %v", r, err)
	}
	s.Close()
	if n, _ := pages(old); n != 4096 {
		t.Errorf("a store made with 4 KiB pages has %d-byte pages after Open", n)
	}
}
