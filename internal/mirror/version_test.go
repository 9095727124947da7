package mirror_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

// latestRun is a mirror.Run that records the highest repository version a reader sees
// while the sync runs.
type latestRun struct {
	s    *sink
	t    *testing.T
	seen atomic.Int64
	n    atomic.Int64
}

func (r *latestRun) SetProgress(mirror.Progress) {
	r.n.Add(1)
	if l := int64(r.s.latest(r.t)); l > r.seen.Load() {
		r.seen.Store(l)
	}
}
func (r *latestRun) Logf(string, ...any) {}

// TestSyncOneVersionPastMaxChanges: a sync of more changes than one transaction takes
// (the limit lowered to 3, batches of 2 projects) still makes ONE repository version,
// published at the end: no reader sees a version before, and it holds every file.
func TestSyncOneVersionPastMaxChanges(t *testing.T) {
	var ds []dist
	var includes []string
	for p := range 5 {
		name := fmt.Sprintf("pkg%d", p)
		includes = append(includes, name)
		for v := range 3 {
			ds = append(ds, dist{name: name, version: fmt.Sprintf("1.%d", v)})
		}
	}
	up := indextest.New(t, writeAll(t, ds...), indextest.Options{})
	s := newSink(t, mirror.Options{Batch: 2, MaxChanges: 3})
	s.remote(t, mirror.Remote{Name: "up", URL: up.SimpleURL, Includes: includes})
	run := &latestRun{s: s, t: t}
	res, err := s.m.Sync(context.Background(), mirror.SyncRequest{Repository: "main", Remote: "up"}, run)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 15 || res.Version != 1 {
		t.Fatalf("result %+v", res)
	}
	if run.seen.Load() != 0 || run.n.Load() == 0 {
		t.Fatalf("a reader saw version %d during the sync (%d progress reports)", run.seen.Load(), run.n.Load())
	}
	vs, err := s.svc.Versions(context.Background(), "main")
	if err != nil || len(vs) != 2 || vs[1].Files != 15 {
		t.Fatalf("versions %+v, %v", vs, err)
	}
	for _, name := range includes {
		if len(s.files(t, name)) != 3 {
			t.Errorf("%s: %d files", name, len(s.files(t, name)))
		}
	}
}
