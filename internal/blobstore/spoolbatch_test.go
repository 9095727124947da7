package blobstore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/errs"
)

func inodeOf(t *testing.T, path string) uint64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Ino
}

// TestBatchSpool: a download written into Batch.Spool becomes its blob without a copy
// at Commit, not before: a large one is a file of the store's _tmp (the blob is the same
// inode), a small one stays in memory (no file at all before Commit); a spool with other
// bytes is refused and removed by Close; a Reset spool holds only what follows; a batch
// never committed (a crash) leaves nothing at the blob's path, and its file is removed
// as stale later.
func TestBatchSpool(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := blobstore.NewStore(mustFile(t, dir))
	b := s.NewBatch()
	data := bytes.Repeat([]byte("a downloaded wheel "), 1<<20/16)
	sha := hexOf(data)

	sp, err := b.Spool("")
	if err != nil {
		t.Fatal(err)
	}
	sp.Write([]byte("a garbled first attempt"))
	if err := sp.Reset(); err != nil {
		t.Fatal(err)
	}
	sp.Write(data[:100])
	if sp.Name() != "" || len(names(t, filepath.Join(dir, "_tmp"))) != 0 {
		t.Fatalf("a file made for 100 bytes: %q", sp.Name())
	}
	sp.Write(data[100:])
	if filepath.Dir(sp.Name()) != filepath.Join(dir, "_tmp") {
		t.Fatalf("a large spool at %q, not in the store's _tmp", sp.Name())
	}
	ino := inodeOf(t, sp.Name())
	if _, err := b.AdoptSpool(ctx, sp, sha, int64(len(data))+1); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("wrong size: %v", err)
	}
	if res, err := b.AdoptSpool(ctx, sp, sha, int64(len(data))); err != nil || !res.Created {
		t.Fatalf("adopt: %+v, %v", res, err)
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	small := []byte("a small wheel")
	ssp, err := b.Spool("")
	if err != nil {
		t.Fatal(err)
	}
	ssp.Write(small)
	if _, err := b.AdoptSpool(ctx, ssp, hexOf(small), int64(len(small))); err != nil {
		t.Fatal(err)
	}
	ssp.Close()
	if left := names(t, filepath.Join(dir, "_tmp")); len(left) != 1 {
		t.Errorf("in _tmp before Commit: %v, want the large spool only", left)
	}
	if ok, _ := s.Exists(ctx, sha); ok {
		t.Fatal("stored before Commit")
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(dir, filepath.FromSlash(s.BlobPath(sha)))
	if got := inodeOf(t, full); got != ino {
		t.Errorf("the blob is inode %d, the spool was %d: copied", got, ino)
	}
	if st, err := os.Stat(full); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("blob mode: %v", err)
	}
	for _, c := range [][]byte{data, small} { // small: in the batch's pack
		if got := readBlob(t, s, hexOf(c)); got != string(c) {
			t.Errorf("stored %d bytes, want %d", len(got), len(c))
		}
	}

	bad, err := b.Spool("")
	if err != nil {
		t.Fatal(err)
	}
	bad.Write([]byte("other bytes"))
	if _, err := b.AdoptSpool(ctx, bad, sha, int64(len("other bytes"))); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("wrong digest: %v", err)
	}
	bad.Close()
	if left := names(t, filepath.Join(dir, "_tmp")); len(left) != 0 {
		t.Errorf("left in _tmp: %v", left)
	}

	// A crash between the write and Commit: the batch is dropped as it is.
	lost := bytes.Repeat([]byte("downloaded, never committed "), 1<<20/16)
	crash := s.NewBatch()
	sp, err = crash.Spool("")
	if err != nil {
		t.Fatal(err)
	}
	sp.Write(lost)
	if _, err := crash.AdoptSpool(ctx, sp, hexOf(lost), int64(len(lost))); err != nil {
		t.Fatal(err)
	}
	sp.Close()
	tmpName := sp.Name()
	after := blobstore.NewStore(mustFile(t, dir))
	if ok, _ := after.Exists(ctx, hexOf(lost)); ok {
		t.Error("an uncommitted blob is at its path after the crash")
	}
	old := time.Now().Add(-25 * time.Hour)
	if err := os.Chtimes(tmpName, old, old); err != nil {
		t.Fatal(err)
	}
	mustFile(t, dir)
	if _, err := os.Stat(tmpName); !os.IsNotExist(err) {
		t.Errorf("the crashed batch's file survived as stale: %v", err)
	}
}

// TestBatchSpoolOtherDriver: on a driver without a folder of its own the spool is in
// the caller's folder and AdoptSpool copies it; Close removes it.
func TestBatchSpoolOtherDriver(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	s := blobstore.NewStore(blobstore.NewMemory())
	b := s.NewBatch()
	data := []byte("copied into memory")
	sp, err := b.Spool(tmp)
	if err != nil {
		t.Fatal(err)
	}
	sp.Write(data)
	if _, err := b.AdoptSpool(ctx, sp, hexOf(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	sp.Close()
	if left := names(t, tmp); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := readBlob(t, s, hexOf(data)); got != string(data) {
		t.Errorf("stored %q", got)
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}
