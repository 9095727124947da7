package blobstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/errs"
)

// TestBatchHoldsSmallBlobs: a small blob written into a batch makes no file before
// Commit (its bytes wait in memory) and is then whole at its path (0600), or, committed
// with others, in the pack index (a few hundred bytes make no pack); a large one
// still goes through a temporary file; a name another writer holds in _tmp does not
// stop Commit; wrong bytes are refused; a batch never committed (a crash) leaves nothing.
func TestBatchHoldsSmallBlobs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := blobstore.NewStore(mustFile(t, dir))
	tmp := filepath.Join(dir, "_tmp")
	for _, n := range []int{1, 3} { // one blob (fsync by file), several (syncfs)
		b := s.NewBatch()
		var shas []string
		for i := range n {
			data := []byte(fmt.Sprintf("Metadata-Version: 2.1\nName: held-%d-%d\n", n, i))
			sha := hexOf(data)
			shas = append(shas, sha)
			if res, err := b.Write(ctx, bytes.NewReader(data), sha, int64(len(data))); err != nil || !res.Created {
				t.Fatalf("write: %+v, %v", res, err)
			}
		}
		if left := names(t, tmp); len(left) != 0 {
			t.Errorf("files made before Commit: %v", left)
		}
		if ok, _ := s.Exists(ctx, shas[0]); ok {
			t.Error("stored before Commit")
		}
		if err := b.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		for i, sha := range shas {
			if got := readBlob(t, s, sha); got != fmt.Sprintf("Metadata-Version: 2.1\nName: held-%d-%d\n", n, i) {
				t.Errorf("stored %q", got)
			}
			st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(s.BlobPath(sha))))
			switch {
			case n == 1 && (err != nil || st.Mode().Perm() != 0o600):
				t.Errorf("blob mode %v, %v", st, err)
			case n > 1 && !errors.Is(err, os.ErrNotExist):
				t.Errorf("a blob committed with others has a file of its own: %v", err)
			}
		}
		if packs, _ := filepath.Glob(filepath.Join(dir, "_packs", "*.pack")); len(packs) != 0 {
			t.Errorf("after a batch of %d small blobs: packs %v, want none (they are kept in the pack index)", n, packs)
		}
		if left := names(t, tmp); len(left) != 0 {
			t.Errorf("left in _tmp: %v", left)
		}
	}

	// Another process writing the same blob holds batch-DIGEST.
	data := []byte("written by two at once")
	sha := hexOf(data)
	other := filepath.Join(tmp, "batch-"+sha)
	if err := os.WriteFile(other, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := s.NewBatch()
	if _, err := b.Write(ctx, bytes.NewReader(data), sha, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := readBlob(t, s, sha); got != string(data) {
		t.Errorf("stored %q", got)
	}
	if got, _ := os.ReadFile(other); string(got) != "half" {
		t.Errorf("the other writer's file became %q", got)
	}
	os.Remove(other)

	for _, tc := range []struct {
		name string
		data string
		size int64
	}{
		{"longer", "abcdef", 5},
		{"shorter", "abcd", 5},
		{"other bytes", "abcdX", 5},
	} {
		if _, err := b.Write(ctx, bytes.NewReader([]byte(tc.data)), hexOf([]byte("abcde")), tc.size); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", tc.name, err)
		}
	}
	if b.Len() != 0 {
		t.Errorf("refused writes are pending: %d", b.Len())
	}

	large := bytes.Repeat([]byte("L"), 64<<10+1)
	if _, err := b.Write(ctx, bytes.NewReader(large), hexOf(large), int64(len(large))); err != nil {
		t.Fatal(err)
	}
	if left := names(t, tmp); len(left) != 1 {
		t.Errorf("a large blob in _tmp before Commit: %v, want one file", left)
	}
	b.Cancel()

	lost := []byte("held, never committed")
	crash := s.NewBatch()
	if _, err := crash.Write(ctx, bytes.NewReader(lost), hexOf(lost), int64(len(lost))); err != nil {
		t.Fatal(err)
	}
	after := blobstore.NewStore(mustFile(t, dir))
	if ok, _ := after.Exists(ctx, hexOf(lost)); ok {
		t.Error("an uncommitted blob is stored after the crash")
	}
	if left := names(t, tmp); len(left) != 0 {
		t.Errorf("left in _tmp after the crash: %v", left)
	}
}

// TestCommitOntoAFolder: a folder where a blob belongs (a damaged store) fails the
// commit rather than taking the folder's place, and the folder is left as it was.
func TestCommitOntoAFolder(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := blobstore.NewStore(mustFile(t, dir))
	data := []byte("meant for a path that is a folder")
	full := filepath.Join(dir, filepath.FromSlash(s.BlobPath(hexOf(data))))
	if err := os.MkdirAll(filepath.Join(full, "inside"), 0o700); err != nil {
		t.Fatal(err)
	}
	b := s.NewBatch()
	if _, err := b.Write(ctx, bytes.NewReader(data), hexOf(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(ctx); err == nil {
		t.Error("a commit onto a folder succeeded")
	}
	if _, _, err := s.Put(ctx, bytes.NewReader(data)); err == nil {
		t.Error("a put onto a folder succeeded")
	}
	if st, err := os.Stat(filepath.Join(full, "inside")); err != nil || !st.IsDir() {
		t.Errorf("the folder changed: %v", err)
	}
	if left := names(t, filepath.Join(dir, "_tmp")); len(left) != 0 {
		t.Errorf("left in _tmp: %v", left)
	}
}
