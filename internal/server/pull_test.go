package server

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/simpleindex"
)

// pullRefresher is a small real index.ProjectRefresher over internal/simpleindex: it
// reads the upstream's page and records each file without its bytes (on_demand), as the
// mirror's SyncProject does with its filters and retries.
type pullRefresher struct {
	svc   *index.Service
	url   string
	calls sync.Map // project -> *atomic.Int64
}

func (p *pullRefresher) count(project string) int64 {
	v, _ := p.calls.LoadOrStore(project, new(atomic.Int64))
	return v.(*atomic.Int64).Load()
}

func (p *pullRefresher) RefreshProject(ctx context.Context, repo, remote, project string) error {
	v, _ := p.calls.LoadOrStore(project, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	time.Sleep(100 * time.Millisecond) // slow enough that first requests overlap
	// A client per refresh: a Client keeps every page it read for its lifetime.
	c, err := simpleindex.New([]string{p.url}, &http.Client{Timeout: 10 * time.Second}, simpleindex.Options{})
	if err != nil {
		return err
	}
	page, err := c.Project(ctx, project)
	if errors.Is(err, errs.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// Rows without bytes, as a sync of an on_demand remote records them (the mirror does
	// this with its filters and retries).
	var changes []index.Change
	for _, f := range page.Files {
		meta, err := c.Metadata(ctx, f)
		if err != nil {
			return err
		}
		prep, err := p.svc.PrepareRemote(ctx, repo, index.SyncedFile{Filename: f.Filename, SHA256: f.SHA256(), Size: f.Size,
			UploadTime: f.UploadTime, Remote: remote, UpstreamURL: f.URL, UpstreamHashes: "sha256=" + f.SHA256()}, meta)
		if errors.Is(err, index.ErrFilenameReused) {
			continue
		}
		if err != nil {
			return err
		}
		changes = append(changes, index.Change{Kind: index.ChangeAdd, File: prep})
	}
	_, err = p.svc.Apply(ctx, repo, "pull "+project, changes)
	return err
}

// simpleFetcher fetches a remote row's bytes with simpleindex (on_demand: kept).
type simpleFetcher struct {
	c   *simpleindex.Client
	dir string
}

func (f *simpleFetcher) FetchFile(ctx context.Context, row *metastore.File) (string, error) {
	tmp, err := os.CreateTemp(f.dir, "fetch-*")
	if err != nil {
		return "", err
	}
	defer tmp.Close()
	if err := f.c.Download(ctx, simpleindex.File{Filename: row.Filename, URL: row.UpstreamURL, Hashes: map[string]string{"sha256": row.SHA256}, Size: row.Size}, tmp); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}

func (f *simpleFetcher) Keep(ctx context.Context, remote string) (bool, error) { return true, nil }

// TestPullThrough: a pull-through distribution behind the hosted repository fetches a
// project's page on its first request (concurrent first requests share one refresh),
// serves its files on demand, refreshes after the TTL, never asks the upstream for a name
// the hosted repository knows, and with the upstream down serves what it knows (502 only
// for what it does not).
func TestPullThrough(t *testing.T) {
	ctx := context.Background()
	// The upstream: another pydepot.
	upSvc, closeUp, err := backends.OpenDir(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeUp() })
	up := newEnvOn(t, Config{}, upSvc, t.TempDir(), t.TempDir())
	up.mustUpload(wheelName("pulled-pkg", "1.0"), makeWheel(t, "pulled-pkg", "1.0", wheelOpts{}))
	up.mustUpload(wheelName("acme-utils", "99.0"), makeWheel(t, "acme-utils", "99.0", wheelOpts{}))

	e := newEnv(t, Config{})
	if _, err := e.svc.CreateRepository(ctx, "hosted", ""); err != nil {
		t.Fatal(err)
	}
	e.uploadTo("hosted", wheelName("acme-utils", "1.0"), makeWheel(t, "acme-utils", "1.0", wheelOpts{}))
	c, err := simpleindex.New([]string{up.srv.URL + "/simple/"}, &http.Client{Timeout: 10 * time.Second}, simpleindex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ref := &pullRefresher{svc: e.svc, url: up.srv.URL + "/simple/"}
	e.svc.SetProjectRefresher(ref)
	e.svc.SetRemoteFetcher(&simpleFetcher{c: c, dir: t.TempDir()})
	d, err := e.svc.CreateDistribution(ctx, index.Distribution{BasePath: "proxy", Public: true, Sources: []index.Source{
		{Repository: "hosted"}, {Repository: "upstream", PullThrough: "upstream", TTL: time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Repository(ctx, "upstream"); err != nil || len(d.Sources) != 2 {
		t.Fatalf("the pull-through repository was not made: %v", err)
	}

	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, body, _ := e.get("/proxy/simple/pulled-pkg/")
			if status != 200 || !strings.Contains(body, "pulled_pkg-1.0-") {
				t.Errorf("first request: %d %s", status, body)
			}
		}()
	}
	wg.Wait()
	if n := ref.count("pulled-pkg"); n != 1 {
		t.Errorf("12 concurrent first requests refreshed %d times, want 1", n)
	}
	status, body, _ := e.get("/proxy/pypi/pulled-pkg/json")
	if status != 200 || !strings.Contains(body, "pulled_pkg-1.0-") || ref.count("pulled-pkg") != 1 {
		t.Errorf("within the TTL: %d, %d refreshes", status, ref.count("pulled-pkg"))
	}
	// The file, fetched on demand.
	f, err := e.svc.File(ctx, d, wheelName("pulled-pkg", "1.0"))
	if err != nil {
		t.Fatal(err)
	}
	if status, _, _ := e.get("/proxy/files/" + f.SHA256 + "/" + f.Filename); status != 200 {
		t.Errorf("pulled file: %d", status)
	}
	// The guard: the internal name is served from hosted and never asked upstream.
	status, body, _ = e.get("/proxy/simple/acme-utils/")
	if status != 200 || strings.Contains(body, "99.0") || ref.count("acme-utils") != 0 {
		t.Errorf("internal name: %d, lists 99.0: %v, asked upstream %d times", status, strings.Contains(body, "99.0"), ref.count("acme-utils"))
	}
	if status, _, _ := e.get("/proxy/simple/not-anywhere/"); status != 404 {
		t.Errorf("a project nobody has: %d", status)
	}
	// After the TTL the page is refreshed.
	up.mustUpload(wheelName("pulled-pkg", "2.0"), makeWheel(t, "pulled-pkg", "2.0", wheelOpts{}))
	time.Sleep(1100 * time.Millisecond)
	if _, body, _ := e.get("/proxy/simple/pulled-pkg/"); !strings.Contains(body, "pulled_pkg-2.0-") || ref.count("pulled-pkg") != 2 {
		t.Errorf("after the TTL: %d refreshes, page %s", ref.count("pulled-pkg"), body)
	}

	// A pull-through first source takes no uploads; a hosted first source does.
	proxyOnly, err := e.svc.CreateDistribution(ctx, index.Distribution{BasePath: "cache", Public: true, Sources: []index.Source{{Repository: "upstream", PullThrough: "upstream"}}})
	if err != nil || proxyOnly.Repository != "upstream" {
		t.Fatalf("pull-through alone: %+v, %v", proxyOnly, err)
	}
	wheel := makeWheel(t, "mine", "1.0", wheelOpts{})
	if code, body := e.upload("/cache/legacy/", adminSecret, form{filename: wheelName("mine", "1.0"), content: wheel}); code != 400 || !strings.Contains(body, "pulls through") {
		t.Errorf("upload through a pull-through: %d %s", code, body)
	}
	if code, body := e.upload("/proxy/legacy/", adminSecret, form{filename: wheelName("mine", "1.0"), content: wheel}); code != 200 {
		t.Errorf("upload through the merged view to hosted: %d %s", code, body)
	}

	// The upstream goes away: what is known is still served, the rest is a clear 502.
	up.srv.Close()
	time.Sleep(1100 * time.Millisecond)
	if status, body, _ := e.get("/proxy/simple/pulled-pkg/"); status != 200 || !strings.Contains(body, "pulled_pkg-2.0-") {
		t.Errorf("upstream down, known project: %d %s", status, body)
	}
	if status, _, _ := e.get("/proxy/files/" + f.SHA256 + "/" + f.Filename); status != 200 {
		t.Errorf("upstream down, stored file: %d", status)
	}
	// A shadowed name whose hosted files are known is served though the upstream fails.
	if _, err := e.svc.CreateDistribution(ctx, index.Distribution{BasePath: "shadowed", Public: true, AllowShadow: []string{"acme-utils"},
		Sources: []index.Source{{Repository: "hosted"}, {Repository: "upstream", PullThrough: "upstream", TTL: time.Second}}}); err != nil {
		t.Fatal(err)
	}
	if status, body, _ := e.get("/shadowed/simple/acme-utils/"); status != 200 || !strings.Contains(body, "acme_utils-1.0-") {
		t.Errorf("upstream down, shadowed name with hosted files: %d %s", status, body)
	}
	status, body, _ = e.get("/proxy/simple/never-seen/")
	if status != 502 || !strings.Contains(body, "remote upstream could not be read") || strings.Contains(body, "127.0.0.1") {
		t.Errorf("upstream down, unknown project: %d %s", status, body)
	}
}
