package mirror_test

import (
	"context"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
	"github.com/pydepot/pydepot/internal/testdisk"
	"github.com/pydepot/pydepot/internal/testdist"
)

// TestSyncStorageFull: a sync whose blobs fill the disk (a real 2 MiB tmpfs under the
// blob store) fails with "storage full", publishes nothing, leaves no temporary file,
// and loses nothing an earlier sync stored.
func TestSyncStorageFull(t *testing.T) {
	disk := testdisk.Tiny(t, "2m")
	ctx := context.Background()
	db, _ := backends.DataURLs(t.TempDir())
	blobs := "file://" + filepath.Join(disk, "blobs")
	svc, closeFn, err := backends.Open(ctx, db, blobs, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })
	if err := svc.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	s := &sink{svc: svc, m: mirror.New(svc, mirror.Options{TempDir: t.TempDir(), RetryBackoff: 1})}

	dir := t.TempDir()
	small := dist{name: "small", version: "1.0"}.write(t, dir)
	paths := []string{small}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 8 { // 8 × 512 KiB of random bytes: twice the disk
		pad := make([]byte, 512<<10)
		for j := range pad {
			pad[j] = byte(rng.Uint32())
		}
		d := dist{name: "big", version: "1." + string(rune('0'+i))}
		di := "big-" + d.version + ".dist-info/"
		w, err := testdist.WheelZip(di, [][2]string{
			{"big/__init__.py", ""},
			{"big/pad.bin", string(pad)},
			{di + "METADATA", d.metadata()},
			{di + "WHEEL", "Wheel-Version: 1.0\nGenerator: pydepot-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, d.filename())
		if err := os.WriteFile(p, w, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
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
	err = filepath.WalkDir(filepath.Join(disk, "blobs"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && !strings.Contains(path, "/_tmp/") && d.Name() != "_layout" {
			stored = append(stored, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || filepath.Base(stored[0]) != f.SHA256 {
		t.Errorf("after gc the blob store holds %v, want small's wheel (%s) alone", stored, f.SHA256)
	}
}
