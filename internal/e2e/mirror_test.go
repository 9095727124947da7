package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// TestSyncFromEachUpstream: `pydepot remote create` and `pydepot sync` mirror the corpus
// from each upstream kind (nginx's static tree, devpi, pypiserver, another pydepot) into a
// repository of its own on one server. The mirror serves every project and file with the
// upstream's bytes (stored: the default policy is immediate), requires-python where the
// upstream gives it, and a PEP 658 metadata file for every wheel, equal to the wheel's
// METADATA, even from upstreams that serve none. From another pydepot every field of every
// file survives: upload times, yanks with their reasons, requires-python, sizes, metadata
// hashes. Syncing the unchanged upstream again makes no new repository version.
func TestSyncFromEachUpstream(t *testing.T) {
	t.Parallel()
	c := buildMirrorCorpus(t)
	s := startServer(t)
	for _, kind := range upstreamKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			u := sharedUpstream(t, kind)
			simple := s.syncFrom(t, "from-"+kind, u)
			want := c.Projects()
			sort.Strings(want)
			if got := projectNames(t, simple); !reflect.DeepEqual(got, want) {
				t.Errorf("mirror of %s lists %v, want %v", kind, got, want)
			}
			for _, p := range c.Projects() {
				page := projectPage(t, simple, p)
				if page == nil {
					t.Errorf("mirror of %s: no page for %s", kind, p)
					continue
				}
				if len(page.Files) != len(c.Project(p)) {
					t.Errorf("mirror of %s: %s has %d files, want %d", kind, p, len(page.Files), len(c.Project(p)))
				}
				for _, d := range c.Project(p) {
					wantMirrored(t, s, simple, page, d, kind != "pypiserver")
				}
				if kind == "pydepot" {
					samePages(t, p, projectPage(t, u.Simple, p), page)
				}
			}
			// A second sync of the unchanged upstream makes no repository version.
			before := repoLatest(t, s, "from-"+kind)
			s.cli(t, "sync", "from-"+kind, "--remote", "from-"+kind)
			if after := repoLatest(t, s, "from-"+kind); after != before {
				t.Errorf("re-syncing the unchanged %s made version %d (after %d)", kind, after, before)
			}
			if kind == "pydepot" {
				page := projectPage(t, simple, upstreamYank.Project)
				for _, d := range c.Project(upstreamYank.Project) {
					if f := page.file(d.Filename()); f != nil && d.Version == upstreamYank.Version && f["yanked"] != upstreamYank.Reason {
						t.Errorf("%s: yanked %v, want the upstream's reason %q", d.Filename(), f["yanked"], upstreamYank.Reason)
					}
				}
			}
		})
	}
}

// wantMirrored fails unless page (read from the mirror at simple) serves d with its bytes,
// stored in s's blob store, with d's requires-python when withRequiresPython, and, for a
// wheel, a metadata file equal to the wheel's METADATA.
func wantMirrored(t *testing.T, s *server, simple string, page *jsonPage, d mirrorDist, withRequiresPython bool) {
	t.Helper()
	f := page.file(d.Filename())
	sha := fileSHA(t, d.Path)
	if f == nil || entrySHA(f) != sha {
		t.Errorf("%s: not listed with its sha256 %s: %v", d.Filename(), sha, f)
		return
	}
	if withRequiresPython && f["requires-python"] != d.RequiresPython {
		t.Errorf("%s: requires-python %v, want %q", d.Filename(), f["requires-python"], d.RequiresPython)
	}
	pageURL := simple + page.Name + "/"
	status, body := fetch(t, pageURL, f, "")
	if sum := sha256.Sum256(body); status != http.StatusOK || hex.EncodeToString(sum[:]) != sha {
		t.Errorf("%s: GET answered %d with other bytes", d.Filename(), status)
	}
	if !s.blobStored(t, sha) {
		t.Errorf("%s: not in the blob store", d.Filename())
	}
	if !strings.HasSuffix(d.Filename(), ".whl") {
		return
	}
	if _, ok := f["core-metadata"].(map[string]any); !ok {
		t.Errorf("%s: no core-metadata on the page: %v", d.Filename(), f)
	}
	status, meta := fetch(t, pageURL, f, ".metadata")
	if want := wheelMetadata(t, d.Path); status != http.StatusOK || !bytes.Equal(meta, want) {
		t.Errorf("%s.metadata: %d, %d bytes; want the wheel's METADATA (%d bytes)", d.Filename(), status, len(meta), len(want))
	}
}

