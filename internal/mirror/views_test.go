package mirror_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

// TestSyncUnblockedComes: a file skipped as blocked comes with the next sync once
// unblocked, though the upstream page did not change.
func TestSyncUnblockedComes(t *testing.T) {
	ctx := context.Background()
	up := indextest.New(t, writeAll(t, dist{name: "alpha", version: "1.0"}, dist{name: "alpha", version: "2.0"}), indextest.Options{})
	s := newSink(t, mirror.Options{})
	if _, err := s.svc.Block(ctx, "main", "alpha==1.0"); err != nil {
		t.Fatal(err)
	}
	s.remote(t, mirror.Remote{Name: "up", URL: up.SimpleURL, Includes: []string{"alpha"}})
	res := s.sync(t, mirror.SyncRequest{Remote: "up"})
	if res.Added != 1 || len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Error, "alpha==1.0") || len(res.Failed) != 0 {
		t.Fatalf("%+v", res)
	}
	if err := s.svc.Unblock(ctx, "main", "alpha==1.0"); err != nil {
		t.Fatal(err)
	}
	if res := s.sync(t, mirror.SyncRequest{Remote: "up"}); res.Added != 1 {
		t.Errorf("after unblocking: %+v", res)
	}
}

// TestOnDemandServed: an on_demand sync records rows without bytes; the index serves a
// file through the mirror (FetchFile) on the first request, verified, and keeps it.
func TestOnDemandServed(t *testing.T) {
	ctx := context.Background()
	up := indextest.New(t, writeAll(t, dist{name: "alpha", version: "1.0"}), indextest.Options{})
	s := newSink(t, mirror.Options{})
	s.svc.SetRemoteFetcher(s.m)
	s.remote(t, mirror.Remote{Name: "up", URL: up.SimpleURL, Includes: []string{"alpha"}, Policy: mirror.PolicyOnDemand})
	s.sync(t, mirror.SyncRequest{Remote: "up"})
	name := "alpha-1.0-py3-none-any.whl"
	if s.files(t, "alpha")[name].Presence != metastore.PresenceRemote {
		t.Fatal("not a remote-only row")
	}
	d, err := s.svc.Distribution(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	of, err := s.svc.OpenFile(ctx, d, name, 0)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(of.Body)
	of.Body.Close()
	if sha256hex(data) != up.SHA256(name) {
		t.Errorf("served bytes have sha256 %s", sha256hex(data))
	}
	if ok, _ := s.svc.Blobs().Exists(ctx, up.SHA256(name)); !ok {
		t.Error("on_demand did not keep the fetched file")
	}
}
