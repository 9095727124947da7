package mirror

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/markers"
	"github.com/pydepot/pydepot/internal/metadata"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/simpleindex"
	"github.com/pydepot/pydepot/internal/versions"
)

// ErrClosureTooLarge is the error of a --with-dependencies closure over its cap
// (Options.MaxClosure). It wraps errs.ErrTooLarge.
var ErrClosureTooLarge = fmt.Errorf("dependency closure too large: %w", errs.ErrTooLarge)

// defaultPythons and defaultPlatforms stand for "any" when a remote chooses none: the
// markers are evaluated for each, and a dependency any of them needs is taken.
var (
	defaultPythons   = []string{"3.9", "3.10", "3.11", "3.12", "3.13", "3.14"}
	defaultPlatforms = []string{"manylinux_2_17_x86_64", "macosx_11_0_arm64", "win_amd64"}
)

// markerEnvs returns the marker environments of every chosen (Python, platform) pair.
func markerEnvs(r *Remote) []markers.Env {
	pys, plats := r.Pythons, r.Platforms
	if len(pys) == 0 {
		pys = defaultPythons
	}
	if len(plats) == 0 {
		plats = defaultPlatforms
	}
	var out []markers.Env
	for _, py := range pys {
		for _, p := range plats {
			env := platformEnv(p)
			env["python_version"] = py
			env["python_full_version"] = py + ".0"
			env["implementation_name"] = "cpython"
			env["implementation_version"] = py + ".0"
			env["platform_python_implementation"] = "CPython"
			out = append(out, env)
		}
	}
	return out
}

