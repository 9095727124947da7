package mirror_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/server"
	"github.com/pydepot/pydepot/internal/testserver"
)

// upstreamPydepot runs a real pydepot holding ds (uploaded in order) and counts the
// requests it answers.
func upstreamPydepot(t *testing.T, ds ...dist) (*testserver.Server, *atomic.Int64) {
	paths := writeAll(t, ds...)
	var n atomic.Int64
	srv := testserver.Start(t, testserver.Options{
		Setup:  testserver.UploadFiles("main", paths...),
		Config: server.Config{StateTTL: -1}, // the tests change it through the Service
		Wrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1); h.ServeHTTP(w, r) })
		},
	})
	return srv, &n
}

func rowsOf(t *testing.T, svc *index.Service, project string) map[string]metastore.File {
	t.Helper()
	ctx := context.Background()
	r, err := svc.Store().Repository(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := svc.Store().ProjectFiles(ctx, r.ID, r.Latest, project)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]metastore.File{}
	for _, f := range fs {
		out[f.Filename] = f
	}
	return out
}

// TestSyncPydepotKeepsEveryField: upload times, yanks with reasons, requires-python,
// metadata files, sizes, summaries and names come over from another pydepot as they
// are there; a later yank and a removal upstream follow (the removal with --mirror only).
func TestSyncPydepotKeepsEveryField(t *testing.T) {
	ctx := context.Background()
	up, _ := upstreamPydepot(t,
		dist{name: "Acme_Tools", version: "1.0", requiresPython: ">=3.8"},
		dist{name: "Acme_Tools", version: "1.0", tag: "sdist", requiresPython: ">=3.8"},
		dist{name: "Acme_Tools", version: "2.0"},
	)
	reason := "broken build"
	if _, err := up.Service.YankRelease(ctx, "main", "acme-tools", "1.0", &reason); err != nil {
		t.Fatal(err)
	}
	s := newSink(t, mirror.Options{})
	s.remote(t, mirror.Remote{Name: "up", URL: up.URL + "/simple/", Token: up.Admin})
	res := s.sync(t, mirror.SyncRequest{Remote: "up"})
	if res.Added != 3 || res.Version != 1 {
		t.Fatalf("first sync: %+v", res)
	}
	want, got := rowsOf(t, up.Service, "acme-tools"), s.files(t, "acme-tools")
	if len(got) != len(want) {
		t.Fatalf("synced %v, upstream has %v", keys(got), keys(want))
	}
	for name, w := range want {
		g := got[name]
		if g.ProjectName != w.ProjectName || g.Version != w.Version || g.Kind != w.Kind || g.SHA256 != w.SHA256 ||
			g.Size != w.Size || g.MetadataSHA256 != w.MetadataSHA256 || g.RequiresPython != w.RequiresPython ||
			g.Summary != w.Summary || !g.UploadTime.Equal(w.UploadTime) || g.Yanked != w.Yanked || g.YankReason != w.YankReason {
			t.Errorf("%s:\n synced   %+v\n upstream %+v", name, g, w)
		}
		if g.Origin != metastore.OriginSync || g.OriginRemote != "up" || g.UpstreamURL == "" || g.UpstreamHashes != "sha256="+w.SHA256 {
			t.Errorf("%s: origin fields %q %q %q %q", name, g.Origin, g.OriginRemote, g.UpstreamURL, g.UpstreamHashes)
		}
		if w.MetadataSHA256 != "" && !bytes.Equal(metadataFile(t, s.svc, name), blob(t, up.Service, w.MetadataSHA256)) {
			t.Errorf("%s: metadata files differ", name)
		}
	}

	// A yank and a removal upstream.
	if _, err := up.Service.YankRelease(ctx, "main", "acme-tools", "2.0", &reason); err != nil {
		t.Fatal(err)
	}
	if err := up.Service.Remove(ctx, "main", "", "", "Acme_Tools-1.0.tar.gz"); err != nil {
		t.Fatal(err)
	}
	res = s.sync(t, mirror.SyncRequest{Remote: "up"})
	if res.Changed != 1 || res.Removed != 0 || !s.files(t, "acme-tools")["Acme_Tools-2.0-py3-none-any.whl"].Yanked {
		t.Fatalf("additive re-sync: %+v", res)
	}
	if _, ok := s.files(t, "acme-tools")["Acme_Tools-1.0.tar.gz"]; !ok {
		t.Error("an additive sync removed a file")
	}
	res = s.sync(t, mirror.SyncRequest{Remote: "up", Mirror: true})
	if res.Removed != 1 {
		t.Fatalf("--mirror re-sync: %+v", res)
	}
	if _, ok := s.files(t, "acme-tools")["Acme_Tools-1.0.tar.gz"]; ok {
		t.Error("--mirror kept a file the upstream removed")
	}
}

func blob(t *testing.T, svc *index.Service, sha string) []byte {
	t.Helper()
	rc, _, err := svc.Blobs().Open(context.Background(), sha)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
}

// metadataFile is the core metadata file of filename as the main distribution of svc
// serves it (a synced wheel's is taken from the wheel on the first request).
func metadataFile(t *testing.T, svc *index.Service, filename string) []byte {
	t.Helper()
	ctx := context.Background()
	d, err := svc.Distribution(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	of, err := svc.OpenFile(ctx, d, filename+".metadata", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer of.Body.Close()
	b, _ := io.ReadAll(of.Body)
	if of.Size != int64(len(b)) || of.SHA256 != sha256hex(b) {
		t.Fatalf("%s.metadata: %d bytes served, size %d, sha256 %s, the bytes' %s", filename, len(b), of.Size, of.SHA256, sha256hex(b))
	}
	return b
}

// TestSyncFullIndex: without includes the whole project list is read (in batches), and
// a re-sync of an unchanged upstream asks for the list alone: its serials show nothing
// changed.
func TestSyncFullIndex(t *testing.T) {
	up, requests := upstreamPydepot(t,
		dist{name: "p1", version: "1.0"}, dist{name: "p2", version: "1.0"}, dist{name: "p3", version: "1.0"},
		dist{name: "p4", version: "1.0"}, dist{name: "p5", version: "1.0", tag: "sdist"},
	)
	s := newSink(t, mirror.Options{Batch: 2})
	s.remote(t, mirror.Remote{Name: "up", URL: up.URL + "/simple/"})
	res := s.sync(t, mirror.SyncRequest{Remote: "up"})
	if res.Added != 5 || res.Projects != 5 || res.Version != 1 {
		t.Fatalf("first sync: %+v", res)
	}
	first := requests.Load()
	requests.Store(0)
	res = s.sync(t, mirror.SyncRequest{Remote: "up"})
	if res.Version != 0 || res.NotModified != 5 || res.Downloaded != 0 {
		t.Fatalf("re-sync: %+v", res)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("re-sync of an unchanged upstream made %d requests (first sync %d), want 1 (the list)", n, first)
	}
	// A project gone upstream goes with --mirror.
	if err := up.Service.Remove(context.Background(), "main", "p3", "1.0", ""); err != nil {
		t.Fatal(err)
	}
	res = s.sync(t, mirror.SyncRequest{Remote: "up", Mirror: true})
	if res.Removed != 1 || len(s.files(t, "p3")) != 0 {
		t.Fatalf("--mirror after p3 left: %+v", res)
	}
}
