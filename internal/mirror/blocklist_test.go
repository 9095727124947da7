package mirror_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

// TestSyncSkipsBlocked: files the repository's blocklist refuses are reported as skipped,
// naming the rule, and the rest of the sync is applied.
func TestSyncSkipsBlocked(t *testing.T) {
	paths := writeAll(t, dist{name: "alpha", version: "1.0"}, dist{name: "alpha", version: "2.0"}, dist{name: "evil", version: "1.0"})
	up := indextest.New(t, paths, indextest.Options{})
	s := newSink(t, mirror.Options{})
	for _, rule := range []string{"alpha==2.0", "evil"} {
		if _, err := s.svc.Block(context.Background(), "main", rule); err != nil {
			t.Fatal(err)
		}
	}
	s.remote(t, mirror.Remote{Name: "up", URL: up.SimpleURL, Includes: []string{"alpha", "evil"}})
	res := s.sync(t, mirror.SyncRequest{Remote: "up"})
	if res.Added != 1 || len(res.Failed) != 0 || len(res.Skipped) != 2 {
		t.Fatalf("result %+v", res)
	}
	for _, sk := range res.Skipped {
		if !strings.Contains(sk.Error, "blocked") || !strings.Contains(sk.Error, "\"") {
			t.Errorf("skipped %+v", sk)
		}
	}
	if fs := s.files(t, "alpha"); len(fs) != 1 {
		t.Errorf("alpha files %v", keys(fs))
	}
	if fs := s.files(t, "evil"); len(fs) != 0 {
		t.Errorf("evil files %v", keys(fs))
	}
}