// TestSyncWithDependenciesInstalls: a mirror of the nginx upstream made with --include
// tree-top --with-dependencies for Python 3.11 on manylinux x86_64 holds tree-top's closure
// (tree-mid, and tree-leaf through both paths) and nothing else: not tree-win
// (sys_platform == "win32"), not tree-py2 (python_version < "3"), not the projects nothing
// needs. pip and uv each install tree-top from it alone, with its whole tree.
func TestSyncWithDependenciesInstalls(t *testing.T) {
	t.Parallel()
	needTools(t)
	s := startServer(t)
	u := sharedUpstream(t, "nginx")
	simple := s.syncFrom(t, "closure", u, "--include", "tree-top", "--with-dependencies",
		"--python", "3.11", "--platform", "manylinux_2_17_x86_64")
	want := slices.Clone(treeClosure)
	sort.Strings(want)
	if got := projectNames(t, simple); !reflect.DeepEqual(got, want) {
		t.Errorf("the mirror lists %v, want tree-top's closure %v", got, want)
	}
	for _, p := range treeOutside {
		if projectPage(t, simple, p) != nil {
			t.Errorf("%s is outside tree-top's closure for 3.11 on Linux, yet mirrored", p)
		}
	}
	t.Run("pip", func(t *testing.T) {
		t.Parallel()
		env, _ := clientEnv(t)
		py := newVenv(t, env)
		run(t, "", env, testdist.Tool(t, "pip"), "--python", py, "install", "--index-url", simple, "tree-top")
		wantInstalled(t, py, treeClosure...)
	})
	t.Run("uv", func(t *testing.T) {
		t.Parallel()
		env, _ := clientEnv(t)
		py := newVenv(t, env)
		run(t, "", env, testdist.Tool(t, "uv"), "pip", "install", "--python", py, "--index-url", simple, "tree-top")
		wantInstalled(t, py, treeClosure...)
	})
}

// TestGuardInternalName: the internal acme-utils 1.0 is hosted in the repository internal,
// the mirror of the nginx upstream holds the public acme-utils 99.0 (and tree-leaf), and
// the distribution merged serves `--source internal --source mirror`. The internal name
// hides the public project entirely: pip and uv get 1.0, the page lists only 1.0's files;
// projects only the mirror has are still served.
func TestGuardInternalName(t *testing.T) {
	t.Parallel()
	needTools(t)
	c := buildMirrorCorpus(t)
	s := startServer(t)
	s.cli(t, "repo", "create", "internal")
	run(t, "", s.adminEnv(), pydepotBin(t), append([]string{"upload", "--repository", "internal"}, c.AcmeInternal...)...)
	u := sharedUpstream(t, "nginx")
	mirror := s.syncFrom(t, "mirror", u, "--include", "acme-utils", "--include", "tree-leaf")
	if p := projectPage(t, mirror, "acme-utils"); p == nil || len(p.Files) != 2 {
		t.Fatalf("the mirror does not hold the public acme-utils 99.0: %v", p)
	}
	s.cli(t, "distribution", "create", "merged", "--source", "internal", "--source", "mirror")
	merged := s.URL + "/merged/simple/"

	page := projectPage(t, merged, "acme-utils")
	if page == nil {
		t.Fatal("merged serves no acme-utils")
	}
	var got []string
	for _, f := range page.Files {
		got = append(got, f["filename"].(string))
	}
	want := []string{}
	for _, p := range c.AcmeInternal {
		want = append(want, filepath.Base(p))
	}
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merged lists %v for acme-utils, want only the internal %v", got, want)
	}
	if projectPage(t, merged, "tree-leaf") == nil {
		t.Error("merged hides tree-leaf, which only the mirror holds")
	}
	check := func(t *testing.T, py string) {
		out := run(t, "", nil, py, "-c", "import importlib.metadata as m, acme_utils; print(m.version('acme-utils'), acme_utils.VERSION)")
		if strings.TrimSpace(out) != "1.0 1.0" {
			t.Errorf("installed acme-utils %q, want the internal 1.0", out)
		}
	}
	t.Run("pip", func(t *testing.T) {
		t.Parallel()
		env, _ := clientEnv(t)
		py := newVenv(t, env)
		run(t, "", env, testdist.Tool(t, "pip"), "--python", py, "install", "--index-url", merged, "acme-utils")
		check(t, py)
	})
	t.Run("uv", func(t *testing.T) {
		t.Parallel()
		env, _ := clientEnv(t)
		py := newVenv(t, env)
		run(t, "", env, testdist.Tool(t, "uv"), "pip", "install", "--python", py, "--index-url", merged, "acme-utils")
		check(t, py)
	})
}

