package server

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tinyDisk mounts a tmpfs of size bytes (as root; CI runs as root) and returns its path.
func tinyDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// TestStorageFull: on a full disk an upload is refused with 507 "storage full", whether the
// spool or the blob store runs out, and nothing is left half-way.
func TestStorageFull(t *testing.T) {
	disk := tinyDisk(t, "2m")
	data, spool := filepath.Join(disk, "data"), filepath.Join(disk, "data", "tmp")
	if err := os.MkdirAll(spool, 0o700); err != nil {
		t.Fatal(err)
	}
	e := newEnvIn(t, Config{}, data, spool)
	e.mustUpload(wheelName("small", "1.0"), makeWheel(t, "small", "1.0", wheelOpts{}))
	before := e.state("main")
	for _, tc := range []struct {
		name    string
		padding int
	}{
		{"the spool runs out", 3 << 20},
		{"the blob store runs out", 1200 << 10}, // fits in the spool, not twice
	} {
		code, body := e.upload("/legacy/", adminSecret, form{filename: wheelName("big", "1.0"), content: makeWheel(t, "big", "1.0", wheelOpts{padding: tc.padding})})
		if code != http.StatusInsufficientStorage || !strings.Contains(body, "storage full") {
			t.Errorf("%s: %d %q, want 507 storage full", tc.name, code, body)
		}
		if err := e.spoolEmpty(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if after := e.state("main"); after.String() != before.String() {
			t.Errorf("%s: the repository changed: %s -> %s", tc.name, before, after)
		}
		leftovers(t, data, spool)
	}
	// Once space is back, uploads work again.
	e.mustUpload(wheelName("small", "1.1"), makeWheel(t, "small", "1.1", wheelOpts{}))
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
