package mirror_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

// TestSyncResumes: a sync cut off mid-way (its context ends, as when the server dies)
// leaves the verified blobs it fetched; the next sync reuses them, downloads only the
// rest, and ends with what an uninterrupted sync makes. Downloads never exceed the
// concurrency bound.
func TestSyncResumes(t *testing.T) {
	var ds []dist
	for i := range 12 {
		ds = append(ds, dist{name: "pkg", version: fmt.Sprintf("1.%d", i)})
	}
	up := indextest.New(t, writeAll(t, ds...), indextest.Options{})
	f, u := newFaulty(t, up)
	f.block["pkg-1.11-py3-none-any.whl"] = true
	s := newSink(t, mirror.Options{Concurrency: 3})
	s.remote(t, mirror.Remote{Name: "up", URL: u, Includes: []string{"pkg"}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.m.Sync(ctx, mirror.SyncRequest{Repository: "main", Remote: "up"}, nil)
		done <- err
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n := 0
		for i := range 11 {
			if ok, _ := s.svc.Blobs().Exists(context.Background(), up.SHA256(fmt.Sprintf("pkg-1.%d-py3-none-any.whl", i))); ok {
				n++
			}
		}
		if n == 11 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d blobs stored", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cut sync: %v", err)
	}
	if s.latest(t) != 0 {
		t.Fatal("the cut sync made a version")
	}
	f.mu.Lock()
	delete(f.block, "pkg-1.11-py3-none-any.whl")
	clear(f.fileGets)
	f.mu.Unlock()
	res := s.sync(t, mirror.SyncRequest{Remote: "up"})
	if res.Added != 12 || res.Reused != 11 || res.Downloaded != 1 || len(f.fileGets) != 1 {
		t.Fatalf("resumed sync: %+v, file requests %v", res, f.fileGets)
	}
	if f.maxFlight > 3 {
		t.Errorf("%d downloads at once, the bound is 3", f.maxFlight)
	}
	// The same as an uninterrupted sync.
	other := newSink(t, mirror.Options{})
	other.remote(t, mirror.Remote{Name: "up", URL: up.SimpleURL, Includes: []string{"pkg"}})
	other.sync(t, mirror.SyncRequest{Remote: "up"})
	a, b := s.files(t, "pkg"), other.files(t, "pkg")
	for name, fa := range a {
		fb := b[name]
		if fa.SHA256 != fb.SHA256 || fa.MetadataSHA256 != fb.MetadataSHA256 || !fa.UploadTime.Equal(fb.UploadTime) || fa.Size != fb.Size {
			t.Errorf("%s differs:\n resumed %+v\n whole   %+v", name, fa, fb)
		}
	}
	if len(a) != len(b) {
		t.Errorf("resumed has %d files, uninterrupted %d", len(a), len(b))
	}
}

// TestSyncRefusesReusedFilename: a filename the repository used for other bytes is a
// failure of that file, not of the whole batch.
func TestSyncRefusesReusedFilename(t *testing.T) {
	ctx := context.Background()
	first := indextest.New(t, writeAll(t, dist{name: "pkg", version: "1.0"}), indextest.Options{})
	second := indextest.New(t, writeAll(t, dist{name: "pkg", version: "1.0", requires: []string{"other"}}, dist{name: "pkg", version: "2.0"}), indextest.Options{})
	s := newSink(t, mirror.Options{})
	s.remote(t, mirror.Remote{Name: "one", URL: first.SimpleURL, Includes: []string{"pkg"}})
	s.remote(t, mirror.Remote{Name: "two", URL: second.SimpleURL, Includes: []string{"pkg"}})
	s.sync(t, mirror.SyncRequest{Remote: "one"})
	if err := s.svc.Remove(ctx, "main", "", "", "pkg-1.0-py3-none-any.whl"); err != nil {
		t.Fatal(err)
	}
	res := s.sync(t, mirror.SyncRequest{Remote: "two", SkipBadFiles: true})
	if res.Added != 1 || len(res.Failed) != 1 || res.Failed[0].Filename != "pkg-1.0-py3-none-any.whl" {
		t.Fatalf("result %+v", res)
	}
}

// TestSyncReuseGoneBlob: a blob the store held when the sync planned its batch (the same
// file in another repository) and that is gone when its turn comes (gc ran meanwhile)
// is downloaded, not failed.
func TestSyncReuseGoneBlob(t *testing.T) {
	ctx := context.Background()
	ds := []dist{{name: "pkg", version: "1.0"}, {name: "pkg", version: "1.1"}}
	paths := writeAll(t, ds...)
	up := indextest.New(t, paths, indextest.Options{})
	f, u := newFaulty(t, up)
	s := newSink(t, mirror.Options{Concurrency: 1}) // 1.0 is brought over before 1.1
	held, err := os.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	sha, _, err := s.svc.Blobs().Put(ctx, bytes.NewReader(held))
	if err != nil {
		t.Fatal(err)
	}
	f.onGet = func(name string) {
		if name == ds[0].filename() {
			if err := s.svc.Blobs().Delete(ctx, sha); err != nil {
				t.Error(err)
			}
		}
	}
	s.remote(t, mirror.Remote{Name: "up", URL: u, Includes: []string{"pkg"}})
	res := s.sync(t, mirror.SyncRequest{Remote: "up"})
	if res.Added != 2 || res.Reused != 0 || res.Downloaded != 2 || f.fileGets[ds[1].filename()] != 1 {
		t.Fatalf("sync: %+v, file requests %v", res, f.fileGets)
	}
	if ok, err := s.svc.Blobs().Exists(ctx, sha); !ok || err != nil {
		t.Errorf("%s is not stored after the sync (%v)", ds[1].filename(), err)
	}
}