// TestSyncFromPrivatePydepot: another pydepot serves tree-leaf only through a private
// distribution. A remote without credentials fails to sync it and applies nothing; a remote
// with --token (a read token of that server) mirrors every file with its bytes.
func TestSyncFromPrivatePydepot(t *testing.T) {
	t.Parallel()
	c := buildMirrorCorpus(t)
	up := startServer(t)
	up.cli(t, "repo", "create", "secret")
	leaf := c.Project("tree-leaf")
	args := []string{"upload", "--repository", "secret"}
	for _, d := range leaf {
		args = append(args, d.Path)
	}
	up.cli(t, args...)
	up.cli(t, "distribution", "create", "secret", "--repository", "secret", "--private")
	tokenCmd := exec.Command(pydepotBin(t), "token", "create", "mirror-reader", "--scope", "read")
	tokenCmd.Env = commandEnv(up.adminEnv())
	out, err := tokenCmd.Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	token := strings.TrimSpace(string(out))
	private := &upstream{Kind: "pydepot", Simple: up.URL + "/secret/simple/"}

	s := startServer(t)
	s.cli(t, "remote", "create", "anonymous", "--url", private.Simple)
	s.mirrorRepo(t, "anonymous")
	if out, err := runErr("", s.adminEnv(), pydepotBin(t), "sync", "anonymous", "--remote", "anonymous"); err == nil || !strings.Contains(out, "401") {
		t.Errorf("a sync without credentials from a private distribution: %v, want a failure naming the 401:\n%s", err, out)
	}
	if v := repoLatest(t, s, "anonymous"); v != 0 {
		t.Errorf("the refused sync made version %d", v)
	}
	simple := s.syncFrom(t, "reader", private, "--token", token)
	page := projectPage(t, simple, "tree-leaf")
	if page == nil || len(page.Files) != len(leaf) {
		t.Fatalf("with --token the mirror serves %v, want tree-leaf's %d files", page, len(leaf))
	}
	for _, d := range leaf {
		wantMirrored(t, s, simple, page, d, true)
	}
}

// TestSyncMirrorRemoves: a pypiserver of its own serves tree-leaf's four files from a
// folder; after a first sync, 1.0's files are deleted from the folder. A plain sync is
// additive: the mirror keeps all four and makes no version. `sync --mirror` removes 1.0's
// files in one new version, and keeps 2.0's.
func TestSyncMirrorRemoves(t *testing.T) {
	t.Parallel()
	c := buildMirrorCorpus(t)
	leaf := c.Project("tree-leaf")
	var paths []string
	for _, d := range leaf {
		paths = append(paths, d.Path)
	}
	dir := t.TempDir()
	u, err := startPypiserver(dir, testdist.Tool(t, "pypi-server"), paths)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(u.stop)
	s := startServer(t)
	simple := s.syncFrom(t, "leaf", u)
	files := func() map[string]bool {
		out := map[string]bool{}
		if p := projectPage(t, simple, "tree-leaf"); p != nil {
			for _, f := range p.Files {
				out[f["filename"].(string)] = true
			}
		}
		return out
	}
	if got := files(); len(got) != len(leaf) {
		t.Fatalf("after the first sync the mirror serves %v, want tree-leaf's %d files", got, len(leaf))
	}
	var gone []string
	for _, d := range leaf {
		if d.Version == "1.0" {
			if err := os.Remove(filepath.Join(dir, "packages", d.Filename())); err != nil {
				t.Fatal(err)
			}
			gone = append(gone, d.Filename())
		}
	}
	first := repoLatest(t, s, "leaf")
	s.cli(t, "sync", "leaf", "--remote", "leaf")
	if got, v := files(), repoLatest(t, s, "leaf"); len(got) != len(leaf) || v != first {
		t.Errorf("an additive sync after the upstream dropped %v: serves %v at version %d (was %d); want all kept, no version", gone, got, v, first)
	}
	s.cli(t, "sync", "leaf", "--remote", "leaf", "--mirror")
	got := files()
	for _, d := range leaf {
		if want := d.Version != "1.0"; got[d.Filename()] != want {
			t.Errorf("after sync --mirror, %s served: %v, want %v", d.Filename(), got[d.Filename()], want)
		}
	}
	if v := repoLatest(t, s, "leaf"); v != first+1 {
		t.Errorf("sync --mirror made version %d, want %d", v, first+1)
	}
}
