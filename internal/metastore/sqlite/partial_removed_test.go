package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/metastore/sqlite"
)

// TestPartialRemovedMigration: after migration 0011 the index of removals holds only
// removed rows, and what is read through it (a repository's delta, a version's changes)
// is what it was at version 10.
func TestPartialRemovedMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pydepot.db")
	o := oldDBAt(t, path, 10)
	seedDemo(o)
	// Version 1 holds files 1-3; version 2 removed file 1 and added file 4.
	o.exec(`INSERT INTO repository_content (repository_id, project_id, file_id, version_added, version_removed)
		VALUES (1, 1, 1, 1, 2), (1, 1, 2, 1, NULL), (1, 1, 3, 1, NULL), (1, 1, 4, 2, NULL)`)
	o.db.Close()

	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before, after, err := s.ContentDelta(ctx, 1, 1, 2, 10)
	if err != nil || len(before) != 1 || before[0].Filename != "demo-1.0.tar.gz" || len(after) != 1 || after[0].Filename != "demo-1.3.tar.gz" {
		t.Fatalf("delta 1..2: removed %+v, added %+v, %v", before, after, err)
	}

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ddl string
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'content_removed'`).Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ddl, "WHERE version_removed IS NOT NULL") {
		t.Errorf("content_removed is not partial: %s", ddl)
	}
	// Each query shape that names the index is planned on it.
	for _, q := range []string{
		`SELECT count(*) FROM repository_content INDEXED BY content_removed WHERE repository_id = 1 AND version_removed > 1`,
		`SELECT count(*) FROM repository_content INDEXED BY content_removed WHERE repository_id = 1 AND version_removed = 2`,
		`SELECT count(*) FROM repository_content r INDEXED BY content_removed WHERE r.repository_id = 1 AND r.version_removed > 1 AND r.version_removed <= 2 AND r.version_added <= 1`,
	} {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil || n != 1 {
			t.Errorf("%s: %d, %v", q, n, err)
		}
	}
}

// seedDemo writes repository main at version 2 and project demo's files
// demo-1.0.tar.gz to demo-1.3.tar.gz (ids 1 to 4), in no version yet.
func seedDemo(o *oldDB) {
	o.exec(`INSERT INTO repositories (name, latest, created_at) VALUES ('main', 2, 1)`)
	o.exec(`INSERT INTO repository_versions (repository_id, number, created_at) VALUES (1, 1, 1), (1, 2, 2)`)
	o.exec(`INSERT INTO projects (name) VALUES ('demo')`)
	for i := range 4 {
		o.exec(`INSERT INTO files (repository_id, project_id, filename, project_name, version, kind, sha256, size, upload_time)
			VALUES (1, 1, ?, 'demo', ?, 'sdist', ?, 10, 3)`, fmt.Sprintf("demo-1.%d.tar.gz", i), fmt.Sprintf("1.%d", i), fmt.Sprintf("%064x", i+1))
	}
}
