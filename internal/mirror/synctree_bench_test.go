package mirror_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/mirror"
)

// staticTree writes a PEP 503 tree of projects×perProject small wheels (what
// bench/synctree makes for bench/bench-sync.sh) and serves it as static files.
func staticTree(b *testing.B, projects, perProject int) *httptest.Server {
	return staticTreeMeta(b, projects, perProject, false)
}

// staticTreeMeta is staticTree, with PEP 658 metadata files announced when metadata is true.
func staticTreeMeta(b *testing.B, projects, perProject int, metadata bool) *httptest.Server {
	dir := b.TempDir()
	files := filepath.Join(dir, "files")
	if err := os.MkdirAll(files, 0o755); err != nil {
		b.Fatal(err)
	}
	var root strings.Builder
	root.WriteString("<!DOCTYPE html><html><body>\n")
	for p := range projects {
		name := fmt.Sprintf("bench-project-%05d", p)
		fmt.Fprintf(&root, "<a href=\"%s/\">%s</a>\n", name, name)
		var page strings.Builder
		page.WriteString("<!DOCTYPE html><html><body>\n")
		for v := range perProject {
			d := dist{name: name, version: fmt.Sprintf("1.%d", v)}
			data := wheelOf(b, d)
			if err := os.WriteFile(filepath.Join(files, d.filename()), data, 0o644); err != nil {
				b.Fatal(err)
			}
			attrs := ""
			if metadata {
				if err := os.WriteFile(filepath.Join(files, d.filename()+".metadata"), []byte(d.metadata()), 0o644); err != nil {
					b.Fatal(err)
				}
				attrs = ` data-core-metadata="sha256=` + sha256hex([]byte(d.metadata())) + `"`
			}
			fmt.Fprintf(&page, "<a href=\"../../files/%s#sha256=%s\"%s>%s</a>\n", d.filename(), sha256hex(data), attrs, d.filename())
		}
		if err := os.MkdirAll(filepath.Join(dir, "simple", name), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "simple", name, "index.html"), []byte(page.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "simple", "index.html"), []byte(root.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkSyncStaticTree syncs a static tree of 100 projects and 1,000 small wheels
// into a fresh repository (immediate policy): the Go side of bench/bench-sync.sh, to
// profile with -cpuprofile.
func BenchmarkSyncStaticTree(b *testing.B) {
	up := staticTree(b, 100, 10)
	for b.Loop() {
		b.StopTimer()
		s := newSink(b, mirror.Options{})
		s.remote(b, mirror.Remote{Name: "up", URL: up.URL + "/simple/"})
		b.StartTimer()
		res, err := s.m.Sync(context.Background(), mirror.SyncRequest{Repository: "main", Remote: "up"}, nil)
		if err != nil || res.Downloaded != 1000 {
			b.Fatalf("sync: %v, %+v", err, res)
		}
	}
}

// onDemandIndex is a PEP 691 index of n projects of one small wheel each, with sizes and
// PEP 658 metadata (what bench/nameindex serves for bench/bench-fullindex.sh).
func onDemandIndex(b *testing.B, n int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		p := r.URL.Path
		switch {
		case p == "/simple/":
			w.Write([]byte(`{"meta": {"api-version": "1.1"}, "projects": [`))
			for i := range n {
				if i > 0 {
					w.Write([]byte(","))
				}
				fmt.Fprintf(w, `{"name": "project-%07d", "_last-serial": 1}`, i)
			}
			w.Write([]byte("]}"))
		case strings.HasPrefix(p, "/simple/"):
			d := dist{name: strings.Trim(strings.TrimPrefix(p, "/simple/"), "/"), version: "1.0"}
			data := wheelOf(b, d)
			fmt.Fprintf(w, `{"meta": {"api-version": "1.1"}, "name": %q, "files": [{"filename": %q, "url": "/files/%s",
				"hashes": {"sha256": %q}, "size": %d, "core-metadata": {"sha256": %q}}]}`,
				d.name, d.filename(), d.filename(), sha256hex(data), len(data), sha256hex([]byte(d.metadata())))
		case strings.HasPrefix(p, "/files/") && strings.HasSuffix(p, ".metadata"):
			name := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(p, "/files/"), "-1.0-py3-none-any.whl.metadata"), "_", "-")
			w.Write([]byte(dist{name: name, version: "1.0"}.metadata()))
		default:
			http.NotFound(w, r)
		}
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkSyncFullIndexOnDemand syncs PYDEPOT_SYNC_NAMES (default 5,000) projects of one
// file each with policy on_demand (no bytes), the Go side of bench/bench-fullindex.sh,
// and reports the peak heap in use; PYDEPOT_SYNC_HEAPPROFILE=FILE writes a heap profile
// taken at the peak.
func BenchmarkSyncFullIndexOnDemand(b *testing.B) {
	n := 5000
	if s := os.Getenv("PYDEPOT_SYNC_NAMES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	up := onDemandIndex(b, n)
	for b.Loop() {
		b.StopTimer()
		s := newSink(b, mirror.Options{})
		s.remote(b, mirror.Remote{Name: "up", URL: up.URL + "/simple/", Policy: mirror.PolicyOnDemand})
		runtime.GC()
		b.StartTimer()
		var peak atomic.Uint64
		stop, stopped := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(stopped)
			var ms runtime.MemStats
			last := time.Time{}
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
					if f := os.Getenv("PYDEPOT_SYNC_HEAPPROFILE"); f != "" && time.Since(last) > time.Second {
						last = time.Now()
						if fh, err := os.Create(f); err == nil {
							pprof.WriteHeapProfile(fh)
							fh.Close()
						}
					}
				}
			}
		}()
		res, err := s.m.Sync(context.Background(), mirror.SyncRequest{Repository: "main", Remote: "up"}, nil)
		close(stop)
		<-stopped
		if err != nil || res.Added != n {
			b.Fatalf("sync: %v, %+v", err, res)
		}
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	}
}

// BenchmarkPullThroughRefresh is the cold page of a pull-through distribution: one
// project of 10 wheels with PEP 658 metadata brought in by SyncProject with policy
// on_demand (what a first request waits for; bench/bench-pullthrough.sh's cold case).
func BenchmarkPullThroughRefresh(b *testing.B) {
	up := staticTreeMeta(b, 200, 10, true)
	s := newSink(b, mirror.Options{})
	s.remote(b, mirror.Remote{Name: "up", URL: up.URL + "/simple/", Policy: mirror.PolicyOnDemand})
	i := 0
	for b.Loop() {
		res, err := s.m.SyncProject(context.Background(), "main", "up", fmt.Sprintf("bench-project-%05d", i%200))
		if err != nil || (i < 200 && res.Added != 10) {
			b.Fatalf("sync: %v, %+v", err, res)
		}
		i++
	}
}
