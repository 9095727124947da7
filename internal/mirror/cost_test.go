package mirror_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

// TestResyncCost: re-syncing an unchanged upstream sends one conditional request per
// project and downloads nothing; it logs the time of both syncs.
func TestResyncCost(t *testing.T) {
	var ds []dist
	var includes []string
	for p := range 20 {
		name := fmt.Sprintf("proj%02d", p)
		includes = append(includes, name)
		for v := range 10 {
			ds = append(ds, dist{name: name, version: fmt.Sprintf("1.%d", v)})
		}
	}
	up := indextest.New(t, writeAll(t, ds...), indextest.Options{})
	s := newSink(t, mirror.Options{})
	s.remote(t, mirror.Remote{Name: "up", URL: up.SimpleURL, Includes: includes})
	start := time.Now()
	first := s.sync(t, mirror.SyncRequest{Remote: "up"})
	firstTook, firstReqs := time.Since(start), up.Requests.Load()
	start = time.Now()
	second := s.sync(t, mirror.SyncRequest{Remote: "up"})
	secondTook, secondReqs := time.Since(start), up.Requests.Load()-firstReqs
	if first.Added != 200 || second.Version != 0 || second.Downloaded != 0 || second.NotModified != 20 {
		t.Fatalf("first %+v\nsecond %+v", first, second)
	}
	if secondReqs != 20 {
		t.Errorf("the re-sync sent %d requests, want 20 (one 304 per project); the first sent %d", secondReqs, firstReqs)
	}
	t.Logf("first sync: %d requests, %v; re-sync: %d requests, %v (%.3f×)", firstReqs, firstTook, secondReqs, secondTook,
		float64(secondTook)/float64(firstTook))
}
