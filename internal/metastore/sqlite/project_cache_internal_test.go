package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/metastore"
)

// TestAddFileUpsertsProjectOncePerTx: in one write transaction, the files after the
// first of a project do not write its project row again (a sync adds thousands of files
// of few projects in one transaction); a later transaction finds the row as before, and
// every file points at it.
func TestAddFileUpsertsProjectOncePerTx(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "p.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	file := func(repo int64, i int) *metastore.File {
		return &metastore.File{RepositoryID: repo, Filename: fmt.Sprintf("p-1.%d.tar.gz", i), Project: "p", ProjectName: "p",
			Version: fmt.Sprintf("1.%d", i), Kind: "sdist", SHA256: strings.Repeat(fmt.Sprintf("%x", i%16), 64), Size: 10, UploadTime: now}
	}
	var repo int64
	var updates int
	if err := s.InTx(ctx, func(mt metastore.Tx) error {
		q := mt.(*tx).queries
		// A trigger of this connection (the writer's only one) counts the project row's updates.
		for _, stmt := range []string{"CREATE TEMP TABLE project_updates (n)",
			"CREATE TEMP TRIGGER count_project_updates AFTER UPDATE ON main.projects BEGIN INSERT INTO project_updates VALUES (1); END"} {
			if _, err := q.q.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		r, err := mt.CreateRepository(ctx, "main", "", now)
		if err != nil {
			return err
		}
		repo = r.ID
		for i := 1; i <= 2; i++ {
			if _, err := mt.AddFile(ctx, file(repo, i), 1); err != nil {
				return err
			}
		}
		if err := q.q.QueryRowContext(ctx, "SELECT count(*) FROM temp.project_updates").Scan(&updates); err != nil {
			return err
		}
		for _, stmt := range []string{"DROP TRIGGER temp.count_project_updates", "DROP TABLE temp.project_updates"} {
			if _, err := q.q.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if updates != 0 {
		t.Errorf("two files of a new project in one transaction updated its row %d times, want 0", updates)
	}
	if err := s.InTx(ctx, func(mt metastore.Tx) error {
		_, err := mt.AddFile(ctx, file(repo, 3), 1)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var projects, distinct int
	if err := s.read.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM projects), (SELECT count(DISTINCT project_id) FROM files)").Scan(&projects, &distinct); err != nil {
		t.Fatal(err)
	}
	if projects != 1 || distinct != 1 {
		t.Errorf("%d project rows, files point at %d, want 1 and 1", projects, distinct)
	}
}
