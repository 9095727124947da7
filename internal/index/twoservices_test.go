package index_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/metastore/sqlite"
)

// pausingStore fails every transaction that adds a file row (after running it, as a
// failed commit would) and, the first time anyone asks whether a blob is referenced,
// says so on asked and waits for resume: the forced interleaving of two processes.
type pausingStore struct {
	metastore.Store
	asked, resume chan struct{}
	once          sync.Once
}

type addSpy struct {
	metastore.Tx
	added *bool
}

func (a addSpy) AddFile(ctx context.Context, f *metastore.File, version int) (int64, error) {
	*a.added = true
	return a.Tx.AddFile(ctx, f, version)
}

func (p *pausingStore) InTx(ctx context.Context, fn func(tx metastore.Tx) error) error {
	return p.Store.InTx(ctx, func(tx metastore.Tx) error {
		added := false
		if err := fn(addSpy{tx, &added}); err != nil {
			return err
		}
		if added {
			return errCommit
		}
		return nil
	})
}

func (p *pausingStore) BlobReferenced(ctx context.Context, sha string) (bool, error) {
	used, err := p.Store.BlobReferenced(ctx, sha)
	p.once.Do(func() {
		close(p.asked)
		<-p.resume
	})
	return used, err
}

// TestTwoServicesDoNotLoseABlob: two index services on one data folder (two processes,
// each with its own locks) upload the same file; A's transaction fails after A stored the
// blob, and B commits its row for the same blob while A cleans up. The old cleanup asked
// "is it referenced?" (no, not yet), then deleted the blob B had just referenced. Now no
// request deletes a blob, so B's file stays served; gc keeps it too.
func TestTwoServicesDoNotLoseABlob(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func(wrap func(metastore.Store) metastore.Store) *index.Service {
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
	ps := &pausingStore{asked: make(chan struct{}), resume: make(chan struct{})}
	a := open(func(st metastore.Store) metastore.Store { ps.Store = st; return ps })
	b := open(func(st metastore.Store) metastore.Store { return st })
	if err := b.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	name, data := synthWheel("shared", "1.0")

	aDone := make(chan error, 1)
	go func() {
		_, _, err := a.Upload(ctx, index.Upload{Repository: "main", Filename: name, Content: bytes.NewReader(data)})
		aDone <- err
	}()
	var aErr error
	select {
	case <-ps.asked: // the old code: A is between its check and its delete
	case aErr = <-aDone: // the new code: A failed and deleted nothing
		close(ps.resume)
	}
	f, existed, err := b.Upload(ctx, index.Upload{Repository: "main", Filename: name, Content: bytes.NewReader(data)})
	if err != nil || existed {
		t.Fatalf("B's upload: %v (existed %v)", err, existed)
	}
	select {
	case <-ps.resume:
	default:
		close(ps.resume)
		aErr = <-aDone
	}
	if !errors.Is(aErr, errCommit) {
		t.Fatalf("A's upload: %v, want the failed commit", aErr)
	}
	assertServed := func(when string) {
		t.Helper()
		blob, _, err := b.OpenBlob(ctx, f.SHA256)
		if err != nil {
			t.Fatalf("%s: B's committed file has no blob: %v", when, err)
		}
		blob.Close()
	}
	assertServed("after A's failed upload")
	if rep, err := b.GC(ctx, index.GCOptions{}); err != nil || rep.Removed != 0 {
		t.Errorf("GC = %+v, %v; want nothing removed", rep, err)
	}
	assertServed("after gc")
}
