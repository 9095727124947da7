package server

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pydepot/pydepot/internal/testdisk"
)

// TestStorageFull: on a full disk an upload is refused with 507 "storage full", whether the
// spool or the blob store runs out, and nothing is left half-way. An upload is received
// once: with the spool beside the blobs (serve's data/tmp) it is renamed into the store, so
// a file that fits once is stored; with the spool on another file system, the copy into
// a full blob store fails.
func TestStorageFull(t *testing.T) {
	for _, tc := range []struct {
		name      string
		spoolAway bool // the spool on another file system than the data
	}{
		{"the spool runs out", false},
		{"the blob store runs out", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			disk := testdisk.Tiny(t, "4m")
			data, spool := filepath.Join(disk, "data"), filepath.Join(disk, "data", "tmp")
			if tc.spoolAway {
				spool = t.TempDir()
			}
			if err := os.MkdirAll(spool, 0o700); err != nil {
				t.Fatal(err)
			}
			e := newEnvIn(t, Config{}, data, spool)
			e.mustUpload(wheelName("small", "1.0"), makeWheel(t, "small", "1.0", wheelOpts{}))
			// The sizes from the space left once the database and the fan-out folders
			// are made (their size depends on SQLite's page size, not on this test).
			var st syscall.Statfs_t
			if err := syscall.Statfs(disk, &st); err != nil {
				t.Fatal(err)
			}
			free := int(st.Bavail) * int(st.Bsize)
			if free < 1<<20 {
				t.Fatalf("%d bytes left on the test disk after one upload", free)
			}
			before := e.state("main")
			code, body := e.upload("/legacy/", adminSecret, form{filename: wheelName("big", "1.0"), content: makeWheel(t, "big", "1.0", wheelOpts{padding: free + 512<<10})})
			if code != http.StatusInsufficientStorage || !strings.Contains(body, "storage full") {
				t.Errorf("%d %q, want 507 storage full", code, body)
			}
			if err := e.spoolEmpty(); err != nil {
				t.Error(err)
			}
			if after := e.state("main"); after.String() != before.String() {
				t.Errorf("the repository changed: %s -> %s", before, after)
			}
			leftovers(t, data, spool)
			if tc.spoolAway {
				return
			}
			// A file that fits once (not twice) is stored: received into the spool once,
			// renamed into the blob store.
			e.mustUpload(wheelName("big", "1.0"), makeWheel(t, "big", "1.0", wheelOpts{padding: free * 6 / 10}))
			// Once space is back, uploads work again.
			e.mustUpload(wheelName("small", "1.1"), makeWheel(t, "small", "1.1", wheelOpts{}))
		})
	}
}

// leftovers fails the test for files under data other than the database, the blobs of
// stored files and the (empty) spool.
func leftovers(t *testing.T, data, spool string) {
	t.Helper()
	_ = filepath.Walk(data, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(data, p)
		if strings.HasPrefix(rel, "blobs"+string(filepath.Separator)) && !strings.Contains(filepath.Base(rel), "tmp") || strings.HasPrefix(filepath.Base(rel), "index.db") || strings.HasPrefix(filepath.Base(rel), "pydepot.db") {
			return nil
		}
		t.Errorf("left behind: %s (%d bytes)", rel, fi.Size())
		return nil
	})
}
