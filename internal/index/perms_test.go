package index_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDataIsPrivate checks that a fresh data folder, its database (with -wal and -shm)
// and the blob folders and files are readable by their owner only, even under umask 0.
func TestDataIsPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "fresh", "data")
	s := newServiceAt(t, dir)
	name, data := synthWheel("private-pkg", "1.0")
	f := upload(t, s, name, data)

	want := map[string]fs.FileMode{
		dir:                                  0o700,
		filepath.Join(dir, "pydepot.db"):     0o600,
		filepath.Join(dir, "pydepot.db-wal"): 0o600,
		filepath.Join(dir, "pydepot.db-shm"): 0o600,
		filepath.Join(dir, "blobs"):          0o700,
	}
	blobs := 0
	err := filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			want[p] = 0o700
		} else {
			want[p] = 0o600
			blobs++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if blobs < 2 { // the wheel and its METADATA
		t.Fatalf("%d blob files after uploading %s (sha256 %s)", blobs, name, f.SHA256)
	}
	for p, mode := range want {
		st, err := os.Stat(p)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if got := st.Mode().Perm(); got != mode {
			t.Errorf("%s has mode %04o, want %04o", p, got, mode)
		}
	}
}
