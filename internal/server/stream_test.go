package server

import (
	"bufio"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/index"
)

// gatedAPI is the real service whose project list waits for the test's go.
type gatedAPI struct {
	*index.Service
	gate  chan struct{} // closed: the list may be read
	reads atomic.Int32  // lists read (EachProject and Projects)
}

func (g *gatedAPI) EachProject(ctx context.Context, d *index.Distribution, fn func(index.ProjectSummary) error) error {
	g.reads.Add(1)
	<-g.gate
	return g.Service.EachProject(ctx, d, fn)
}

func (g *gatedAPI) Projects(ctx context.Context, d *index.Distribution) ([]index.ProjectSummary, int64, error) {
	g.reads.Add(1)
	<-g.gate
	return g.Service.Projects(ctx, d)
}

// TestSimpleIndexStreamed: the project list's status, validators and first bytes come
// before the list is read (the first byte used to wait for the whole body: 6 s for
// 200,000 projects), two requests meanwhile read it once, and what they get is the
// rendered list, with the cached page's ETag.
func TestSimpleIndexStreamed(t *testing.T) {
	ctx := t.Context()
	svc, closeFn, err := backends.OpenDir(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })
	e := newEnvOn(t, Config{}, svc, t.TempDir(), t.TempDir())
	for _, n := range []string{"alpha", "Beta_Two", "gamma"} {
		e.mustUpload(wheelName(n, "1.0"), makeWheel(t, n, "1.0", wheelOpts{}))
	}
	api := &gatedAPI{Service: svc, gate: make(chan struct{})}
	h := New(api, Config{StateTTL: -1}, nil)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}

	for _, tc := range []struct {
		accept, head string
	}{{"text/html", "<!DOCTYPE html>"}, {mediaJSONv1, `{"meta":{"api-version":"1.4","_last-serial":`}} {
		api.gate = make(chan struct{})
		api.reads.Store(0)
		var bodies [2]*bufio.Reader
		var resps [2]*http.Response
		for i := range resps {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/simple/", nil)
			req.Header.Set("Accept", tc.accept)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			resps[i], bodies[i] = resp, bufio.NewReader(resp.Body)
			head := make([]byte, len(tc.head))
			if _, err := io.ReadFull(bodies[i], head); err != nil || string(head) != tc.head {
				t.Fatalf("%s, list not read yet: first bytes %q %v", tc.accept, head, err)
			}
		}
		if n := api.reads.Load(); n != 1 {
			t.Errorf("%s: the list read %d times for two requests", tc.accept, n)
		}
		close(api.gate)
		want, serial, err := svc.Projects(ctx, &index.Distribution{BasePath: "main", Repository: "main"})
		if err != nil {
			t.Fatal(err)
		}
		wantBody := string(renderIndexHTML(want))
		if tc.accept == mediaJSONv1 {
			b, _ := renderIndexJSON(want, serial)
			wantBody = string(b)
		}
		for i, resp := range resps {
			rest, err := io.ReadAll(bodies[i])
			if got := tc.head + string(rest); err != nil || got != wantBody {
				t.Fatalf("%s: streamed %q %v, rendered %q", tc.accept, got, err, wantBody)
			}
			if serialHeader(t, resp) != serial || resp.Header.Get("Content-Type") == "" || resp.Header.Get("ETag") == "" {
				t.Errorf("%s: headers %v, serial %d", tc.accept, resp.Header, serial)
			}
		}
		// The cached page has the streamed one's validators and body; its ETag is answered.
		var cached *http.Response
		for range 100 { // the renderer caches the page just after its last byte
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/simple/", nil)
			req.Header.Set("Accept", tc.accept)
			if cached, err = client.Do(req); err != nil {
				t.Fatal(err)
			}
			if body := readBody(t, cached); body != wantBody {
				t.Fatalf("%s: cached %q", tc.accept, body)
			}
			if cached.Header.Get("Content-Length") != "" {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if cached.Header.Get("Content-Length") == "" || cached.Header.Get("ETag") != resps[0].Header.Get("ETag") || serialHeader(t, cached) != serial {
			t.Errorf("%s: cached page %v, streamed %v", tc.accept, cached.Header, resps[0].Header)
		}
		if n := api.reads.Load(); n != 1 {
			t.Errorf("%s: the list read %d times", tc.accept, n)
		}
	}
}

// TestSimpleIndexVersionETag: the list's ETag names the version: answered with 304 (also
// before anything is rendered, and for HEAD), another for the other format and for gzip,
// and a new one after a change, which the old one no longer matches.
func TestSimpleIndexVersionETag(t *testing.T) {
	e := populated(t)
	get := func(hdrs ...string) (*http.Response, string) {
		resp := e.request(http.MethodGet, "/simple/", nil, append(hdrs, "Accept-Encoding: identity")...)
		return resp, readBody(t, resp)
	}
	resp, body := get()
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || !strings.Contains(body, "demo-pkg") || !strings.HasPrefix(etag, `"v`) {
		t.Fatalf("list: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, body := get("If-None-Match: " + etag); resp.StatusCode != http.StatusNotModified || body != "" {
		t.Fatalf("If-None-Match: %d %q", resp.StatusCode, body)
	}
	if resp := e.request(http.MethodHead, "/simple/", nil, "Accept-Encoding: identity"); resp.StatusCode != 200 || resp.Header.Get("ETag") != etag {
		t.Errorf("HEAD: %d %v", resp.StatusCode, resp.Header)
	}
	jresp, _ := get("Accept: " + mediaJSONv1)
	if jresp.Header.Get("ETag") == etag || jresp.Header.Get("ETag") == "" {
		t.Errorf("JSON ETag %q, HTML %q", jresp.Header.Get("ETag"), etag)
	}
	// gzip, streamed (first request after a change) and cached: the same ETag and body.
	e.mustUpload(wheelName("zeta", "1.0"), makeWheel(t, "zeta", "1.0", wheelOpts{}))
	if resp, _ := get("If-None-Match: " + etag); resp.StatusCode != 200 {
		t.Fatalf("after a change the old ETag: %d", resp.StatusCode)
	}
	var gzTags, gzBodies []string
	for range 2 {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/simple/", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		gz, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(gz.Body)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		gz.Body.Close()
		if err != nil || gz.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("gzip: %v %v", gz.Header, err)
		}
		gzTags, gzBodies = append(gzTags, gz.Header.Get("ETag")), append(gzBodies, string(b))
	}
	_, plain := get()
	if gzTags[0] != gzTags[1] || gzBodies[0] != plain || gzBodies[1] != plain || !strings.Contains(plain, "zeta") || !strings.HasSuffix(gzTags[0], `-gz"`) {
		t.Errorf("gzip ETags %q, bodies equal to the plain one: %v %v", gzTags, gzBodies[0] == plain, gzBodies[1] == plain)
	}
	// A new version's ETag is known without rendering it: a 304 for a client that holds it.
	resp, _ = get()
	e.mustUpload(wheelName("eta", "1.0"), makeWheel(t, "eta", "1.0", wheelOpts{}))
	fresh := e.request(http.MethodHead, "/simple/", nil, "Accept-Encoding: identity").Header.Get("ETag")
	if fresh == resp.Header.Get("ETag") {
		t.Fatal("the ETag did not change with the version")
	}
	if resp, body := get("If-None-Match: " + fresh); resp.StatusCode != http.StatusNotModified || body != "" {
		t.Errorf("new version's ETag: %d", resp.StatusCode)
	}
}

// TestVersionETag: the ETag changes with each of what it names.
func TestVersionETag(t *testing.T) {
	base := versionETag("main", 1, 3, pageKey{base: "main"})
	for name, other := range map[string]string{
		"repository": versionETag("dev", 1, 3, pageKey{base: "main"}),
		"created":    versionETag("main", 2, 3, pageKey{base: "main"}),
		"version":    versionETag("main", 1, 4, pageKey{base: "main"}),
		"format":     versionETag("main", 1, 3, pageKey{base: "main", json: true}),
		"project":    versionETag("main", 1, 3, pageKey{base: "main", project: "x"}),
	} {
		if other == base {
			t.Errorf("%s: same ETag %s", name, base)
		}
	}
	if versionETag("main", 1, 3, pageKey{base: "team/main"}) != base {
		t.Error("the base path changed the ETag of the same content")
	}
}
