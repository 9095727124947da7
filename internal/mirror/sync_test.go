package mirror_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

func TestSyncFromTestIndex(t *testing.T) {
	paths := writeAll(t,
		dist{name: "alpha", version: "1.0", requiresPython: ">=3.8"},
		dist{name: "alpha", version: "1.1"},
		dist{name: "alpha", version: "1.1", tag: "sdist"},
		dist{name: "beta", version: "2.0"},
	)
	up := indextest.New(t, paths, indextest.Options{Yanked: map[string]string{"alpha-1.0-py3-none-any.whl": "broken"}})
	s := newSink(t, mirror.Options{})
	s.remote(t, mirror.Remote{Name: "up", URL: up.SimpleURL, Includes: []string{"alpha"}})
	res := s.sync(t, mirror.SyncRequest{Remote: "up"})
	if res.Added != 3 || res.Version != 1 || len(res.Failed) != 0 {
		t.Fatalf("result %+v", res)
	}
	fs := s.files(t, "alpha")
	w := fs["alpha-1.0-py3-none-any.whl"]
	if !w.Yanked || w.YankReason != "broken" || w.RequiresPython != ">=3.8" || w.Origin != metastore.OriginSync ||
		w.OriginRemote != "up" || w.Presence != metastore.PresenceStored || w.MetadataSHA256 == "" || w.UpstreamHashes == "" {
		t.Errorf("synced row %+v", w)
	}
	if len(s.files(t, "beta")) != 0 {
		t.Error("beta was not included but was synced")
	}
	state := func() metastore.SyncState {
		t.Helper()
		ctx := context.Background()
		rem, err := s.svc.Store().Remote(ctx, "up")
		if err != nil {
			t.Fatal(err)
		}
		repo, err := s.svc.Store().Repository(ctx, "main")
		if err != nil {
			t.Fatal(err)
		}
		st, err := s.svc.Store().SyncStates(ctx, rem.ID, repo.ID, []string{"alpha"})
		if err != nil || len(st) != 1 {
			t.Fatalf("alpha's sync state: %v (%v)", st, err)
		}
		return st[0]
	}
	first := state()
	before := up.Requests.Load()
	res = s.sync(t, mirror.SyncRequest{Remote: "up"})
	if res.Version != 0 || res.Downloaded != 0 || res.NotModified != 1 {
		t.Fatalf("re-sync result %+v", res)
	}
	if got := up.Requests.Load() - before; got != 1 || up.NotModified.Load() != 1 {
		t.Errorf("re-sync made %d requests (%d answered 304), want one conditional page read", got, up.NotModified.Load())
	}
	// The unchanged project's state is not written again: it says when it last changed.
	if again := state(); again != first {
		t.Errorf("alpha's sync state after an unchanged re-sync %+v, was %+v", again, first)
	}
}

// TestSyncWheelMetadataInWheel: a synced wheel's metadata file is not written as a blob
// of its own (it is in the stored wheel); the first request for it takes it from the
// wheel, checked against the row's digest, and stores it; gc then has nothing to remove.
func TestSyncWheelMetadataInWheel(t *testing.T) {
	paths := writeAll(t, dist{name: "beta", version: "1.0"})
	up := indextest.New(t, paths, indextest.Options{HTML: true, NoMetadata: true})
	s := newSink(t, mirror.Options{})
	s.remote(t, mirror.Remote{Name: "up", URL: up.SimpleURL, Includes: []string{"beta"}})
	s.sync(t, mirror.SyncRequest{Remote: "up"})
	ctx := context.Background()
	w := s.files(t, "beta")["beta-1.0-py3-none-any.whl"]
	if w.MetadataSHA256 != sha256hex(up.Metadata(w.Filename)) {
		t.Fatalf("wheel's metadata file not recorded: %+v", w)
	}
	if ok, err := s.svc.Blobs().Exists(ctx, w.MetadataSHA256); ok || err != nil {
		t.Errorf("the sync stored the wheel's metadata file as a blob of its own: %v, %v", ok, err)
	}
	// Nor a blobs row for it (the wheel's own row is there); the first request makes it.
	blobRows := func() int {
		rows, err := s.svc.Store().Blobs(ctx, []string{w.SHA256, w.MetadataSHA256})
		if err != nil {
			t.Fatal(err)
		}
		return len(rows)
	}
	if n := blobRows(); n != 1 {
		t.Errorf("after the sync: %d blobs rows for the wheel and its metadata file, want the wheel's alone", n)
	}
	for _, when := range []string{"taken from the wheel", "stored"} {
		if got := metadataFile(t, s.svc, w.Filename); string(got) != string(up.Metadata(w.Filename)) {
			t.Errorf("served metadata file (%s) %q, upstream's %q", when, got, up.Metadata(w.Filename))
		}
		if ok, err := s.svc.Blobs().Exists(ctx, w.MetadataSHA256); !ok || err != nil {
			t.Errorf("the metadata file taken from the wheel was not stored: %v, %v", ok, err)
		}
		if n := blobRows(); n != 2 {
			t.Errorf("metadata file %s: %d blobs rows for the wheel and it, want 2", when, n)
		}
	}
	if rep, err := s.svc.GC(ctx, index.GCOptions{DryRun: true}); err != nil || rep.Unreferenced != 0 {
		t.Errorf("gc: %+v, %v", rep, err)
	}
}

