package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/metastore/sqlite"
)

// TestCoveringProjectMigration: after migration 0012 a project's page reads the rows of
// repository_content from the index by project alone (a covering index), and reads what it
// read at version 11: the live files of the version asked, with their yanks.
func TestCoveringProjectMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pydepot.db")
	o := oldDBAt(t, path, 11)
	seedDemo(o)
	// Version 1 holds files 1-3 (3 yanked); version 2 removed file 1 and added file 4.
	o.exec(`INSERT INTO repository_content (repository_id, project_id, file_id, version_added, version_removed, yanked, yank_reason)
		VALUES (1, 1, 1, 1, 2, 0, ''), (1, 1, 2, 1, NULL, 0, ''), (1, 1, 3, 1, NULL, 1, 'broken'), (1, 1, 4, 2, NULL, 0, '')`)
	o.db.Close()

	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for v, want := range map[int]string{1: "demo-1.0.tar.gz demo-1.1.tar.gz demo-1.2.tar.gz(broken)", 2: "demo-1.1.tar.gz demo-1.2.tar.gz(broken) demo-1.3.tar.gz"} {
		files, err := s.ProjectPageFiles(ctx, 1, v, "demo")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range files {
			if f.Yanked {
				f.Filename += "(" + f.YankReason + ")"
			}
			got = append(got, f.Filename)
		}
		slices.Sort(got) // in no order: the callers sort
		if strings.Join(got, " ") != want {
			t.Errorf("version %d: %v, want %s", v, got, want)
		}
	}

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`EXPLAIN QUERY PLAN `+sqlite.ProjectPageFilesQuery, 1, "demo", 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "USING COVERING INDEX content_project") {
		t.Errorf("a project's page does not read repository_content from its covering index: %s", p)
	}
}
