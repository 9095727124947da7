package mirror_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
	"github.com/pydepot/pydepot/internal/testdisk"
)

// TestSyncStorageFull: a sync whose blobs fill the disk (a real 2 MiB tmpfs under the
// blob store) fails with "storage full", publishes nothing, leaves no temporary file,
// and loses nothing an earlier sync stored.
func TestSyncStorageFull(t *testing.T) {
	disk := testdisk.Tiny(t, "2m")
	ctx := context.Background()
	db, _ := backends.DataURLs(t.TempDir())
	s := newSinkAt(t, mirror.Options{}, db, "file://"+filepath.Join(disk, "blobs"))
	svc := s.svc

	ds := []dist{{name: "small", version: "1.0"}}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 8 { // 8 × 512 KiB of random bytes: twice the disk
		pad := make([]byte, 512<<10)
		for j := range pad {
			pad[j] = byte(rng.Uint32())
		}
		ds = append(ds, dist{name: "big", version: fmt.Sprintf("1.%d", i), pad: pad})
	}
	paths := writeAll(t, ds...)
	up := indextest.New(t, paths, indextest.Options{})
	s.remote(t, mirror.Remote{Name: "up", URL: up.SimpleURL, Includes: []string{"small"}})
	s.sync(t, mirror.SyncRequest{Remote: "up"})
	if s.latest(t) != 1 || len(s.files(t, "small")) != 1 {
		t.Fatalf("first sync: version %d, small's files %v", s.latest(t), s.files(t, "small"))
	}

	if _, err := s.m.UpdateRemote(ctx, "up", mirror.RemoteUpdate{Includes: &[]string{"small", "big"}}); err != nil {
		t.Fatal(err)
	}
	res, err := s.m.Sync(ctx, mirror.SyncRequest{Repository: "main", Remote: "up"}, &recordRun{})
	if !errs.IsStorageFull(err) {
		t.Fatalf("sync onto a full disk: %v (result %+v), want storage full", err, res)
	}
	if got := s.latest(t); got != 1 {
		t.Errorf("after the failed sync the latest version is %d, want 1 (nothing published)", got)
	}
	if len(s.files(t, "big")) != 0 {
		t.Errorf("big's files are published: %v", s.files(t, "big"))
	}
	f := s.files(t, "small")["small-1.0-py3-none-any.whl"]
	if ok, err := svc.Blobs().Exists(ctx, f.SHA256); !ok || err != nil {
		t.Errorf("the earlier sync's blob is gone: %v, %v", ok, err)
	}
	left, err := os.ReadDir(filepath.Join(disk, "blobs", "_tmp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("left in the blob store's temporary folder: %s", e.Name())
	}
	// What the failed sync made durable before it stopped is unreferenced: gc frees it,
	// and the store holds the earlier sync's blob alone.
	if _, err := svc.GC(ctx, index.GCOptions{}); err != nil {
		t.Fatal(err)
	}
	var stored []string
	if err := svc.Blobs().Walk(ctx, func(sha string, _ int64) error { stored = append(stored, sha); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || stored[0] != f.SHA256 {
		t.Errorf("after gc the blob store holds %v, want small's wheel (%s) alone", stored, f.SHA256)
	}
}
