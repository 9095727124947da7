package mirror_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/httpclient"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

// faulty sits in front of an index and spoils the answers for some file names.
type faulty struct {
	mu        sync.Mutex
	fail500   map[string]int // filename -> 500s still to send
	corrupt   map[string]bool
	truncate  map[string]int // filename -> truncated bodies still to send
	fileGets  map[string]int
	block     map[string]bool // filename -> hang until the request is cancelled
	inFlight  int
	maxFlight int
	onGet     func(name string) // called before each file GET is answered, when set
	target    *url.URL
	transport http.RoundTripper
}

func newFaulty(t *testing.T, up *indextest.Server) (*faulty, string) {
	u, _ := url.Parse(up.URL)
	f := &faulty{fail500: map[string]int{}, corrupt: map[string]bool{}, truncate: map[string]int{}, fileGets: map[string]int{}, block: map[string]bool{}, target: u,
		transport: httpclient.New(time.Minute).Transport}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL + "/simple/"
}

func (f *faulty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, isFile := strings.CutPrefix(r.URL.Path, "/files/")
	f.mu.Lock()
	if isFile {
		f.fileGets[name]++
	}
	n500, bad, trunc, block, onGet := f.fail500[name], f.corrupt[name], f.truncate[name], f.block[name], f.onGet
	if isFile {
		f.inFlight++
		f.maxFlight = max(f.maxFlight, f.inFlight)
		defer func() { f.mu.Lock(); f.inFlight--; f.mu.Unlock() }()
	}
	if n500 > 0 {
		f.fail500[name]--
	}
	if trunc > 0 {
		f.truncate[name]--
	}
	f.mu.Unlock()
	if isFile && onGet != nil {
		onGet(name)
	}
	if isFile && block {
		<-r.Context().Done()
		return
	}
	if isFile && n500 > 0 {
		http.Error(w, "upstream trouble", http.StatusInternalServerError)
		return
	}
	req, _ := http.NewRequestWithContext(r.Context(), r.Method, f.target.String()+r.URL.RequestURI(), nil)
	req.Header = r.Header.Clone()
	resp, err := f.transport.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	data := body.Bytes()
	for k, v := range resp.Header {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	switch {
	case isFile && bad:
		data = append([]byte(nil), data...)
		data[len(data)/2] ^= 0xff
	case isFile && trunc > 0:
		w.Header().Set("Content-Length", "100000")
		w.WriteHeader(resp.StatusCode)
		w.Write(data[:len(data)/2])
		return // the connection is cut short of its Content-Length
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(data)
}

func faultIndex(t *testing.T) *indextest.Server {
	return indextest.New(t, writeAll(t,
		dist{name: "good", version: "1.0"},
		dist{name: "good", version: "2.0"},
		dist{name: "flaky", version: "1.0"},
		dist{name: "bad", version: "1.0"},
	), indextest.Options{})
}

// TestSyncFaults: 500s and truncated bodies are retried into success; a wrong hash is
// a clear failure that stores nothing and, without --skip-bad-files, fails the sync
// with nothing applied.
func TestSyncFaults(t *testing.T) {
	up := faultIndex(t)
	f, u := newFaulty(t, up)
	f.fail500["flaky-1.0-py3-none-any.whl"] = 2
	f.truncate["good-2.0-py3-none-any.whl"] = 1
	f.corrupt["bad-1.0-py3-none-any.whl"] = true
	tmp := t.TempDir()
	s := newSink(t, mirror.Options{TempDir: tmp})
	s.remote(t, mirror.Remote{Name: "up", URL: u, Includes: []string{"good", "flaky", "bad"}})
	run := &recordRun{}
	res, err := s.m.Sync(context.Background(), mirror.SyncRequest{Repository: "main", Remote: "up"}, run)
	if !errors.Is(err, mirror.ErrBadFiles) || len(res.Failed) != 1 || res.Failed[0].Filename != "bad-1.0-py3-none-any.whl" {
		t.Fatalf("sync: %v, result %+v", err, res)
	}
	if msg := res.Failed[0].Error; !strings.Contains(msg, up.SHA256("bad-1.0-py3-none-any.whl")) || !strings.Contains(msg, "sha256") {
		t.Errorf("the failure does not name the digests: %s", msg)
	}
	if f.fileGets["bad-1.0-py3-none-any.whl"] != 4 || f.fileGets["flaky-1.0-py3-none-any.whl"] != 3 {
		t.Errorf("attempts: %v", f.fileGets)
	}
	if len(run.logs) == 0 || !strings.Contains(strings.Join(run.logs, "\n"), "bad-1.0") {
		t.Errorf("no log line for the failed file: %q", run.logs)
	}
	if s.latest(t) != 0 {
		t.Fatal("a failed sync made a version")
	}
	if ok, _ := s.svc.Blobs().Exists(context.Background(), up.SHA256("bad-1.0-py3-none-any.whl")); ok {
		t.Error("the good digest of the corrupted file is stored")
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// The retried files were stored as blobs: the sync with --skip-bad-files reuses them.
	f.mu.Lock()
	clear(f.fileGets)
	f.mu.Unlock()
	res = s.sync(t, mirror.SyncRequest{Remote: "up", SkipBadFiles: true})
	if res.Added != 3 || res.Version != 1 || len(res.Failed) != 1 || res.Reused != 3 || f.fileGets["good-1.0-py3-none-any.whl"] != 0 {
		t.Fatalf("--skip-bad-files: %+v, file requests %v", res, f.fileGets)
	}
	// The bad file's project is read again next time; the others are not.
	f.mu.Lock()
	delete(f.corrupt, "bad-1.0-py3-none-any.whl")
	f.mu.Unlock()
	res = s.sync(t, mirror.SyncRequest{Remote: "up"})
	if res.Added != 1 || res.NotModified != 2 {
		t.Fatalf("after the upstream mended the file: %+v", res)
	}
}

// TestSyncOnDemand: on_demand records the files and their metadata without the bytes.
func TestSyncOnDemand(t *testing.T) {
	for _, policy := range []mirror.Policy{mirror.PolicyOnDemand, mirror.PolicyStreamed} {
		up := faultIndex(t)
		f, u := newFaulty(t, up)
		s := newSink(t, mirror.Options{})
		s.remote(t, mirror.Remote{Name: "up", URL: u, Includes: []string{"good"}, Policy: policy})
		res := s.sync(t, mirror.SyncRequest{Remote: "up"})
		if res.Added != 2 || res.Downloaded != 0 || res.Bytes != 0 {
			t.Fatalf("%s: %+v", policy, res)
		}
		for name, row := range s.files(t, "good") {
			if row.Presence != metastore.PresenceRemote || row.MetadataSHA256 == "" || row.Size <= 0 || row.SHA256 != up.SHA256(name) {
				t.Errorf("%s: %s: %+v", policy, name, row)
			}
			if ok, _ := s.svc.Blobs().Exists(context.Background(), row.SHA256); ok {
				t.Errorf("%s: %s: the bytes are stored", policy, name)
			}
			if !bytes.Equal(blob(t, s.svc, row.MetadataSHA256), up.Metadata(name)) {
				t.Errorf("%s: %s: metadata file differs", policy, name)
			}
			if f.fileGets[name] != 0 {
				t.Errorf("%s: %s was downloaded", policy, name)
			}
		}
	}
}

// TestFetchFile: a file recorded on demand is fetched from its remote, verified; a
// corrupted upstream is refused; Keep follows the policy.
func TestFetchFile(t *testing.T) {
	ctx := context.Background()
	up := faultIndex(t)
	f, u := newFaulty(t, up)
	tmp := t.TempDir()
	s := newSink(t, mirror.Options{TempDir: tmp})
	s.remote(t, mirror.Remote{Name: "up", URL: u, Includes: []string{"good", "bad"}, Policy: mirror.PolicyOnDemand})
	s.remote(t, mirror.Remote{Name: "st", URL: u, Policy: mirror.PolicyStreamed})
	s.sync(t, mirror.SyncRequest{Remote: "up"})
	row := s.files(t, "good")["good-1.0-py3-none-any.whl"]
	path, err := s.m.FetchFile(ctx, &row)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	os.Remove(path)
	if sha := sha256hex(data); sha != row.SHA256 {
		t.Errorf("fetched sha256 %s, want %s", sha, row.SHA256)
	}
	bad := s.files(t, "bad")["bad-1.0-py3-none-any.whl"]
	f.mu.Lock()
	f.corrupt["bad-1.0-py3-none-any.whl"] = true
	f.mu.Unlock()
	if _, err := s.m.FetchFile(ctx, &bad); err == nil || !strings.Contains(err.Error(), bad.SHA256) {
		t.Errorf("corrupted fetch: %v", err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if keep, err := s.m.Keep(ctx, "up"); !keep || err != nil {
		t.Errorf("Keep(on_demand) = %v, %v", keep, err)
	}
	if keep, err := s.m.Keep(ctx, "st"); keep || err != nil {
		t.Errorf("Keep(streamed) = %v, %v", keep, err)
	}
}