// TestSyncExtractsMetadata: from an upstream without PEP 658 files (HTML only), the
// metadata file is extracted from each file as it is stored.
func TestSyncExtractsMetadata(t *testing.T) {
	paths := writeAll(t, dist{name: "alpha", version: "1.0"}, dist{name: "alpha", version: "1.0", tag: "sdist"})
	up := indextest.New(t, paths, indextest.Options{HTML: true, NoMetadata: true})
	s := newSink(t, mirror.Options{})
	s.remote(t, mirror.Remote{Name: "up", URL: up.SimpleURL, Includes: []string{"alpha"}})
	s.sync(t, mirror.SyncRequest{Remote: "up"})
	w := s.files(t, "alpha")["alpha-1.0-py3-none-any.whl"]
	if w.MetadataSHA256 != sha256hex(up.Metadata(w.Filename)) {
		t.Fatalf("wheel's metadata file not extracted: %+v", w)
	}
	if sd := s.files(t, "alpha")["alpha-1.0.tar.gz"]; sd.MetadataSHA256 == "" {
		t.Errorf("sdist's metadata (PKG-INFO) not extracted: %+v", sd)
	}
}

// TestSyncProject: one project of a remote now, with the remote's filters (what
// pull-through asks for).
func TestSyncProject(t *testing.T) {
	paths := writeAll(t, dist{name: "alpha", version: "1.0"}, dist{name: "alpha", version: "2.0rc1"}, dist{name: "beta", version: "2.0"})
	up := indextest.New(t, paths, indextest.Options{})
	s := newSink(t, mirror.Options{})
	s.remote(t, mirror.Remote{Name: "up", URL: up.SimpleURL})
	res, err := s.m.SyncProject(context.Background(), "main", "up", "Alpha")
	if err != nil || res.Added != 1 || res.Version != 1 {
		t.Fatalf("SyncProject: %+v, %v", res, err)
	}
	if len(s.files(t, "beta")) != 0 || len(s.files(t, "alpha")) != 1 {
		t.Errorf("synced alpha %v, beta %v", keys(s.files(t, "alpha")), keys(s.files(t, "beta")))
	}
	if res, err := s.m.SyncProject(context.Background(), "main", "up", "alpha"); err != nil || res.Version != 0 || res.NotModified != 1 {
		t.Errorf("second SyncProject: %+v, %v", res, err)
	}
}

// TestSyncMirrorFollowsFilters: --mirror removes the files of projects the remote no
// longer selects (an include dropped, an exclude added); an additive sync keeps them;
// files uploaded to the repository are never removed.
func TestSyncMirrorFollowsFilters(t *testing.T) {
	ctx := context.Background()
	paths := writeAll(t, dist{name: "alpha", version: "1.0"}, dist{name: "beta", version: "1.0"}, dist{name: "gamma", version: "1.0"})
	up := indextest.New(t, paths, indextest.Options{})
	s := newSink(t, mirror.Options{})
	s.remote(t, mirror.Remote{Name: "up", URL: up.SimpleURL, Includes: []string{"alpha", "beta", "gamma"}})
	s.sync(t, mirror.SyncRequest{Remote: "up"})
	own := writeAll(t, dist{name: "beta", version: "9.0"})[0]
	if err := testserverUpload(ctx, s, own); err != nil {
		t.Fatal(err)
	}
	inc, exc := []string{"alpha", "gamma"}, []string{"gamma"}
	if _, err := s.m.UpdateRemote(ctx, "up", mirror.RemoteUpdate{Includes: &inc, Excludes: &exc}); err != nil {
		t.Fatal(err)
	}
	if res := s.sync(t, mirror.SyncRequest{Remote: "up"}); res.Removed != 0 || len(s.files(t, "beta")) != 2 {
		t.Fatalf("additive sync after the change: %+v", res)
	}
	res := s.sync(t, mirror.SyncRequest{Remote: "up", Mirror: true})
	if res.Removed != 2 || len(s.files(t, "gamma")) != 0 || len(s.files(t, "alpha")) != 1 {
		t.Fatalf("--mirror sync after the change: %+v", res)
	}
	if b := s.files(t, "beta"); len(b) != 1 || b["beta-9.0-py3-none-any.whl"].Origin != metastore.OriginUpload {
		t.Errorf("beta after --mirror: %v (the uploaded file must stay)", keys(b))
	}
}

