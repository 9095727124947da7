package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/testdist"
)

// TestSyncOnDemandAndStreamed: two servers mirror tree-leaf from one nginx upstream (its
// own, so the test can stop it), one with --policy on_demand and one with --policy
// streamed. After the sync both list the four files and neither has stored any byte of
// them. pip then installs tree-leaf through each: on_demand has stored the wheel pip took
// (and nothing else), streamed still nothing. Eight concurrent first requests for another
// file share one upstream download. With the upstream stopped, on_demand still serves what
// it stored, and streamed serves nothing, stores nothing.
func TestSyncOnDemandAndStreamed(t *testing.T) {
	t.Parallel()
	needTools(t)
	c := buildMirrorCorpus(t)
	u := startOwnNginx(t, nginxOptions{AccessLog: true})
	leaf := c.Project("tree-leaf")
	var taken, other mirrorDist // the wheel pip takes (2.0), and 1.0's sdist
	for _, d := range leaf {
		switch {
		case d.Version == "2.0" && strings.HasSuffix(d.Path, ".whl"):
			taken = d
		case d.Version == "1.0" && strings.HasSuffix(d.Path, ".tar.gz"):
			other = d
		}
	}
	stored := func(s *server) []string {
		var out []string
		for _, d := range leaf {
			if s.blobStored(t, fileSHA(t, d.Path)) {
				out = append(out, d.Filename())
			}
		}
		return out
	}

	type mirror struct {
		s      *server
		simple string
	}
	var onDemand, streamed mirror
	for _, m := range []struct {
		into   *mirror
		policy string
	}{{&onDemand, "on_demand"}, {&streamed, "streamed"}} {
		s := startServer(t)
		*m.into = mirror{s, s.syncFrom(t, "leaf", u, "--include", "tree-leaf", "--policy", m.policy)}
	}
	for _, m := range []mirror{onDemand, streamed} {
		page := projectPage(t, m.simple, "tree-leaf")
		if page == nil || len(page.Files) != len(leaf) {
			t.Fatalf("%s: tree-leaf's page after the sync: %v, want its %d files", m.simple, page, len(leaf))
		}
		if got := stored(m.s); len(got) != 0 {
			t.Errorf("%s: stored %v before any request", m.simple, got)
		}
	}

	var streamedAt time.Time // when streamed last fetched the wheel
	for _, m := range []mirror{onDemand, streamed} {
		env, _ := clientEnv(t)
		py := newVenv(t, env)
		run(t, "", env, testdist.Tool(t, "pip"), "--python", py, "install", "--index-url", m.simple, "tree-leaf")
		wantInstalled(t, py, "tree-leaf")
		streamedAt = time.Now()
	}
	if got := stored(onDemand.s); len(got) != 1 || got[0] != taken.Filename() {
		t.Errorf("on_demand stored %v after pip installed; want only %s", got, taken.Filename())
	}
	if got := stored(streamed.s); len(got) != 0 {
		t.Errorf("streamed stored %v", got)
	}

	// Concurrent first requests of 1.0's sdist: one upstream download, every answer whole.
	page := projectPage(t, onDemand.simple, "tree-leaf")
	entry := page.file(other.Filename())
	sum := fileSHA(t, other.Path)
	// (The syncs may have read it already, for its metadata: nginx serves no PEP 658 file.)
	before := upstreamGets(t, u, other.Filename())
	var fetches sync.WaitGroup
	for range 8 {
		fetches.Add(1)
		go func() {
			defer fetches.Done()
			status, body := fetch(t, onDemand.simple+"tree-leaf/", entry, "")
			if got := sha256.Sum256(body); status != http.StatusOK || hex.EncodeToString(got[:]) != sum {
				t.Errorf("concurrent GET of %s: %d, other bytes", other.Filename(), status)
			}
		}()
	}
	fetches.Wait()
	if n := upstreamGets(t, u, other.Filename()) - before; n != 1 {
		t.Errorf("eight concurrent first requests made %d upstream downloads of %s, want 1", n, other.Filename())
	}

	u.stop()
	env, _ := clientEnv(t)
	dest := t.TempDir()
	run(t, "", env, testdist.Tool(t, "pip"), "download", "--no-deps", "--index-url", onDemand.simple, "-d", dest, "tree-leaf==2.0")
	if got := filepath.Join(dest, taken.Filename()); fileSHA(t, got) != fileSHA(t, taken.Path) {
		t.Errorf("on_demand with the upstream stopped served other bytes for %s", taken.Filename())
	}
	// A streamed file's bytes stay open for index.StreamHold after its fetch, for the
	// requests that arrive just after; past that, nothing of them is left to serve.
	time.Sleep(time.Until(streamedAt.Add(index.StreamHold + time.Second)))
	if out, err := runErr("", env, testdist.Tool(t, "pip"), "download", "--no-deps", "--index-url", streamed.simple, "-d", t.TempDir(), "tree-leaf==2.0"); err == nil {
		t.Errorf("streamed served %s with its upstream stopped:\n%s", taken.Filename(), out)
	}
	spage := projectPage(t, streamed.simple, "tree-leaf")
	if status, _ := fetch(t, streamed.simple+"tree-leaf/", spage.file(taken.Filename()), ""); status == http.StatusOK {
		t.Errorf("streamed answered 200 for %s with its upstream stopped", taken.Filename())
	}
	if got := stored(streamed.s); len(got) != 0 {
		t.Errorf("streamed stored %v", got)
	}
}

// upstreamGets counts the GETs of filename in u's access log.
func upstreamGets(t *testing.T, u *upstream, filename string) int {
	t.Helper()
	data, err := os.ReadFile(u.AccessLog)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, "\"GET ") && strings.Contains(line, "/"+filename) {
			n++
		}
	}
	return n
}