// platformEnv maps a platform tag to the marker variables it implies.
func platformEnv(tag string) markers.Env {
	t := strings.ToLower(tag)
	arch := func() string {
		for _, a := range []string{"x86_64", "aarch64", "arm64", "i686", "ppc64le", "s390x", "armv7l", "universal2"} {
			if strings.HasSuffix(t, a) {
				return a
			}
		}
		return ""
	}
	switch {
	case strings.HasPrefix(t, "macosx"):
		return markers.Env{"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix", "platform_machine": arch()}
	case strings.HasPrefix(t, "win"):
		m := "AMD64"
		switch t {
		case "win32":
			m = "x86"
		case "win_arm64":
			m = "ARM64"
		}
		return markers.Env{"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt", "platform_machine": m}
	}
	return markers.Env{"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "platform_machine": arch()}
}

// closureState is the walk of --with-dependencies.
type closureState struct {
	s      *syncer
	envs   []markers.Env
	reqs   map[string][]requirements.Requirement // project -> what requires it
	extras map[string][]string                   // project -> extras asked of it
	seen   map[string]string                     // project -> fingerprint last walked
	mu     sync.Mutex
	meta   map[string][]requirements.Requirement // filename -> its Requires-Dist
}

// closure returns the included projects and, transitively, every project their selected
// releases require under the remote's Pythons and platforms (markers evaluated, extras
// of the requirements followed), each with the requirements that pulled it in.
// Dependencies are read from each release's metadata (PEP 658 files, or the file
// itself). Over Options.MaxClosure projects it fails with ErrClosureTooLarge.
func (s *syncer) closure(ctx context.Context) (map[string][]requirements.Requirement, error) {
	c := &closureState{s: s, envs: markerEnvs(s.remote), reqs: map[string][]requirements.Requirement{},
		extras: map[string][]string{}, seen: map[string]string{}, meta: map[string][]requirements.Requirement{}}
	var queue []string
	for _, r := range s.filter.IncludeRequirements() {
		if c.add(r) {
			queue = append(queue, r.NormalizedName())
		}
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		fp := c.fingerprint(p)
		if c.seen[p] == fp {
			continue
		}
		c.seen[p] = fp
		deps, err := c.walk(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, d := range deps {
			if s.filter.ExcludesProject(d.NormalizedName()) {
				continue
			}
			if c.add(d) {
				queue = append(queue, d.NormalizedName())
			}
			if len(c.reqs) > s.m.opts.MaxClosure {
				return nil, fmt.Errorf("the dependencies of %s reach over %d projects (now at %s); narrow --include, add --exclude, or choose --python and --platform: %w",
					strings.Join(s.remote.Includes, ", "), s.m.opts.MaxClosure, d.Name, ErrClosureTooLarge)
			}
		}
	}
	s.run.Logf("dependency closure: %d projects", len(c.reqs))
	return c.reqs, nil
}

// add records requirement r; it reports whether r widened what its project needs.
func (c *closureState) add(r requirements.Requirement) bool {
	n := r.NormalizedName()
	r.Marker = markers.Marker{}
	key := r.String()
	changed := false
	_, known := c.reqs[n]
	if !known {
		c.reqs[n] = nil
		changed = true
	}
	if !slices.ContainsFunc(c.reqs[n], func(o requirements.Requirement) bool { return o.String() == key }) {
		c.reqs[n] = append(c.reqs[n], r)
		changed = true
	}
	for _, x := range r.Extras {
		if !slices.Contains(c.extras[n], x) {
			c.extras[n] = append(c.extras[n], x)
			changed = true
		}
	}
	return changed
}

func (c *closureState) fingerprint(p string) string {
	var b strings.Builder
	for _, r := range c.reqs[p] {
		b.WriteString(r.String())
		b.WriteByte(';')
	}
	b.WriteString(strings.Join(c.extras[p], ","))
	return b.String()
}

// walk reads project p's page, selects its releases, and returns the requirements of
// those releases that hold in one of the environments.
func (c *closureState) walk(ctx context.Context, p string) ([]requirements.Requirement, error) {
	pg, err := c.s.cachedPage(ctx, p)
	if errors.Is(err, errs.ErrNotFound) {
		c.s.run.Logf("dependency %s: not on the upstream", p)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dependency closure: %w", err)
	}
	sel, _ := c.s.filter.Select(p, pg.Files, c.reqs[p])
	files := releaseFiles(sel)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.s.m.opts.Concurrency)
	results := make([][]requirements.Requirement, len(files))
	for i, f := range files {
		g.Go(func() error {
			rs, err := c.requiresDist(gctx, f)
			if err != nil {
				c.s.run.Logf("dependencies of %s: %s", f.Filename, errs.Message(err))
				return nil // its own sync reports the file; the walk goes on
			}
			results[i] = rs
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []requirements.Requirement
	for _, rs := range results {
		for _, r := range rs {
			if r.URL != "" {
				continue
			}
			if c.holds(r, c.extras[p]) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// holds reports whether r's marker is true in some environment with one of extras.
func (c *closureState) holds(r requirements.Requirement, extras []string) bool {
	for _, env := range c.envs {
		if r.Marker.EvaluateExtras(env, extras) {
			return true
		}
	}
	return false
}

func (c *closureState) requiresDist(ctx context.Context, f simpleindex.File) ([]requirements.Requirement, error) {
	c.mu.Lock()
	rs, ok := c.meta[f.Filename]
	c.mu.Unlock()
	if ok {
		return rs, nil
	}
	md, err := c.s.heldMetadata(ctx, f)
	if md == nil && err == nil {
		var data []byte
		if data, err = c.s.up.metadata(ctx, f, c.s.m.opts.TempDir); err == nil {
			md, err = metadata.Parse(data)
		}
	}
	if err != nil {
		return nil, err
	}
	rs, err = md.Requirements()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.meta[f.Filename] = rs
	c.mu.Unlock()
	return rs, nil
}

// releaseFiles picks one file per release to read dependencies from: a wheel with a
// metadata file, else a wheel, else an sdist.
func releaseFiles(files []simpleindex.File) []simpleindex.File {
	type pick struct {
		f    simpleindex.File
		rank int
		v    versions.Version
	}
	var picks []pick
	at := map[string]int{} // canonical version -> index in picks
	for _, f := range files {
		d, err := filenames.Parse(f.Filename)
		if err != nil {
			continue
		}
		rank := 2
		if d.Kind == filenames.KindWheel {
			rank = 1
			if f.CoreMetadata {
				rank = 0
			}
		}
		i, ok := at[d.Version.String()]
		switch {
		case !ok:
			at[d.Version.String()] = len(picks)
			picks = append(picks, pick{f, rank, d.Version})
		case rank < picks[i].rank:
			picks[i] = pick{f, rank, d.Version}
		}
	}
	out := make([]simpleindex.File, len(picks))
	for i, p := range picks {
		out[i] = p.f
	}
	return out
}
