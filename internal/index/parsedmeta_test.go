package index_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/hostile"
)

// TestCoreMetadataParsedOnce: the metadata is parsed at upload and kept, so reading it
// (the PyPI JSON API does, on every anonymous GET) never parses the METADATA blob again:
// it is still answered with the blob gone. A database row without it (a file uploaded
// before migration 0002) falls back to parsing the blob.
func TestCoreMetadataParsedOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := newServiceAt(t, dir)
	f := upload(t, s, "cont-1.0-py3-none-any.whl", hostile.ContinuationWheel("cont", 200_000))
	g := upload(t, s, "other-1.0-py3-none-any.whl", hostile.WheelBytes(hostile.Minimal("other", hostile.Metadata("other", "1.0", "Summary: the other one"))...))
	m, err := s.CoreMetadata(ctx, f.MetadataSHA256)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "cont" || strings.Count(m.Keywords, "b") != 200_000 || m.Summary != "continuation lines" {
		t.Errorf("CoreMetadata = %q %q (%d bytes of keywords)", m.Name, m.Summary, len(m.Keywords))
	}
	removeBlob(t, dir, f.MetadataSHA256)
	if _, _, err := s.OpenBlob(ctx, f.MetadataSHA256); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("the metadata blob is still there: %v", err)
	}
	if m, err := s.CoreMetadata(ctx, f.MetadataSHA256); err != nil || m.Name != "cont" {
		t.Errorf("CoreMetadata without the blob = %v, %v: it parsed the blob again", m, err)
	}
	// Without the stored row, the blob is parsed.
	db, err := sql.Open("sqlite", filepath.Join(dir, "pydepot.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM parsed_metadata WHERE metadata_sha256 = ?`, g.MetadataSHA256); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if m, err := s.CoreMetadata(ctx, g.MetadataSHA256); err != nil || m.Summary != "the other one" {
		t.Errorf("CoreMetadata from the blob = %v, %v", m, err)
	}
	if _, err := s.CoreMetadata(ctx, strings.Repeat("0", 64)); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("CoreMetadata(unknown) = %v", err)
	}
}

// removeBlob deletes the stored file of blob sha under the data folder.
func removeBlob(t *testing.T, dir, sha string) {
	t.Helper()
	found := false
	filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(filepath.Base(p), sha) {
			found = os.Remove(p) == nil
		}
		return nil
	})
	if !found {
		t.Fatalf("no blob file for %s", sha)
	}
}
