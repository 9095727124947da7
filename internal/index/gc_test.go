package index_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/metastore/sqlite"
)

// hookStore runs hook once, just before its first write transaction: between gc's
// choice of candidates (outside any transaction) and its deleting transaction.
type hookStore struct {
	metastore.Store
	hook func()
}

func (h *hookStore) InTx(ctx context.Context, fn func(tx metastore.Tx) error) error {
	if f := h.hook; f != nil {
		h.hook = nil
		f()
	}
	return h.Store.InTx(ctx, fn)
}

// TestGCRacingAnUpload: gc chose an old unreferenced blob; before it deletes, another
// process's upload touches that blob (its bytes are there, so it does not write them)
// and, in the second case, also commits a file row for it. gc re-checks inside its
// transaction and keeps the blob both times; with nothing racing it removes it.
func TestGCRacingAnUpload(t *testing.T) {
	for _, commit := range []bool{false, true} {
		ctx := context.Background()
		dir := t.TempDir()
		openSvc := func(wrap func(metastore.Store) metastore.Store) *index.Service {
			st, err := sqlite.Open(ctx, filepath.Join(dir, "pydepot.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			drv, err := blobstore.NewFile(filepath.Join(dir, "blobs"))
			if err != nil {
				t.Fatal(err)
			}
			return index.New(wrap(st), drv, nil)
		}
		hs := &hookStore{}
		gcSvc := openSvc(func(st metastore.Store) metastore.Store { hs.Store = st; return hs })
		up := openSvc(func(st metastore.Store) metastore.Store { return st })
		if err := up.EnsureDefaults(ctx); err != nil {
			t.Fatal(err)
		}
		name, data := synthWheel("raced", "1.0")
		sha, _, err := up.Blobs().Put(ctx, bytes.NewReader(data)) // left by a crash, long ago
		if err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-2 * time.Hour)
		if err := os.Chtimes(filepath.Join(dir, "blobs", filepath.FromSlash(up.Blobs().BlobPath(sha))), old, old); err != nil {
			t.Fatal(err)
		}
		hs.hook = func() {
			if commit {
				upload(t, up, name, data)
				return
			}
			if err := up.Store().InTx(ctx, func(tx metastore.Tx) error { return tx.TouchBlob(ctx, sha, int64(len(data)), time.Now()) }); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := gcSvc.GC(ctx, index.GCOptions{Grace: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if hs.hook != nil {
			t.Fatal("gc never reached its deleting transaction")
		}
		if ok, _ := up.Blobs().Exists(ctx, sha); !ok || rep.Removed != 0 {
			t.Errorf("commit=%v: gc removed the blob an upload had just touched (%+v)", commit, rep)
		}
	}
	// Nothing racing: the old orphan goes.
	ctx := context.Background()
	s := newService(t)
	sha, _, _ := s.Blobs().Put(ctx, bytes.NewReader([]byte("orphan")))
	if rep, err := s.GC(ctx, index.GCOptions{Grace: time.Hour}); err != nil || rep.Removed != 0 || rep.Young != 1 {
		t.Errorf("young orphan: %+v, %v", rep, err)
	}
	if rep, err := s.GC(ctx, index.GCOptions{DryRun: true}); err != nil || rep.Removed != 1 {
		t.Errorf("dry run: %+v, %v", rep, err)
	}
	if ok, _ := s.Blobs().Exists(ctx, sha); !ok {
		t.Error("dry run removed the blob")
	}
	if rep, err := s.GC(ctx, index.GCOptions{}); err != nil || rep.Removed != 1 || rep.RemovedBytes != 6 {
		t.Errorf("gc: %+v, %v", rep, err)
	}
	if ok, _ := s.Blobs().Exists(ctx, sha); ok {
		t.Error("the orphan survived gc")
	}
}

// TestGCCompactsPacks: blobs a batch committed together share a pack; once gc has removed
// them (nothing references them), it compacts: the pack is gone from the folder, and the
// report says what that freed. --dry-run compacts nothing. Blobs of a batch too small
// for a pack (kept in the pack index's rows) are removed as well, with no pack to free.
func TestGCCompactsPacks(t *testing.T) {
	for _, c := range []struct {
		name  string
		pad   int
		packs int
	}{{"pack", 30 << 10, 1}, {"inline", 0, 0}} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			svc := newServiceAt(t, dir)
			b := svc.Blobs().NewBatch()
			for i := range 3 {
				data := []byte("left by a sync that failed before its rows " + string(rune('a'+i)) + strings.Repeat(".", c.pad))
				if _, err := b.Write(ctx, bytes.NewReader(data), hexSum(data), int64(len(data))); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			packs := func() []string {
				list, _ := filepath.Glob(filepath.Join(dir, "blobs", "_packs", "*.pack"))
				return list
			}
			if len(packs()) != c.packs {
				t.Fatalf("packs %v, want %d", packs(), c.packs)
			}
			if rep, err := svc.GC(ctx, index.GCOptions{DryRun: true}); err != nil || rep.Removed != 3 || rep.Packs.Removed != 0 || len(packs()) != c.packs {
				t.Fatalf("dry run: %+v, %v, packs %v", rep, err, packs())
			}
			rep, err := svc.GC(ctx, index.GCOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Removed != 3 || rep.Packs.Removed != c.packs || (rep.Packs.Freed > 0) != (c.packs > 0) || len(packs()) != 0 {
				t.Errorf("gc: %+v, packs left %v; want the 3 blobs and their %d packs removed", rep, packs(), c.packs)
			}
			if rep, err := svc.GC(ctx, index.GCOptions{DryRun: true}); err != nil || rep.Removed != 0 {
				t.Errorf("gc again: %+v, %v; want nothing left", rep, err)
			}
		})
	}
}
