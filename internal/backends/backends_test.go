package backends_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/errs"
)

func TestURLs(t *testing.T) {
	for _, tc := range []struct {
		db, blobs string
		want      string // "" for success, else a part of the error
	}{
		{"sqlite:///var/lib/pydepot/pydepot.db", "file:///var/lib/pydepot/blobs", ""},
		{"sqlite://localhost/srv/x.db", "file://localhost/srv/b", ""},
		{"postgres://pydepot:secret@db.example.com/pydepot", "", "scale-out"},
		{"postgresql://db/pydepot", "", "scale-out"},
		{"", "s3://bucket/prefix", "scale-out"},
		{"mysql://db/x", "", "unknown scheme"},
		{"", "gs://bucket", "unknown scheme"},
		{"sqlite://relative/x.db", "", "absolute path"},
		{"sqlite:x.db", "", "absolute path"},
		{"", "file://./blobs", "absolute path"},
		{"sqlite:///x.db?mode=ro", "", "no user, query"},
		{"/var/lib/pydepot.db", "", "want scheme://"},
		{"", "blobs", "want scheme://"},
	} {
		check := func(kind, url string, fn func(string) (string, error)) {
			if url == "" {
				return
			}
			p, err := fn(url)
			switch {
			case tc.want == "" && (err != nil || !filepath.IsAbs(p)):
				t.Errorf("%s %q = %q, %v", kind, url, p, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, errs.ErrInvalid)):
				t.Errorf("%s %q: error %v, want one naming %q", kind, url, err, tc.want)
			case err != nil && strings.Contains(err.Error(), "secret"):
				t.Errorf("%s %q: the error shows the password: %v", kind, url, err)
			}
		}
		check("database", tc.db, backends.DatabasePath)
		check("blobs", tc.blobs, backends.BlobsPath)
	}
}

// TestDataURLs: a data directory stands for the two URLs, which name its files (also
// with characters a URL escapes).
func TestDataURLs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my data #1")
	db, blobs := backends.DataURLs(dir)
	if p, err := backends.DatabasePath(db); err != nil || p != filepath.Join(dir, "pydepot.db") {
		t.Errorf("database %s = %q, %v", db, p, err)
	}
	if p, err := backends.BlobsPath(blobs); err != nil || p != filepath.Join(dir, "blobs") {
		t.Errorf("blobs %s = %q, %v", blobs, p, err)
	}
	svc, closeFn, err := backends.Open(context.Background(), db, blobs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.EnsureDefaults(context.Background()); err != nil {
		t.Fatal(err)
	}
	closeFn()
	for _, p := range []string{filepath.Join(dir, "pydepot.db"), filepath.Join(dir, "blobs")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// TestOpenRefusesWithoutTouching: a refused URL creates nothing.
func TestOpenRefusesWithoutTouching(t *testing.T) {
	dir := t.TempDir()
	db, _ := backends.DataURLs(dir)
	if _, _, err := backends.Open(context.Background(), db, "s3://bucket/x", nil); err == nil || !strings.Contains(err.Error(), "scale-out") {
		t.Fatalf("Open with s3:// = %v", err)
	}
	if _, _, err := backends.Open(context.Background(), "postgres://db/x", "file://"+dir+"/blobs", nil); err == nil || !strings.Contains(err.Error(), "scale-out") {
		t.Fatalf("Open with postgres:// = %v", err)
	}
	for _, p := range []string{"blobs", "pydepot.db"} {
		if _, err := os.Stat(filepath.Join(dir, p)); !os.IsNotExist(err) {
			t.Errorf("a refused Open created %s: %v", p, err)
		}
	}
}
