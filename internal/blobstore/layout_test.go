package blobstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/metastore/sqlite"
)

// mustFile opens a File driver on dir as pydepot does, with packs (their index on the
// metadata store's SQLite); closed at the test's end.
func mustFile(t testing.TB, dir string) *blobstore.File {
	t.Helper()
	d, err := blobstore.NewFileWith(dir, blobstore.FileOptions{OpenPackIndex: sqlite.OpenSideDB})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func readBlob(t *testing.T, s *blobstore.Store, sha string) string {
	t.Helper()
	r, _, err := s.Open(context.Background(), sha)
	if err != nil {
		t.Fatalf("open %s: %v", sha, err)
	}
	defer r.Close()
	b, _ := io.ReadAll(r)
	return string(b)
}

// TestFileLayoutNew: a new store records the one-level layout in its marker, makes its
// 256 folders once (0700), and puts every blob (single writes, batches, spools) at
// sha256/aa/DIGEST (0600) without making any other folder; opening it again keeps it.
func TestFileLayoutNew(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := mustFile(t, dir)
	if d.Layout() != blobstore.LayoutOneLevel {
		t.Fatalf("a new store has layout %s", d.Layout())
	}
	marker, err := os.ReadFile(filepath.Join(dir, "_layout"))
	if err != nil || strings.TrimSpace(string(marker)) != blobstore.LayoutOneLevel.String() {
		t.Fatalf("marker %q, %v", marker, err)
	}
	fan, _ := os.ReadDir(filepath.Join(dir, "sha256"))
	if len(fan) != 256 {
		t.Fatalf("%d folders under sha256/, want 256", len(fan))
	}
	for _, e := range fan {
		if st, err := os.Stat(filepath.Join(dir, "sha256", e.Name())); err != nil || st.Mode().Perm() != 0o700 {
			t.Fatalf("folder %s: %v, %v", e.Name(), st.Mode(), err)
		}
	}
	s := blobstore.NewStore(d)
	b := s.NewBatch()
	var shas []string
	for i := range 40 {
		data := []byte(fmt.Sprintf("blob %d", i))
		sha := hexOf(data)
		shas = append(shas, sha)
		switch i % 3 {
		case 0:
			if _, _, err := s.Put(ctx, bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
		case 1:
			if _, err := b.Write(ctx, bytes.NewReader(data), sha, int64(len(data))); err != nil {
				t.Fatal(err)
			}
		case 2:
			sp, err := blobstore.NewSpool(filepath.Join(dir, "_tmp"))
			if err != nil {
				t.Fatal(err)
			}
			sp.Write(data)
			sp.Finish()
			if _, err := s.CommitSpool(ctx, sp); err != nil {
				t.Fatal(err)
			}
			sp.Close()
		}
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for i, sha := range shas {
		full := filepath.Join(dir, "sha256", sha[:2], sha)
		if i%3 == 1 { // committed together: in the batch's pack, no file of its own
			if _, err := os.Stat(full); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("blob %d of the batch has a file: %v", i, err)
			}
		} else if st, err := os.Stat(full); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("blob %d not at sha256/aa/DIGEST with 0600: %v", i, err)
		}
		if got := readBlob(t, s, sha); got != fmt.Sprintf("blob %d", i) {
			t.Errorf("blob %d reads %q", i, got)
		}
	}
	err = filepath.WalkDir(filepath.Join(dir, "sha256"), func(p string, e os.DirEntry, err error) error {
		if err == nil && e.IsDir() && strings.Count(strings.TrimPrefix(p, dir), "/") > 2 {
			t.Errorf("a folder below the fan-out: %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := s.Walk(ctx, func(string, int64) error { n++; return nil }); err != nil || n != len(shas) {
		t.Errorf("Walk found %d blobs (%v), want %d", n, err, len(shas))
	}
	if d := mustFile(t, dir); d.Layout() != blobstore.LayoutOneLevel || readBlob(t, blobstore.NewStore(d), shas[0]) != "blob 0" {
		t.Errorf("reopened with layout %s", d.Layout())
	}
	if _, err := d.Stat(ctx, "_layout"); err == nil {
		t.Error("the marker is an object")
	}
	if got, _ := blobstore.List(ctx, d, ""); len(got) != len(shas) {
		t.Errorf("List has %d objects, want the %d blobs", len(got), len(shas))
	}
}

// TestFileLayoutOld: a store made by an older pydepot (blobs at sha256/aa/bb/DIGEST, no
// marker) keeps that layout: its blobs are served, new ones (single writes and batches)
// go to the same layout, and the layout is recorded so that it never changes after.
func TestFileLayoutOld(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := []byte("stored by an older pydepot")
	oldSHA := hexOf(old)
	oldPath := filepath.Join(dir, "sha256", oldSHA[:2], oldSHA[2:4], oldSHA)
	if err := os.MkdirAll(filepath.Dir(oldPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(oldPath, old, 0o644); err != nil {
		t.Fatal(err)
	}
	d := mustFile(t, dir)
	if d.Layout() != blobstore.LayoutTwoLevel {
		t.Fatalf("a store with old blobs has layout %s", d.Layout())
	}
	s := blobstore.NewStore(d)
	if got := readBlob(t, s, oldSHA); got != string(old) {
		t.Fatalf("old blob reads %q", got)
	}
	one, two := []byte("written after the upgrade"), []byte("batched after the upgrade")
	if _, _, err := s.Put(ctx, bytes.NewReader(one)); err != nil {
		t.Fatal(err)
	}
	b := s.NewBatch()
	if _, err := b.Write(ctx, bytes.NewReader(two), hexOf(two), int64(len(two))); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, data := range [][]byte{one, two} {
		sha := hexOf(data)
		if _, err := os.Stat(filepath.Join(dir, "sha256", sha[:2], sha[2:4], sha)); err != nil {
			t.Errorf("a new blob is not in the old layout: %v", err)
		}
		if got := readBlob(t, s, sha); got != string(data) {
			t.Errorf("reads %q", got)
		}
	}
	n := 0
	if err := s.Walk(ctx, func(string, int64) error { n++; return nil }); err != nil || n != 3 {
		t.Errorf("Walk found %d blobs (%v), want 3", n, err)
	}
	// Once recorded, the layout holds even if every blob is removed.
	for _, data := range [][]byte{old, one, two} {
		if err := s.Delete(ctx, hexOf(data)); err != nil {
			t.Fatal(err)
		}
	}
	os.RemoveAll(filepath.Join(dir, "sha256"))
	if d := mustFile(t, dir); d.Layout() != blobstore.LayoutTwoLevel {
		t.Errorf("reopened empty with layout %s, want the recorded %s", d.Layout(), blobstore.LayoutTwoLevel)
	}
}

// TestFileLayoutMarker: the marker decides over the folder's content, an unknown one is
// refused (a newer pydepot's layout is not guessed), and processes setting up one new
// folder at once agree.
func TestFileLayoutMarker(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "_layout"), []byte(blobstore.LayoutTwoLevel.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if d := mustFile(t, dir); d.Layout() != blobstore.LayoutTwoLevel {
		t.Errorf("an empty store marked %s has layout %s", blobstore.LayoutTwoLevel, d.Layout())
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "_layout"), []byte("sha512/a/b/c/DIGEST\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := blobstore.NewFile(bad); err == nil || !strings.Contains(err.Error(), "unknown blob layout") {
		t.Errorf("an unknown marker: %v", err)
	}

	shared := t.TempDir()
	var wg sync.WaitGroup
	got := make([]blobstore.Layout, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := blobstore.NewFile(shared)
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = d.Layout()
		}()
	}
	wg.Wait()
	for i, l := range got {
		if l != blobstore.LayoutOneLevel {
			t.Errorf("opener %d has layout %s", i, l)
		}
	}
	if left, _ := os.ReadDir(filepath.Join(shared, "_tmp")); len(left) != 0 {
		t.Errorf("left in _tmp: %v", left)
	}
}
