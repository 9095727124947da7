package mirror_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/mirror"
)

// names lists dir's entries.
func names(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestSyncDownloadsIntoTheBlobBatch: a download goes straight into a spool of the blob
// batch (nothing lands in Options.TempDir); a small wheel's stays in memory until the
// batch's Commit makes its file and moves it to the blob's path: one file made and one
// rename per blob. Until then nothing is at the blob's path, and nothing is left in
// either folder after.
func TestSyncDownloadsIntoTheBlobBatch(t *testing.T) {
	ctx := context.Background()
	d := dist{name: "pkg", version: "1.0"}
	whl := wheelOf(t, d)
	sha := sha256hex(whl)
	data, tmp := t.TempDir(), t.TempDir()
	blobTmp := filepath.Join(data, "blobs", "_tmp")
	var mu sync.Mutex
	var during []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/simple/pkg/":
			fmt.Fprintf(w, "<a href=\"/files/%s#sha256=%s\">%s</a>\n", d.filename(), sha, d.filename())
		case "/files/" + d.filename():
			w.Header().Set("Content-Length", fmt.Sprint(len(whl)))
			w.Write(whl[:len(whl)/2])
			w.(http.Flusher).Flush()
			mu.Lock()
			for _, n := range names(tmp) {
				during = append(during, "TempDir/"+n)
			}
			for _, n := range names(blobTmp) {
				during = append(during, "_tmp/"+n)
			}
			if _, err := os.Stat(filepath.Join(data, "blobs", "sha256", sha[:2], sha)); err == nil {
				during = append(during, "blob at its path")
			}
			mu.Unlock()
			w.Write(whl[len(whl)/2:])
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	svc, closeFn, err := backends.OpenDir(ctx, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if err := svc.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	s := &sink{svc: svc, m: mirror.New(svc, mirror.Options{TempDir: tmp, RetryBackoff: 1})}
	s.remote(t, mirror.Remote{Name: "up", URL: srv.URL + "/simple/", Includes: []string{"pkg"}})
	if res := s.sync(t, mirror.SyncRequest{Remote: "up"}); res.Added != 1 || res.Downloaded != 1 {
		t.Fatalf("sync: %+v", res)
	}
	mu.Lock()
	got := strings.Join(during, " ")
	mu.Unlock()
	if got != "" {
		t.Errorf("during the download: %q; want no file (a small wheel waits in memory for the batch's Commit)", got)
	}
	if st, err := os.Stat(filepath.Join(data, "blobs", filepath.FromSlash(svc.Blobs().BlobPath(sha)))); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the blob after the sync: %v", err)
	}
	if sha256hex(blob(t, svc, sha)) != sha {
		t.Error("the stored blob has other bytes")
	}
	if left := append(names(tmp), names(blobTmp)...); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}
