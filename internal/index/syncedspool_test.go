package index_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

// TestSyncedSpool: a file downloaded into a batch's spool is checked against the
// upstream's digest by the spool's own (its bytes are hashed as they are written, not
// read back), refused with nothing pending when they differ, and otherwise stored by the
// batch's Commit and added by Apply.
func TestSyncedSpool(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	name, data := synthWheel("spooled", "1.0")
	sf := index.SyncedFile{Filename: name, SHA256: hexSum(data), Size: int64(len(data)), Remote: "up"}
	b := s.NewSyncBatch()
	defer b.Cancel()
	bad, err := b.Spool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	bad.Write(append([]byte{0}, data[1:]...))
	if _, err := b.SyncedSpool(ctx, sf, bad); !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "the upstream says") {
		t.Fatalf("other bytes: %v", err)
	}
	bad.Close()
	if b.Pending() != 0 {
		t.Fatalf("%d blobs pending after a refusal", b.Pending())
	}
	sp, err := b.Spool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sp.Write(data)
	p, err := b.SyncedSpool(ctx, sf, sp)
	sp.Close()
	if err != nil {
		t.Fatal(err)
	}
	if b.Pending() == 0 {
		t.Error("nothing pending for the batch's Commit")
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := s.Apply(ctx, "main", "sync up", []index.Change{{Kind: index.ChangeAdd, File: p}})
	if err != nil || !res.Made || res.Results[0].Err != nil {
		t.Fatalf("Apply: %+v, %v", res, err)
	}
	if ok, _ := s.Blobs().Exists(ctx, hexSum(data)); !ok {
		t.Error("the wheel is not stored")
	}
}
