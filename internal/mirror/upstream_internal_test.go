package mirror

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
	"github.com/pydepot/pydepot/internal/testdist"
)

// countingStore counts the checkpoints a Mirror asks its store for.
type countingStore struct {
	metastore.Store
	checkpoints atomic.Int64
}

func (c *countingStore) CheckpointLater(ctx context.Context) {
	c.checkpoints.Add(1)
	c.Store.(metastore.Checkpointer).CheckpointLater(ctx)
}

// testWheels writes perProject wheels of each project into a folder and returns their
// paths.
func testWheels(t *testing.T, projects []string, perProject int) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for _, p := range projects {
		for v := range perProject {
			version := fmt.Sprintf("1.%d", v)
			di := p + "-" + version + ".dist-info/"
			b, err := testdist.WheelZip(di, [][2]string{
				{p + "/__init__.py", "\n"},
				{di + "METADATA", "Metadata-Version: 2.1\nName: " + p + "\nVersion: " + version + "\n\n"},
				{di + "WHEEL", "Wheel-Version: 1.0\nGenerator: pydepot-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
			})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, p+"-"+version+"-py3-none-any.whl")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, path)
		}
	}
	return paths
}

// testMirror is a Mirror over a fresh SQLite store and blob folder, its store counted.
func testMirror(t *testing.T, o Options) (*Mirror, *countingStore) {
	t.Helper()
	ctx := context.Background()
	db, blobs := backends.DataURLs(t.TempDir())
	svc, closeFn, err := backends.Open(ctx, db, blobs, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })
	if err := svc.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	o.TempDir, o.RetryBackoff = t.TempDir(), 1
	m := New(svc, o)
	cs := &countingStore{Store: m.store}
	m.store = cs
	return m, cs
}

// TestSyncProjectReusesConnections: the pull-through syncs of one remote's projects
// share one client, so that its kept-alive connections are reused from one page to the
// next. Each SyncProject dialed its own client before, opening new connections for every
// page (and leaving the old ones open until their idle timeout).
func TestSyncProjectReusesConnections(t *testing.T) {
	ctx := context.Background()
	projects := []string{"p0", "p1", "p2", "p3", "p4", "p5"}
	var mu sync.Mutex
	conns := map[string]bool{}
	up := indextest.New(t, testWheels(t, projects, 3), indextest.Options{HTML: true, Wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			conns[r.RemoteAddr] = true
			mu.Unlock()
			h.ServeHTTP(w, r)
		})
	}})
	m, _ := testMirror(t, Options{Concurrency: 2})
	if _, err := m.CreateRemote(ctx, Remote{Name: "up", URL: up.SimpleURL, Policy: PolicyOnDemand}); err != nil {
		t.Fatal(err)
	}
	for _, p := range projects {
		res, err := m.SyncProject(ctx, "main", "up", p)
		if err != nil || res.Added != 3 {
			t.Fatalf("SyncProject(%s): %+v, %v", p, res, err)
		}
	}
	// Each page is read, then its 3 files are asked their size and metadata, 2 at once:
	// 2 connections serve them all (a few more at most, when a connection is back in the
	// pool a moment after the next request asked for one). A client per page opened one
	// or more for each of the 6 pages.
	if n, reqs := len(conns), up.Requests.Load(); n > 5 {
		t.Errorf("%d requests over %d connections, want at most 5", reqs, n)
	}
}

// TestCheckpointAfterLargeSync: a sync has the store fold its log in at its end when it
// changed checkpointAfter files or more, and a small one (a pull-through page's) does
// not: a checkpoint after each page cost three fsyncs and held the writer.
func TestCheckpointAfterLargeSync(t *testing.T) {
	ctx := context.Background()
	projects := make([]string, checkpointAfter/10)
	for i := range projects {
		projects[i] = fmt.Sprintf("bulk%03d", i)
	}
	up := indextest.New(t, testWheels(t, projects, 10), indextest.Options{})
	m, cs := testMirror(t, Options{})
	if _, err := m.CreateRemote(ctx, Remote{Name: "up", URL: up.SimpleURL, Policy: PolicyOnDemand}); err != nil {
		t.Fatal(err)
	}
	res, err := m.SyncProject(ctx, "main", "up", projects[0])
	if err != nil || res.Version == 0 || res.Added != 10 {
		t.Fatalf("SyncProject: %+v, %v", res, err)
	}
	if n := cs.checkpoints.Load(); n != 0 {
		t.Errorf("a sync of %d files asked for %d checkpoints, want none", res.Added, n)
	}
	res, err = m.Sync(ctx, SyncRequest{Repository: "main", Remote: "up"}, nil)
	if err != nil || res.Added != checkpointAfter-10 {
		t.Fatalf("Sync: %+v, %v", res, err)
	}
	if n := cs.checkpoints.Load(); n != 0 {
		t.Errorf("a sync of %d files (under %d) asked for %d checkpoints, want none", res.Added, checkpointAfter, n)
	}
	// The same again into another repository: all of it is new there.
	if _, err := m.svc.CreateRepository(ctx, "other", ""); err != nil {
		t.Fatal(err)
	}
	res, err = m.Sync(ctx, SyncRequest{Repository: "other", Remote: "up"}, nil)
	if err != nil || res.Added != checkpointAfter {
		t.Fatalf("Sync: %+v, %v", res, err)
	}
	if n := cs.checkpoints.Load(); n != 1 {
		t.Errorf("a sync of %d files asked for %d checkpoints, want 1", res.Added, n)
	}
}
