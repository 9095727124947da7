package mirror_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/mirror"
)

// staticTree writes a PEP 503 tree of projects×perProject small wheels (what
// bench/synctree makes for bench/bench-sync.sh) and serves it as static files.
func staticTree(b *testing.B, projects, perProject int) *httptest.Server {
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
			fmt.Fprintf(&page, "<a href=\"../../files/%s#sha256=%s\">%s</a>\n", d.filename(), sha256hex(data), d.filename())
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
