package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/metastore"
)

// undo3 takes a database back from schema 3 to schema 2, as an older pydepot left it.
const undo3 = `DROP TABLE blobs;
	ALTER TABLE files DROP COLUMN origin; ALTER TABLE files DROP COLUMN origin_remote;
	ALTER TABLE files DROP COLUMN upstream_url; ALTER TABLE files DROP COLUMN upstream_hashes;
	ALTER TABLE files DROP COLUMN presence;
	DELETE FROM schema_migrations WHERE version = 3;`

func sha(i int) string { return fmt.Sprintf("%064x", i) }

// TestMigration3FillsBlobs: a schema-2 database with files migrates to one blobs row per
// body (with its size) and per metadata file (size unknown), first seen at the earliest
// upload, and its file rows read as uploaded and stored.
func TestMigration3FillsBlobs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pydepot.db")
	s := open(t, path)
	var repoID int64
	if err := s.InTx(ctx, func(tx metastore.Tx) error {
		r, err := tx.CreateRepository(ctx, "main", "", t0())
		if err != nil {
			return err
		}
		repoID = r.ID
		n, err := tx.BeginVersion(ctx, r.ID, "seed", t0())
		if err != nil {
			return err
		}
		for i, body := range []int{1, 2, 1} { // the third file shares the first's body
			f := &metastore.File{RepositoryID: r.ID, Filename: fmt.Sprintf("p-1.%d.tar.gz", i), Project: "p", ProjectName: "p",
				Version: fmt.Sprintf("1.%d", i), Kind: "sdist", SHA256: sha(body), Size: int64(100 * body),
				MetadataSHA256: sha(10), UploadTime: t0().Add(time.Duration(i) * time.Hour)}
			if _, err := tx.AddFile(ctx, f, n); err != nil {
				return err
			}
		}
		return tx.FinishVersion(ctx, r.ID, n, t0())
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(undo3); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s = open(t, path)
	defer s.Close()
	rows, err := s.Blobs(ctx, []string{sha(1), sha(2), sha(10), sha(99)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]metastore.Blob{}
	for _, b := range rows {
		got[b.SHA256] = b
	}
	want := map[string]struct {
		size  int64
		first time.Time
	}{sha(1): {100, t0()}, sha(2): {200, t0().Add(time.Hour)}, sha(10): {-1, t0()}}
	if len(got) != len(want) {
		t.Errorf("blobs rows %v, want %v", got, want)
	}
	for d, w := range want {
		if b := got[d]; b.Size != w.size || !b.FirstSeen.Equal(w.first) {
			t.Errorf("blob %s = %+v, want size %d first seen %s", d[60:], b, w.size, w.first)
		}
	}
	f, err := s.FileByFilename(ctx, repoID, "p-1.0.tar.gz")
	if err != nil || f.Origin != metastore.OriginUpload || f.Presence != metastore.PresenceStored {
		t.Errorf("migrated file = %+v, %v", f, err)
	}
	// A later touch with the size fills it in; the first-seen time stays.
	now := t0().Add(48 * time.Hour)
	if err := s.InTx(ctx, func(tx metastore.Tx) error { return tx.TouchBlob(ctx, sha(10), 42, now) }); err != nil {
		t.Fatal(err)
	}
	rows, _ = s.Blobs(ctx, []string{sha(10)})
	if len(rows) != 1 || rows[0].Size != 42 || !rows[0].FirstSeen.Equal(t0()) || !rows[0].TouchedAt.Equal(now) {
		t.Errorf("touched row = %+v", rows)
	}
	if !slices.ContainsFunc(rows, func(b metastore.Blob) bool { return b.SHA256 == sha(10) }) {
		t.Error("row lost")
	}
}
