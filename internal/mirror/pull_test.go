package mirror_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/server"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

// TestPullThroughOnDemand wires the mirror into the index as serve does (RemoteFetcher,
// ProjectRefresher): a pull-through distribution behind a hosted repository pulls a
// project's page on first request, its on_demand file on first download (then served
// with the upstream gone), and never asks the upstream for the internal acme-utils.
func TestPullThroughOnDemand(t *testing.T) {
	ctx := context.Background()
	var fileGets, acmeAsked atomic.Int64
	paths := writeAll(t, dist{name: "alpha", version: "1.0"}, dist{name: "acme-utils", version: "99.0"})
	up := indextest.New(t, paths, indextest.Options{Wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "acme") {
				acmeAsked.Add(1)
			}
			if strings.HasSuffix(r.URL.Path, ".whl") {
				fileGets.Add(1)
				time.Sleep(50 * time.Millisecond) // slow enough that the GETs overlap
			}
			h.ServeHTTP(w, r)
		})
	}})
	s := newSink(t, mirror.Options{})
	s.svc.SetRemoteFetcher(s.m)
	s.svc.SetProjectRefresher(s.m)
	s.remote(t, mirror.Remote{Name: "up", URL: up.SimpleURL, Policy: mirror.PolicyOnDemand})
	if _, err := s.svc.CreateRepository(ctx, "hosted", ""); err != nil {
		t.Fatal(err)
	}
	internal := dist{name: "acme-utils", version: "1.0"}
	if _, _, err := s.svc.Upload(ctx, index.Upload{Repository: "hosted", Filename: internal.filename(), Content: bytes.NewReader(wheelOf(t, internal))}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.CreateDistribution(ctx, index.Distribution{BasePath: "proxy", Public: true,
		Sources: []index.Source{{Repository: "hosted"}, {Repository: "up", PullThrough: "up", TTL: time.Minute}}}); err != nil {
		t.Fatal(err)
	}
	// A pull-through from a remote that does not exist is refused when made.
	_, err := s.svc.CreateDistribution(ctx, index.Distribution{BasePath: "nope", Sources: []index.Source{{Repository: "x", PullThrough: "no-such-remote"}}})
	if !errors.Is(err, errs.ErrNotFound) || !strings.Contains(err.Error(), "no-such-remote") {
		t.Errorf("pull-through from a missing remote: %v", err)
	}
	srv := httptest.NewServer(server.New(s.svc, server.Config{StateTTL: -1, TempDir: t.TempDir()}, nil))
	t.Cleanup(srv.Close)
	get := func(path string) (int, []byte) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Error(err)
			return 0, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	status, page := get("/proxy/simple/alpha/")
	if status != 200 || !bytes.Contains(page, []byte("alpha-1.0-py3-none-any.whl")) {
		t.Fatalf("pulled page: %d %s", status, page)
	}
	d, _ := s.svc.Distribution(ctx, "proxy")
	f, err := s.svc.File(ctx, d, "alpha-1.0-py3-none-any.whl")
	if err != nil || f.Presence != metastore.PresenceRemote || fileGets.Load() != 0 {
		t.Fatalf("after the page: %+v, %v, %d downloads", f, err, fileGets.Load())
	}
	// Many parallel first GETs: one download.
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status, body := get("/proxy/files/" + f.SHA256 + "/" + f.Filename)
			if status != 200 || !bytes.Equal(body, up.Bytes(f.Filename)) {
				t.Errorf("on-demand file: %d", status)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := fileGets.Load(); n != 1 {
		t.Errorf("16 parallel first GETs made %d upstream downloads, want 1", n)
	}
	if f, _ := s.svc.File(ctx, d, f.Filename); f.Presence != metastore.PresenceStored {
		t.Errorf("presence after the download: %s", f.Presence)
	}
	status, page = get("/proxy/simple/acme-utils/")
	if status != 200 || bytes.Contains(page, []byte("99.0")) || acmeAsked.Load() != 0 {
		t.Errorf("internal name: %d, lists 99.0: %v, upstream asked %d times", status, bytes.Contains(page, []byte("99.0")), acmeAsked.Load())
	}
	up.Close()
	if status, body := get("/proxy/files/" + f.SHA256 + "/" + f.Filename); status != 200 || !bytes.Equal(body, up.Bytes(f.Filename)) {
		t.Errorf("with the upstream gone: %d", status)
	}
	if status, _ := get("/proxy/simple/alpha/"); status != 200 {
		t.Errorf("page with the upstream gone: %d", status)
	}
	if status, body := get("/proxy/simple/never-seen/"); status != 502 || !bytes.Contains(body, []byte("remote up could not be read")) {
		t.Errorf("unknown project with the upstream gone: %d %s", status, body)
	}
}
