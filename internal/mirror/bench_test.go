package mirror_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/mirror"
)

// nameIndex is a synthetic upstream of n projects with no files: the root listing in
// PEP 691 JSON and a small page per project.
func nameIndex(tb testing.TB, n int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		if r.URL.Path == "/simple/" {
			w.Write([]byte(`{"meta": {"api-version": "1.1"}, "projects": [`))
			for i := range n {
				if i > 0 {
					w.Write([]byte(","))
				}
				fmt.Fprintf(w, `{"name": "project-%07d", "_last-serial": %d}`, i, i+1)
			}
			w.Write([]byte("]}"))
			return
		}
		name := strings.Trim(strings.TrimPrefix(r.URL.Path, "/simple/"), "/")
		w.Header().Set("ETag", `"`+name+`"`)
		fmt.Fprintf(w, `{"meta": {"api-version": "1.1"}, "name": %q, "files": []}`, name)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// TestFullIndexMemory syncs a full index of PYDEPOT_SYNC_NAMES names (default 2,000;
// PYDEPOT_SYNC_NAMES=200000 for the figure) and reports the peak heap: the list
// is streamed to disk and read back in batches, never held as pages. The re-sync takes
// each project's serial from the list (the pages give none) and reads no page.
func TestFullIndexMemory(t *testing.T) {
	n := 2000
	if s := os.Getenv("PYDEPOT_SYNC_NAMES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	up := nameIndex(t, n)
	s := newSink(t, mirror.Options{})
	s.remote(t, mirror.Remote{Name: "up", URL: up.URL + "/simple/"})
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	start := time.Now()
	res, err := s.m.Sync(context.Background(), mirror.SyncRequest{Repository: "main", Remote: "up"}, nil)
	close(stop)
	if err != nil || res.Projects != n {
		t.Fatalf("sync: %v, %+v", err, res)
	}
	took := time.Since(start)
	start = time.Now()
	again, err := s.m.Sync(context.Background(), mirror.SyncRequest{Repository: "main", Remote: "up"}, nil)
	if err != nil || again.NotModified != n {
		t.Fatalf("re-sync: %v, %+v", err, again)
	}
	t.Logf("RESULT full-index sync of %d names: %v, peak heap %d MiB; re-sync (serials from the list) %v", n, took, peak.Load()>>20, time.Since(start))
	if peak.Load() > 200<<20 {
		t.Errorf("peak heap %d MiB, the goal is under 200 MiB", peak.Load()>>20)
	}
}