// TestSyncYankPerRelease: a release is yanked when all its upstream files are, and
// left alone when the upstream yanks only some (pydepot yanks releases): a re-sync
// never flips it back and forth.
func TestSyncYankPerRelease(t *testing.T) {
	ctx := context.Background()
	paths := writeAll(t, dist{name: "alpha", version: "1.0"}, dist{name: "alpha", version: "1.0", tag: "sdist"})
	plain := indextest.New(t, paths, indextest.Options{})
	some := indextest.New(t, paths, indextest.Options{Yanked: map[string]string{"alpha-1.0-py3-none-any.whl": "bad wheel"}})
	all := indextest.New(t, paths, indextest.Options{Yanked: map[string]string{"alpha-1.0-py3-none-any.whl": "bad", "alpha-1.0.tar.gz": "bad"}})
	s := newSink(t, mirror.Options{})
	s.remote(t, mirror.Remote{Name: "up", URL: plain.SimpleURL, Includes: []string{"alpha"}})
	s.sync(t, mirror.SyncRequest{Remote: "up"})
	for i, step := range []struct {
		url        string
		changed    int
		wantYanked bool
	}{
		{some.SimpleURL, 0, false},
		{all.SimpleURL, 2, true},
		{some.SimpleURL, 0, true},
		{plain.SimpleURL, 2, false},
	} {
		if _, err := s.m.UpdateRemote(ctx, "up", mirror.RemoteUpdate{URL: &step.url}); err != nil {
			t.Fatal(err)
		}
		res := s.sync(t, mirror.SyncRequest{Remote: "up"})
		if res.Changed != step.changed {
			t.Errorf("step %d: %d changed, want %d", i, res.Changed, step.changed)
		}
		for name, f := range s.files(t, "alpha") {
			if f.Yanked != step.wantYanked {
				t.Errorf("step %d: %s yanked %v", i, name, f.Yanked)
			}
		}
	}
}

// TestSyncCredentials: the remote's token or Basic credentials reach the upstream; wrong
// ones fail the sync with the upstream's 401.
func TestSyncCredentials(t *testing.T) {
	paths := writeAll(t, dist{name: "alpha", version: "1.0"})
	for _, tc := range []struct {
		opts   indextest.Options
		remote mirror.Remote
		ok     bool
	}{
		{indextest.Options{Token: "tok"}, mirror.Remote{Token: "tok"}, true},
		{indextest.Options{Token: "tok"}, mirror.Remote{Token: "other"}, false},
		{indextest.Options{BasicUser: "me", BasicPassword: "pw"}, mirror.Remote{Username: "me", Password: "pw"}, true},
		{indextest.Options{BasicUser: "me", BasicPassword: "pw"}, mirror.Remote{}, false},
	} {
		up := indextest.New(t, paths, tc.opts)
		s := newSink(t, mirror.Options{})
		r := tc.remote
		r.Name, r.URL, r.Includes = "up", up.SimpleURL, []string{"alpha"}
		s.remote(t, r)
		res, err := s.m.Sync(context.Background(), mirror.SyncRequest{Repository: "main", Remote: "up"}, nil)
		if tc.ok && (err != nil || res.Added != 1) {
			t.Errorf("%+v: %v, %+v", tc.remote, err, res)
		}
		if !tc.ok && (err == nil || !errors.Is(err, errs.ErrUnauthorized)) {
			t.Errorf("%+v: %v, want a 401", tc.remote, err)
		}
	}
}
