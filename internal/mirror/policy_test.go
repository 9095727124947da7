package mirror_test

import (
	"context"
	"testing"

	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

// TestPolicySwitchToImmediate: files recorded without their bytes (on_demand) are
// downloaded and stored by the first sync after the remote's policy becomes immediate,
// without a new version (presence is not content); the next sync has nothing to do.
func TestPolicySwitchToImmediate(t *testing.T) {
	ctx := context.Background()
	up := indextest.New(t, writeAll(t, dist{name: "alpha", version: "1.0"}, dist{name: "alpha", version: "1.1"}), indextest.Options{})
	s := newSink(t, mirror.Options{})
	s.remote(t, mirror.Remote{Name: "up", URL: up.SimpleURL, Includes: []string{"alpha"}, Policy: mirror.PolicyOnDemand})
	if res := s.sync(t, mirror.SyncRequest{Remote: "up"}); res.Added != 2 || res.Downloaded != 0 {
		t.Fatalf("on_demand sync: %+v", res)
	}
	for name, f := range s.files(t, "alpha") {
		if f.Presence != metastore.PresenceRemote {
			t.Fatalf("%s: presence %s", name, f.Presence)
		}
	}
	immediate := mirror.PolicyImmediate
	if _, err := s.m.UpdateRemote(ctx, "up", mirror.RemoteUpdate{Policy: &immediate}); err != nil {
		t.Fatal(err)
	}
	res := s.sync(t, mirror.SyncRequest{Remote: "up"})
	if res.Downloaded != 2 || res.Filled != 2 || res.Added != 0 || res.Version != 0 {
		t.Fatalf("sync after the switch: %+v", res)
	}
	for name, f := range s.files(t, "alpha") {
		if f.Presence != metastore.PresenceStored {
			t.Errorf("%s: presence %s after the switch", name, f.Presence)
		}
		if got := blob(t, s.svc, f.SHA256); sha256hex(got) != f.SHA256 {
			t.Errorf("%s: stored bytes do not match", name)
		}
	}
	if s.latest(t) != 1 {
		t.Errorf("latest version %d, want 1 (the switch makes none)", s.latest(t))
	}
	if res := s.sync(t, mirror.SyncRequest{Remote: "up"}); res.Downloaded != 0 || res.NotModified != 1 {
		t.Errorf("sync after: %+v", res)
	}
}

// TestSyncProjectHonoursIncludes: the per-project sync (pull-through) takes only what
// the remote selects: a project outside its --include list is never asked of the
// upstream and nothing is added; an included one is, and an --exclude'd one is not.
func TestSyncProjectHonoursIncludes(t *testing.T) {
	ctx := context.Background()
	up := indextest.New(t, writeAll(t, dist{name: "alpha", version: "1.0"}, dist{name: "beta", version: "1.0"}, dist{name: "gamma", version: "1.0"}), indextest.Options{})
	s := newSink(t, mirror.Options{})
	s.remote(t, mirror.Remote{Name: "up", URL: up.SimpleURL, Includes: []string{"alpha", "gamma"}, Excludes: []string{"gamma"}})
	before := up.Requests.Load()
	res, err := s.m.SyncProject(ctx, "main", "up", "Beta")
	if err != nil || res.Added != 0 || res.Projects != 0 {
		t.Fatalf("not included: %+v, %v", res, err)
	}
	if res, err := s.m.SyncProject(ctx, "main", "up", "gamma"); err != nil || res.Added != 0 {
		t.Fatalf("excluded: %+v, %v", res, err)
	}
	if got := up.Requests.Load() - before; got != 0 {
		t.Errorf("%d upstream requests for projects the remote does not select", got)
	}
	if res, err := s.m.SyncProject(ctx, "main", "up", "alpha"); err != nil || res.Added != 1 {
		t.Fatalf("included: %+v, %v", res, err)
	}
	if len(s.files(t, "beta")) != 0 || len(s.files(t, "gamma")) != 0 {
		t.Error("a project the remote does not select was added")
	}
}
