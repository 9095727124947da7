package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/simpleindex/faultyindex"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

// TestSyncThroughFaults: the binary syncs the mirror corpus from the fault-injecting
// upstream (internal/simpleindex/faultyindex). 503s and a 429 with Retry-After on pages,
// 500s, a truncated body, a short body, a trickle and a connection reset in the middle of
// files are each retried into success; one wheel is corrupt on every download (a wrong
// hash). The sync fails naming that file and applies nothing; with --skip-bad-files it
// applies the rest and reports the file; every other file is served with the corpus's bytes, and no byte of the corrupt one is
// ever stored or served.
func TestSyncThroughFaults(t *testing.T) {
	t.Parallel()
	c := buildMirrorCorpus(t)
	byName := map[string]mirrorDist{}
	pick := func(project, version, suffix string) string {
		for _, d := range c.Project(project) {
			if d.Version == version && strings.HasSuffix(d.Filename(), suffix) {
				byName[d.Filename()] = d
				return d.Filename()
			}
		}
		t.Fatalf("no %s %s %s in the corpus", project, version, suffix)
		return ""
	}
	srv := faultyindex.New(t, c.Paths(), indextest.Options{})
	retried := map[string]faultyindex.Fault{
		"/simple/tree-top/":                             {Kind: faultyindex.Status, Code: 503, Times: 2},
		"/simple/tree-win/":                             {Kind: faultyindex.Status, Code: 429, RetryAfter: "1", Times: 1},
		"/files/" + pick("tree-mid", "1.0", ".whl"):     {Kind: faultyindex.Status, Code: 500, Times: 2},
		"/files/" + pick("tree-leaf", "1.0", ".whl"):    {Kind: faultyindex.Truncate, Times: 1},
		"/files/" + pick("tree-leaf", "1.0", ".tar.gz"): {Kind: faultyindex.Short, Times: 1},
		"/files/" + pick("tree-leaf", "2.0", ".whl"):    {Kind: faultyindex.Reset, Times: 1},
		"/files/" + pick("tree-top", "1.0", ".tar.gz"):  {Kind: faultyindex.Slow, Times: 1, Delay: 2 * time.Millisecond, Chunk: 128},
	}
	for path, f := range retried {
		srv.Inject(path, f)
	}
	bad := pick("tree-outside", "1.0", ".whl")
	srv.InjectFile(bad, faultyindex.Fault{Kind: faultyindex.Corrupt}) // every time

	s := startServer(t)
	s.cli(t, "remote", "create", "faulty", "--url", srv.SimpleURL)
	simple := s.mirrorRepo(t, "faulty")
	out, err := runErr("", s.adminEnv(), pydepotBin(t), "sync", "faulty", "--remote", "faulty")
	if err == nil || !strings.Contains(out, bad) {
		t.Fatalf("sync from an upstream with a corrupt %s: err %v, want a failure naming it:\n%s", bad, err, out)
	}
	if v := repoLatest(t, s, "faulty"); v != 0 {
		t.Errorf("the failed sync applied version %d; a failed sync applies nothing", v)
	}
	for path, f := range retried {
		if got := srv.Faulted(path); got != f.Times {
			t.Errorf("%s: %d requests faulted, want %d (the fault was not exercised)", path, got, f.Times)
		}
	}
	// Every blob stored must be a good corpus file or a metadata file (a wheel's METADATA,
	// an sdist's PKG-INFO): any other is bytes that did not verify.
	known := map[string]bool{}
	for _, d := range c.Dists {
		if d.Filename() != bad {
			known[fileSHA(t, d.Path)] = true
		}
		if strings.HasSuffix(d.Filename(), ".whl") {
			sum := sha256.Sum256(wheelMetadata(t, d.Path))
			known[hex.EncodeToString(sum[:])] = true
		}
	}
	wantNoBad := func() {
		t.Helper()
		for _, sha := range s.blobs(t) {
			if !known[sha] && !s.blobIsMetadata(t, sha) {
				t.Errorf("blob %s stored: not the bytes of any good corpus file (the corrupt %s?)", sha, bad)
			}
		}
		if page := projectPage(t, simple, "tree-outside"); page != nil {
			if f := page.file(bad); f != nil {
				status, _ := fetch(t, simple+"tree-outside/", f, "")
				t.Errorf("%s is listed (GET answers %d)", bad, status)
			}
		}
	}
	wantNoBad()

	// With --skip-bad-files the rest is applied as a new version and the bad file is
	// reported. (The command still exits 1 for the failed file, which the sync topic does
	// not say either way; the version made is what the test holds it to.)
	out, err = runErr("", s.adminEnv(), pydepotBin(t), "sync", "faulty", "--remote", "faulty", "--skip-bad-files")
	if err != nil || repoLatest(t, s, "faulty") == 0 || !strings.Contains(out, bad) {
		t.Errorf("sync --skip-bad-files (%v) failed, made no version or did not report %s:\n%s", err, bad, out)
	}
	wantNoBad()
	for _, d := range c.Dists {
		if d.Filename() == bad {
			continue
		}
		page := projectPage(t, simple, d.Project)
		if page == nil {
			t.Errorf("%s: no page after the sync", d.Project)
			continue
		}
		wantMirrored(t, s, simple, page, d, true)
	}
}
