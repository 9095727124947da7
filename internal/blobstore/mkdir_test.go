package blobstore

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// MkdirPrivate, shared by the blob store and the index's data folder: every folder it
// creates is 0700 whatever the umask, and an existing folder keeps its mode.
func TestMkdirPrivate(t *testing.T) {
	old := syscall.Umask(0o222) // would make 0700 into 0500
	defer syscall.Umask(old)
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(root, "a", "b", "c")
	if err := MkdirPrivate(deep); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Join(root, "a"), filepath.Join(root, "a", "b"), deep} {
		if st, err := os.Stat(d); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want 0700", d, st.Mode(), err)
		}
	}
	if st, _ := os.Stat(root); st.Mode().Perm() != 0o755 {
		t.Errorf("the existing folder became %v", st.Mode())
	}
	if err := MkdirPrivate(deep); err != nil {
		t.Errorf("again: %v", err)
	}
}
