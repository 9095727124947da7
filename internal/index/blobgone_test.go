package index_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

// TestSyncedBlobDeletedBeforeApply: a synced file whose blob is deleted (gc, Grace 0)
// between its batch's commit and Apply is refused, with the repository left as it was,
// and the files of the same batch whose blobs stay are added. Apply takes the blobs of
// a batch as stored while the store has counted no deletion since the batch wrote them;
// this checks that any deletion makes it look them up.
func TestSyncedBlobDeletedBeforeApply(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	b := s.NewSyncBatch()
	var changes []index.Change
	var shas []string
	for _, v := range []string{"1.0", "2.0"} {
		name, data := synthWheel("gone", v)
		sha := hexSum(data)
		p, err := b.Synced(ctx, index.SyncedFile{Filename: name, SHA256: sha, Size: int64(len(data)), Remote: "up"}, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		changes = append(changes, index.Change{Kind: index.ChangeAdd, File: p})
		shas = append(shas, sha)
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Blobs().Delete(ctx, shas[0]); err != nil {
		t.Fatal(err)
	}
	_, err := s.Apply(ctx, "main", "sync up", changes[:1])
	if !errors.Is(err, errs.ErrConflict) || !strings.Contains(err.Error(), "no longer stored") {
		t.Fatalf("adding a file whose blob is gone: %v", err)
	}
	if r, err := s.Repository(ctx, "main"); err != nil || r.Latest != 0 {
		t.Fatalf("a refused add made version %d (%v)", r.Latest, err)
	}
	res, err := s.Apply(ctx, "main", "sync up", changes[1:])
	if err != nil || !res.Made || len(res.Results) != 1 || !res.Results[0].Changed {
		t.Fatalf("adding the file whose blob stays: %+v, %v", res, err)
	}
}
