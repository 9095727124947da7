package index_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/server"
	"github.com/pydepot/pydepot/internal/simpleindex"
)

// simpleFetcher is a small real index.RemoteFetcher over internal/simpleindex: what the
// mirror's does, without its retries.
type simpleFetcher struct {
	c    *simpleindex.Client
	dir  string
	keep bool
}

func (f *simpleFetcher) FetchFile(ctx context.Context, row *metastore.File) (string, error) {
	tmp, err := os.CreateTemp(f.dir, "fetch-*")
	if err != nil {
		return "", err
	}
	defer tmp.Close()
	err = f.c.Download(ctx, simpleindex.File{Filename: row.Filename, URL: row.UpstreamURL, Hashes: map[string]string{"sha256": row.SHA256}, Size: row.Size}, tmp)
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}

func (f *simpleFetcher) Keep(ctx context.Context, remote string) (bool, error) { return f.keep, nil }

// onDemandEnv: an upstream pydepot serving a real wheel over HTTP (counting downloads),
// and a downstream Service whose repository main records that wheel without its bytes.
type onDemandEnv struct {
	up    *httptest.Server
	hits  atomic.Int64
	down  *index.Service
	file  *index.File
	bytes []byte
	dir   string
	d     *index.Distribution
}

func newOnDemandEnv(t *testing.T, keep bool) *onDemandEnv {
	t.Helper()
	ctx := context.Background()
	e := &onDemandEnv{dir: t.TempDir()}
	upSvc := newService(t)
	fn, data := synthWheel("fetched-pkg", "1.0")
	e.bytes = data
	e.file = upload(t, upSvc, fn, data)
	h := server.New(upSvc, server.Config{}, nil)
	e.up = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/files/") {
			e.hits.Add(1)
			time.Sleep(50 * time.Millisecond) // slow enough that the requests overlap
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(e.up.Close)
	e.down = newService(t)
	c, err := simpleindex.New([]string{e.up.URL + "/simple/"}, &http.Client{Timeout: 30 * time.Second}, simpleindex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.down.SetRemoteFetcher(&simpleFetcher{c: c, dir: e.dir, keep: keep})
	url := e.up.URL + "/files/" + e.file.SHA256 + "/" + fn
	e.addRemote(t, e.file.Filename, e.file.SHA256, url)
	e.d = mainDist(t, e.down)
	if ok, _ := e.down.Blobs().Exists(ctx, e.file.SHA256); ok {
		t.Fatal("the bytes are stored before any request")
	}
	return e
}

// addRemote records filename (digest sha, the real file's size) in main as a sync does
// for an on_demand remote: its metadata file stored, its bytes not.
func (e *onDemandEnv) addRemote(t *testing.T, filename, sha, url string) {
	t.Helper()
	ctx := context.Background()
	p, err := e.down.PrepareRemote(ctx, "main", index.SyncedFile{Filename: filename, SHA256: sha, Size: int64(len(e.bytes)),
		Remote: "upstream", UpstreamURL: url, UpstreamHashes: "sha256=" + sha}, zipMember(t, e.bytes, ".dist-info/METADATA"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.down.Apply(ctx, "main", "", []index.Change{{Kind: index.ChangeAdd, File: p}}); err != nil {
		t.Fatal(err)
	}
}

// getAll opens the file from n goroutines at once and checks every body.
func (e *onDemandEnv) getAll(t *testing.T, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errc := make(chan error, n)
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			of, err := e.down.OpenFile(context.Background(), e.d, e.file.Filename, 0)
			if err != nil {
				errc <- err
				return
			}
			defer of.Body.Close()
			got, err := io.ReadAll(of.Body)
			if err != nil || !bytes.Equal(got, e.bytes) {
				errc <- errors.New("wrong bytes served")
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

func (e *onDemandEnv) presence(t *testing.T) string {
	t.Helper()
	f, err := e.down.File(context.Background(), e.d, e.file.Filename)
	if err != nil {
		t.Fatal(err)
	}
	return f.Presence
}

// TestOnDemand: many concurrent first requests share one download; the bytes are kept,
// the row says stored without a new version, and they are served with the upstream gone.
func TestOnDemand(t *testing.T) {
	e := newOnDemandEnv(t, true)
	latest, _ := e.down.Repository(context.Background(), "main")
	// The metadata file (PEP 658) the sync stored is served without fetching the file.
	of, err := e.down.OpenFile(context.Background(), e.d, e.file.Filename+".metadata", 0)
	if err != nil || e.hits.Load() != 0 {
		t.Fatalf("metadata of a remote file: %v, %d downloads", err, e.hits.Load())
	}
	of.Body.Close()
	e.getAll(t, 24)
	if n := e.hits.Load(); n != 1 {
		t.Errorf("24 concurrent first requests made %d upstream downloads, want 1", n)
	}
	if p := e.presence(t); p != metastore.PresenceStored {
		t.Errorf("presence after the fetch: %s", p)
	}
	if r, _ := e.down.Repository(context.Background(), "main"); r.Latest != latest.Latest {
		t.Errorf("the fetch made a version: %d -> %d", latest.Latest, r.Latest)
	}
	e.up.Close()
	e.getAll(t, 4)
	if n := e.hits.Load(); n != 1 {
		t.Errorf("served from the upstream again: %d downloads", n)
	}
	if left, _ := os.ReadDir(e.dir); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestStreamed: concurrent requests share one download, nothing is ever stored, and a
// later request downloads again.
func TestStreamed(t *testing.T) {
	e := newOnDemandEnv(t, false)
	e.getAll(t, 24)
	if n := e.hits.Load(); n != 1 {
		t.Errorf("24 concurrent first requests made %d upstream downloads, want 1", n)
	}
	if ok, _ := e.down.Blobs().Exists(context.Background(), e.file.SHA256); ok {
		t.Error("a streamed file was stored")
	}
	if p := e.presence(t); p != metastore.PresenceRemote {
		t.Errorf("presence after streaming: %s", p)
	}
	if left, _ := os.ReadDir(e.dir); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	time.Sleep(3 * time.Second) // past the hold of the shared bytes
	e.getAll(t, 1)
	if n := e.hits.Load(); n != 2 {
		t.Errorf("a later request made %d downloads in all, want 2", n)
	}
	time.Sleep(3 * time.Second)
	e.up.Close()
	if _, err := e.down.OpenFile(context.Background(), e.d, e.file.Filename, 0); err == nil {
		t.Error("a streamed file served with the upstream gone")
	}
}

// TestOnDemandBadBytes: an upstream whose bytes do not match the row's digest gets
// nothing stored or served; without a fetcher the file is not found.
func TestOnDemandBadBytes(t *testing.T) {
	ctx := context.Background()
	e := newOnDemandEnv(t, true)
	bad := *e.file
	bad.Filename = "fetched_pkg-1.0-py2-none-any.whl"
	bad.SHA256 = strings.Repeat("ab", 32)
	e.addRemote(t, bad.Filename, bad.SHA256, e.up.URL+"/files/"+e.file.SHA256+"/"+e.file.Filename)
	d := mainDist(t, e.down)
	if _, err := e.down.OpenFile(ctx, d, bad.Filename, 0); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("wrong bytes: %v", err)
	}
	if ok, _ := e.down.Blobs().Exists(ctx, bad.SHA256); ok {
		t.Error("wrong bytes stored")
	}
	e.down.SetRemoteFetcher(nil)
	if _, err := e.down.OpenFile(ctx, d, e.file.Filename, 0); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("no fetcher: %v", err)
	}
}
