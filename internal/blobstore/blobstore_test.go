package blobstore_test

import (
	"os"
	"path/filepath"
	"testing"

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
		d, err := blobstore.NewFile(dir)
		if err != nil {
			t.Fatal(err)
		}
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
	if err := os.WriteFile(stale, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := blobstore.NewFile(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary file survived: %v", err)
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
