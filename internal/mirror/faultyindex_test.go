package mirror_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/simpleindex/faultyindex"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

// TestSyncFaultyIndex: every fault the upstream test server knows ends in a retried
// success with the right bytes stored, or (a corruption that persists) a clear failure
// that stores nothing.
func TestSyncFaultyIndex(t *testing.T) {
	wheel := dist{name: "pkg", version: "1.0"}
	for _, tc := range []struct {
		name  string
		path  string // "" = the wheel
		fault faultyindex.Fault
		fails bool
	}{
		{"503 twice", "", faultyindex.Fault{Kind: faultyindex.Status, Code: 503, Times: 2}, false},
		{"429 with Retry-After", "", faultyindex.Fault{Kind: faultyindex.Status, Code: 429, RetryAfter: "0", Times: 1}, false},
		{"truncated", "", faultyindex.Fault{Kind: faultyindex.Truncate, Times: 1}, false},
		{"short", "", faultyindex.Fault{Kind: faultyindex.Short, Times: 1}, false},
		{"corrupt once", "", faultyindex.Fault{Kind: faultyindex.Corrupt, Times: 1}, false},
		{"reset twice", "", faultyindex.Fault{Kind: faultyindex.Reset, Times: 2}, false},
		{"slow", "", faultyindex.Fault{Kind: faultyindex.Slow, Delay: time.Millisecond, Chunk: 256, Times: 1}, false},
		{"delayed headers", "", faultyindex.Fault{Kind: faultyindex.Delay, Delay: 50 * time.Millisecond, Times: 1}, false},
		{"page 500", "/simple/pkg/", faultyindex.Fault{Kind: faultyindex.Status, Times: 1}, false},
		{"page cut", "/simple/pkg/", faultyindex.Fault{Kind: faultyindex.Truncate, Times: 1}, false},
		{"corrupt always", "", faultyindex.Fault{Kind: faultyindex.Corrupt}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := faultyindex.New(t, writeAll(t, wheel), indextest.Options{})
			if tc.path == "" {
				srv.InjectFile(wheel.filename(), tc.fault)
			} else {
				srv.Inject(tc.path, tc.fault)
			}
			s := newSink(t, mirror.Options{})
			s.remote(t, mirror.Remote{Name: "up", URL: srv.SimpleURL, Includes: []string{"pkg"}})
			res, err := s.m.Sync(context.Background(), mirror.SyncRequest{Repository: "main", Remote: "up"}, nil)
			if tc.fails {
				if !errors.Is(err, mirror.ErrBadFiles) || s.latest(t) != 0 {
					t.Fatalf("sync: %v, %+v", err, res)
				}
				if ok, _ := s.svc.Blobs().Exists(context.Background(), srv.SHA256(wheel.filename())); ok {
					t.Error("a blob was stored")
				}
				return
			}
			if err != nil || res.Added != 1 {
				t.Fatalf("sync: %v, %+v", err, res)
			}
			row := s.files(t, "pkg")[wheel.filename()]
			if row.SHA256 != srv.SHA256(wheel.filename()) || sha256hex(blob(t, s.svc, row.SHA256)) != row.SHA256 {
				t.Errorf("stored %+v", row)
			}
		})
	}
}

// TestSyncReportsBounded: a result lists at most MaxReported failed files and counts
// them all; the log has a line for each.
func TestSyncReportsBounded(t *testing.T) {
	ds := []dist{{name: "pkg", version: "1.0"}, {name: "pkg", version: "2.0"}, {name: "pkg", version: "3.0"}}
	srv := faultyindex.New(t, writeAll(t, ds...), indextest.Options{})
	for _, d := range ds {
		srv.InjectFile(d.filename(), faultyindex.Fault{Kind: faultyindex.Corrupt})
	}
	s := newSink(t, mirror.Options{MaxReported: 2})
	s.remote(t, mirror.Remote{Name: "up", URL: srv.SimpleURL, Includes: []string{"pkg"}})
	run := &recordRun{}
	res, err := s.m.Sync(context.Background(), mirror.SyncRequest{Repository: "main", Remote: "up"}, run)
	if !errors.Is(err, mirror.ErrBadFiles) || res.FailedTotal != 3 || len(res.Failed) != 2 || len(run.logs) != 3 {
		t.Fatalf("%v: %+v, log %q", err, res, run.logs)
	}
}
