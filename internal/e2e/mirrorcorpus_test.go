package e2e

import (
	"archive/zip"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// mirrorDist is one file of the mirror corpus.
type mirrorDist struct {
	Path           string
	Project        string // normalized
	Version        string
	RequiresPython string
}

// Filename is the file's name.
func (d mirrorDist) Filename() string { return filepath.Base(d.Path) }

// mirrorCorpus is what the upstreams of the mirroring tests serve: a small dependency graph
// built with `python3 -m build` (a wheel and an sdist each), plus the public acme-utils 99.0
// and, apart, the internal acme-utils 1.0 that the guard test hosts.
//
//	tree-top 1.0 -> tree-mid>=1, tree-leaf (python_version >= "3.8"),
//	                tree-win (sys_platform == "win32"), tree-py2 (python_version < "3")
//	tree-mid 1.0 -> tree-leaf>=1
//	tree-leaf 1.0, tree-leaf 2.0 (requires-python >=3.9; ~200 KB, the pydepot upstream yanks it)
//	tree-win 1.0, tree-py2 1.0, tree-outside 1.0 (~200 KB), acme-utils 99.0
//
// So that a mirror made with --include tree-top --with-dependencies for Python 3.11 on
// Linux holds tree-top, tree-mid and tree-leaf, and none of the others.
type mirrorCorpus struct {
	Dists        []mirrorDist // what every upstream serves
	AcmeInternal []string     // acme-utils 1.0, wheel and sdist
}

// Closure is the projects of tree-top's dependency closure for Python 3.11 on Linux, and
// Outside the projects the upstreams serve besides.
var (
	treeClosure = []string{"tree-top", "tree-mid", "tree-leaf"}
	treeOutside = []string{"tree-win", "tree-py2", "tree-outside", "acme-utils"}
)

// Project returns the dists of project.
func (c mirrorCorpus) Project(project string) []mirrorDist {
	var out []mirrorDist
	for _, d := range c.Dists {
		if d.Project == project {
			out = append(out, d)
		}
	}
	return out
}

// Projects is every project name, in the corpus's order.
func (c mirrorCorpus) Projects() []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range c.Dists {
		if !seen[d.Project] {
			seen[d.Project] = true
			out = append(out, d.Project)
		}
	}
	return out
}

// Paths is the path of every dist.
func (c mirrorCorpus) Paths() []string {
	out := make([]string, len(c.Dists))
	for i, d := range c.Dists {
		out[i] = d.Path
	}
	return out
}

var (
	mirrorCorpusOnce sync.Once
	mirrorCorpusVal  mirrorCorpus
	mirrorCorpusErr  error
)

// buildMirrorCorpus builds the mirror corpus once per test process, in the shared folder.
func buildMirrorCorpus(t *testing.T) mirrorCorpus {
	t.Helper()
	mirrorCorpusOnce.Do(func() {
		mirrorCorpusVal, mirrorCorpusErr = makeMirrorCorpus(filepath.Join(shared, "mirror-corpus"))
	})
	if mirrorCorpusErr != nil {
		t.Fatal(mirrorCorpusErr)
	}
	return mirrorCorpusVal
}

func makeMirrorCorpus(dir string) (mirrorCorpus, error) {
	var c mirrorCorpus
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return c, err
	}
	type proj struct {
		name, version, requiresPython string
		big                           bool
		deps                          []string
	}
	projects := []proj{
		{name: "tree-top", version: "1.0", deps: []string{"tree-mid>=1", `tree-leaf; python_version >= "3.8"`,
			`tree-win; sys_platform == "win32"`, `tree-py2; python_version < "3"`}},
		{name: "tree-mid", version: "1.0", deps: []string{"tree-leaf>=1"}},
		{name: "tree-leaf", version: "1.0"},
		{name: "tree-leaf", version: "2.0", requiresPython: ">=3.9", big: true},
		{name: "tree-win", version: "1.0"},
		{name: "tree-py2", version: "1.0"},
		{name: "tree-outside", version: "1.0", big: true},
		{name: "acme-utils", version: "99.0"},
		{name: "acme-utils", version: "1.0"}, // the internal one, last
	}
	files := make([]map[string]string, len(projects))
	for i, p := range projects {
		files[i] = testdist.SimpleProject(p.name, p.version, p.deps...)
		if p.requiresPython == "" {
			p.requiresPython = ">=3.7" // SimpleProject's
			projects[i] = p
		} else {
			files[i]["pyproject.toml"] = strings.Replace(files[i]["pyproject.toml"],
				`requires-python = ">=3.7"`, fmt.Sprintf("requires-python = %q", p.requiresPython), 1)
		}
		if p.big {
			// Random bytes do not compress: the file takes a while through a slow upstream.
			payload := make([]byte, 150<<10)
			if _, err := rand.Read(payload); err != nil {
				return c, err
			}
			mod := strings.ReplaceAll(p.name, "-", "_")
			files[i][mod+"/payload.py"] = fmt.Sprintf("DATA = %q\n", base64.StdEncoding.EncodeToString(payload))
		}
	}
	built, err := buildProjects(dir, files...)
	if err != nil {
		return c, err
	}
	for i, p := range projects {
		if i == len(projects)-1 {
			c.AcmeInternal = []string{built[i][0], built[i][1]}
			continue
		}
		for _, path := range built[i] {
			c.Dists = append(c.Dists, mirrorDist{Path: path, Project: p.name, Version: p.version, RequiresPython: p.requiresPython})
		}
	}
	return c, nil
}

// wheelMetadata returns the METADATA file inside the wheel at path.
func wheelMetadata(t *testing.T, path string) []byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		dir, name, ok := strings.Cut(f.Name, "/")
		if ok && name == "METADATA" && strings.HasSuffix(dir, ".dist-info") {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("%s has no .dist-info/METADATA", path)
	return nil
}
