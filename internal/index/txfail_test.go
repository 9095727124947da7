package index_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/metastore/sqlite"
)

// failingStore runs every transaction to its end and then fails it, as a lost
// connection or a full disk at commit would.
type failingStore struct {
	metastore.Store
	fail bool
}

var errCommit = errors.New("disk full at commit")

func (f *failingStore) InTx(ctx context.Context, fn func(tx metastore.Tx) error) error {
	if !f.fail {
		return f.Store.InTx(ctx, fn)
	}
	err := f.Store.InTx(ctx, func(tx metastore.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errCommit
	})
	return err
}

func TestFailedTransactionRemovesNewBlobs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "pydepot.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	drv, err := blobstore.NewFile(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	fs := &failingStore{Store: st}
	s := index.New(fs, drv, nil)
	if err := s.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	name, data := pick(t, systemWheels(t), "wheel-")
	ok := upload(t, s, name, data) // its METADATA blob is shared with the copy below

	fs.fail = true
	before := takeSnapshot(t, s)
	other := withComment(t, data, "x")
	otherName := "wheel-0.38.4-1build-py3-none-any.whl" // same metadata, another filename
	if _, _, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: otherName, Content: bytes.NewReader(other)}); !errors.Is(err, errCommit) {
		t.Fatalf("upload under a failing store: %v", err)
	}
	if after := takeSnapshot(t, s); !before.equal(after) {
		t.Errorf("failed transaction left changes:\nbefore %+v\nafter  %+v", before, after)
	}
	if ok, _ := s.Blobs().Exists(ctx, hexSum(other)); ok {
		t.Error("the new file blob survived the failed transaction")
	}
	if ok2, _ := s.Blobs().Exists(ctx, ok.MetadataSHA256); !ok2 {
		t.Error("the shared metadata blob was deleted")
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "blobs", "_tmp")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// Every change rolls back the same way.
	for what, fn := range map[string]func() error{
		"yank":     func() error { return s.Yank(ctx, "main", "wheel", "0.38.4", "") },
		"remove":   func() error { return s.Remove(ctx, "main", "", "", name) },
		"rollback": func() error { _, err := s.Rollback(ctx, "main", 0); return err },
	} {
		if err := fn(); !errors.Is(err, errCommit) {
			t.Errorf("%s: %v", what, err)
		}
	}
	if after := takeSnapshot(t, s); !before.equal(after) {
		t.Errorf("failed changes left versions")
	}
}
