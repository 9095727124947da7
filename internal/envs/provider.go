package envs

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/pydepot/pydepot/internal/atomicfile"

	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/resolver"
)

// depsCache is a resolver.Provider that remembers the dependencies of every file by its
// sha256 under dir (a file's metadata never changes for a given digest), so that a later
// create resolves without fetching metadata again.
type depsCache struct {
	resolver.Provider
	dir string
}

// Location passes on the wrapped provider's (resolver.Locator).
func (p depsCache) Location() string {
	if l, ok := p.Provider.(resolver.Locator); ok {
		return l.Location()
	}
	return ""
}

// path is the cache file of a distribution file's dependencies. An sdist's are kept
// under another name since its dependencies come from its build backend when PKG-INFO
// cannot be trusted: entries written before that (PKG-INFO as it was) are not read.
func (p depsCache) path(f resolver.File) string {
	if f.Sdist {
		return filepath.Join(p.dir, f.SHA256[:2], f.SHA256+".sdist-built.txt")
	}
	return filepath.Join(p.dir, f.SHA256[:2], f.SHA256+".txt")
}

// Dependencies answers from the cache, else asks the wrapped provider and remembers.
func (p depsCache) Dependencies(ctx context.Context, c resolver.Candidate, f resolver.File) ([]requirements.Requirement, error) {
	if len(f.SHA256) != 64 {
		return p.Provider.Dependencies(ctx, c, f)
	}
	if data, err := os.ReadFile(p.path(f)); err == nil {
		if reqs, ok := parseLines(string(data)); ok {
			return reqs, nil
		}
	}
	reqs, err := p.Provider.Dependencies(ctx, c, f)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("# requirements of " + f.Filename + "\n")
	for _, r := range reqs {
		b.WriteString(r.String() + "\n")
	}
	if _, ok := parseLines(b.String()); ok { // only keep what reads back
		_ = atomicfile.WriteFile(p.path(f), []byte(b.String()), 0o644) // best effort: a cache
	}
	return reqs, nil
}

func parseLines(s string) ([]requirements.Requirement, bool) {
	reqs := []requirements.Requirement{}
	for _, line := range strings.Split(s, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r, err := requirements.Parse(line)
		if err != nil {
			return nil, false
		}
		reqs = append(reqs, r)
	}
	return reqs, true
}

// Prefetch forwards to the wrapped provider when it can prefetch.
func (p depsCache) Prefetch(ctx context.Context, names []string) {
	if pf, ok := p.Provider.(resolver.Prefetcher); ok {
		pf.Prefetch(ctx, names)
	}
}

// RequiresPython answers from the cache, else from the wrapped provider's metadata
// (no requirement when it cannot tell).
func (p depsCache) RequiresPython(ctx context.Context, c resolver.Candidate, f resolver.File) (string, error) {
	mp, ok := p.Provider.(resolver.MetadataPython)
	if !ok {
		return "", nil
	}
	if len(f.SHA256) != 64 {
		return mp.RequiresPython(ctx, c, f)
	}
	file := p.path(f) + ".requires-python"
	if data, err := os.ReadFile(file); err == nil {
		return string(data), nil
	}
	rp, err := mp.RequiresPython(ctx, c, f)
	if err != nil {
		return "", err
	}
	_ = atomicfile.WriteFile(file, []byte(rp), 0o644) // best effort: a cache
	return rp, nil
}

var (
	_ resolver.Prefetcher     = depsCache{}
	_ resolver.MetadataPython = depsCache{}
)
