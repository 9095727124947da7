package blobstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/blobstore/blobstoretest"
)

func TestMemory(t *testing.T) {
	blobstoretest.RunDriver(t, func(t *testing.T) (blobstore.Driver, func() []string) {
		return blobstore.NewMemory(), nil
	})
}

func TestFile(t *testing.T) {
	blobstoretest.RunDriver(t, func(t *testing.T) (blobstore.Driver, func() []string) {
		dir := t.TempDir()
		d := mustFile(t, dir)
		return d, func() []string {
			ents, _ := os.ReadDir(filepath.Join(dir, "_tmp"))
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			return names
		}
	})
}

func TestFileRemovesStaleTemporaries(t *testing.T) {
	dir := t.TempDir()
	if _, err := blobstore.NewFile(dir); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "_tmp", "put-crashed")
	young := filepath.Join(dir, "_tmp", "put-writing") // another process's write in progress
	for _, p := range []string{stale, young} {
		if err := os.WriteFile(p, []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-25 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := blobstore.NewFile(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary file survived: %v", err)
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("a young temporary file (another process writing) was removed: %v", err)
	}
}

func TestFileReservedTmpPath(t *testing.T) {
	d, err := blobstore.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Stat(t.Context(), "_tmp/x"); err == nil {
		t.Error("Stat of the temporary directory succeeded")
	}
}

// redirecting is a Memory driver that is also a Redirector, serving its objects over
// HTTP as S3 serves presigned URLs: it runs the suite's redirect branch.
type redirecting struct {
	*blobstore.Memory
	url string
}

func (r redirecting) URLFor(ctx context.Context, path string, expiry time.Duration) (string, error) {
	if _, err := r.Stat(ctx, path); err != nil {
		return "", err
	}
	return r.url + "/" + path + "?expires=" + expiry.String(), nil
}

func TestMemoryRedirecting(t *testing.T) {
	blobstoretest.RunDriver(t, func(t *testing.T) (blobstore.Driver, func() []string) {
		m := blobstore.NewMemory()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			rd, _, err := m.Reader(req.Context(), strings.TrimPrefix(req.URL.Path, "/"))
			if err != nil {
				http.NotFound(w, req)
				return
			}
			defer rd.Close()
			http.ServeContent(w, req, "", time.Time{}, rd)
		}))
		t.Cleanup(srv.Close)
		return redirecting{Memory: m, url: srv.URL}, nil
	})
}
