package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/metastore/sqlite"
)

// TestLeanBlobsMigration: migration 0010 keeps every blobs and import_names row of a
// database at version 9 (the rows gc and the import resolver read), leaves blobs and
// import_names keyed by their primary key alone, and drops the index of touched_at.
func TestLeanBlobsMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pydepot.db")
	o := oldDBAt(t, path, 9)
	o.exec(`INSERT INTO repositories (name, latest, created_at) VALUES ('main', 1, 1)`)
	o.exec(`INSERT INTO projects (name) VALUES ('demo')`)
	var digests []string
	for i := range 3 {
		sha := fmt.Sprintf("%064x", i+1)
		digests = append(digests, sha)
		o.exec(`INSERT INTO blobs (digest, size, first_seen, touched_at) VALUES (?, ?, ?, ?)`, sha, 10*i-1, 100+i, 200+i)
		o.exec(`INSERT INTO files (repository_id, project_id, filename, project_name, version, kind, sha256, size, upload_time)
			VALUES (1, 1, ?, 'demo', ?, 'sdist', ?, 10, 3)`, fmt.Sprintf("demo-1.%d.tar.gz", i), fmt.Sprintf("1.%d", i), sha)
		o.exec(`INSERT INTO import_names (file_id, name) VALUES (?, 'demo'), (?, ?)`, i+1, i+1, fmt.Sprintf("demo_%d", i))
	}
	o.db.Close()

	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(ctx); err != nil || v < 10 {
		t.Fatalf("schema version %d, %v", v, err)
	}
	rows, err := s.Blobs(ctx, digests)
	if err != nil || len(rows) != 3 {
		t.Fatalf("Blobs = %+v, %v", rows, err)
	}
	for _, b := range rows {
		i := slices.Index(digests, b.SHA256)
		if b.Size != int64(10*i-1) || b.FirstSeen.UnixMicro() != int64(100+i) || b.TouchedAt.UnixMicro() != int64(200+i) {
			t.Errorf("blob %d after the migration: %+v", i, b)
		}
	}

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM import_names`).Scan(&n); err != nil || n != 6 {
		t.Errorf("%d import names after the migration (%v), want 6", n, err)
	}
	for _, table := range []string{"blobs", "import_names"} {
		var ddl string
		if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&ddl); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(ddl, "WITHOUT ROWID") {
			t.Errorf("%s is not keyed by its primary key alone: %s", table, ddl)
		}
	}
	var indexes []string
	r, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('blobs', 'import_names') AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var name string
		r.Scan(&name)
		indexes = append(indexes, name)
	}
	r.Close()
	if !slices.Equal(indexes, []string{"import_names_name"}) {
		t.Errorf("indexes of blobs and import_names: %v, want import_names_name only", indexes)
	}
}
