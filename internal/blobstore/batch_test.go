package blobstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/errs"
)

func hexOf(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// TestBatch: a batch's blobs are verified when written, stored only at Commit (never at
// their path before: a row must not point at bytes a crash can lose), adopted files are
// moved, not copied, and Cancel leaves nothing behind.
func TestBatch(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := blobstore.NewStore(mustFile(t, dir))
	b := s.NewBatch()
	one, two := []byte("one"), []byte("two")
	if _, err := b.Write(ctx, bytes.NewReader(one), hexOf(two), 3); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("wrong digest: %v", err)
	}
	if res, err := b.Write(ctx, bytes.NewReader(one), hexOf(one), 3); err != nil || !res.Created {
		t.Fatalf("write: %+v, %v", res, err)
	}
	if res, err := b.Write(ctx, bytes.NewReader(one), hexOf(one), 3); err != nil || res.Created {
		t.Fatalf("the same bytes again: %+v, %v", res, err)
	}
	own := filepath.Join(dir, "download")
	if err := os.WriteFile(own, two, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Adopt(ctx, own, hexOf(two), 3); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(own); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the adopted file is still at its path: %v", err)
	}
	if ok, _ := s.Exists(ctx, hexOf(one)); ok || b.Len() != 2 {
		t.Fatalf("stored before Commit (pending %d)", b.Len())
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][]byte{one, two} {
		rc, n, err := s.Open(ctx, hexOf(c))
		if err != nil || n != 3 {
			t.Fatalf("open: %v", err)
		}
		var got bytes.Buffer
		got.ReadFrom(rc)
		rc.Close()
		if got.String() != string(c) {
			t.Errorf("stored %q, want %q", got.String(), c)
		}
	}
	// The adopted file is at its path; the held one went into the pack index's rows
	// (a batch of 3 bytes makes no pack).
	if st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(s.BlobPath(hexOf(two))))); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the adopted blob's file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(s.BlobPath(hexOf(one))))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the small blob has a file of its own: %v", err)
	}
	if packs, _ := filepath.Glob(filepath.Join(dir, "_packs", "*.pack")); len(packs) != 0 {
		t.Fatalf("packs %v, want none", packs)
	}
	three := []byte("three")
	if _, err := b.Write(ctx, bytes.NewReader(three), hexOf(three), 5); err != nil {
		t.Fatal(err)
	}
	b.Cancel()
	if ok, _ := s.Exists(ctx, hexOf(three)); ok {
		t.Error("a cancelled blob is stored")
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "_tmp"))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "batch-") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
