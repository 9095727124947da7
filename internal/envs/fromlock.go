package envs

import (
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/markers"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/pylock"
	"github.com/pydepot/pydepot/internal/resolver"
	"github.com/pydepot/pydepot/internal/simpleindex"
	"github.com/pydepot/pydepot/internal/versions"
)

// fromLock turns a PEP 751 lock into the pins to install, without resolving: the
// packages whose marker holds for the target, each with its best wheel for the target's
// tags (else its sdist, built). Every file must carry a hash; each download is checked
// against all of them (c.allowed). A file a lock names by path is read relative to the
// lock. Errors wrap errs.ErrInvalid.
func (c *creator) fromLock(l *pylock.Lock) (*resolver.Result, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("lock %s: "+format+": %w", append([]any{c.spec.Source}, append(a, errs.ErrInvalid)...)...)
	}
	pyv, err := versions.Parse(c.in.Version)
	if err != nil {
		return nil, err
	}
	if l.RequiresPython != "" {
		ss, err := versions.ParseSpecifiers(l.RequiresPython)
		if err != nil {
			return nil, bad("requires-python %q: %v", l.RequiresPython, err)
		}
		if !ss.Contains(pyv, true) {
			// pydepot writes ==X.Y.Z of the interpreter it bundled: a same X.Y is close enough
			if _, own := l.Tool["pydepot"]; !own || !strings.HasPrefix(strings.TrimPrefix(l.RequiresPython, "=="), c.in.MajorMinor()+".") {
				return nil, bad("requires-python %s excludes the interpreter %s (use --python)", l.RequiresPython, c.in.Version)
			}
			c.log.Warn("the lock was made for another patch release of Python", "lock", l.RequiresPython, "python", c.in.Version)
		}
	}
	supported := c.in.Target.Supported()
	res := &resolver.Result{}
	c.allowed = map[string][]string{}
	lockDir := filepath.Dir(c.spec.Source)
	for _, p := range l.Packages {
		if p.Marker != "" {
			m, err := markers.Parse(p.Marker)
			if err != nil {
				return nil, bad("package %s: marker %q: %v", p.Name, p.Marker, err)
			}
			if !m.Evaluate(c.in.Markers) {
				continue
			}
		}
		v, err := versions.Parse(p.Version)
		if err != nil {
			return nil, bad("package %s: version %q: %v", p.Name, p.Version, err)
		}
		var chosen *pylock.File
		best := -1
		for i := range p.Wheels {
			w := &p.Wheels[i]
			d, err := filenames.Parse(lockFileName(*w))
			if err != nil {
				return nil, bad("package %s: wheel %q: %v", p.Name, lockFileName(*w), err)
			}
			if rank, ok := supported.Rank(d.Tags); ok && (best < 0 || rank < best) {
				chosen, best = w, rank
			}
		}
		sdist := false
		if chosen == nil && p.Sdist != nil {
			chosen, sdist = p.Sdist, true
		}
		if chosen == nil {
			return nil, bad("package %s %s: no wheel fits Python %s on %s_%s, and there is no sdist", p.Name, p.Version, c.in.Version, c.in.Target.OS, c.in.Target.Arch)
		}
		n := names.Normalize(p.Name)
		f := resolver.File{Filename: lockFileName(*chosen), URL: chosen.URL, SHA256: strings.ToLower(chosen.Hashes["sha256"]),
			Size: -1, Sdist: sdist}
		if chosen.Size > 0 {
			f.Size = chosen.Size
		}
		ref := lockedFile{File: simpleindex.File{Filename: f.Filename, URL: chosen.URL, Hashes: chosen.Hashes, Size: f.Size}}
		if chosen.URL == "" {
			ref.Path = chosen.Path
			if !filepath.IsAbs(ref.Path) {
				ref.Path = filepath.Join(lockDir, filepath.FromSlash(chosen.Path))
			}
			f.URL = "file://" + ref.Path
		}
		f.Ref = ref
		for alg, h := range chosen.Hashes {
			alg = strings.ToLower(alg)
			if _, known := hashLen[alg]; !known {
				return nil, bad("package %s: hash algorithm %q cannot be checked (sha256, sha384, sha512)", p.Name, alg)
			}
			c.allowed[n] = append(c.allowed[n], alg+":"+strings.ToLower(h))
		}
		pin := resolver.Pin{Name: n, Version: v, File: f}
		for _, d := range p.Dependencies {
			pin.Dependencies = append(pin.Dependencies, names.Normalize(d.Name))
		}
		slices.Sort(pin.Dependencies)
		res.Pins = append(res.Pins, pin)
	}
	slices.SortFunc(res.Pins, func(a, b resolver.Pin) int { return strings.Compare(a.Name, b.Name) })
	res.Roots = lockRoots(l, res)
	c.log.Info("installing from the lock, without resolving", "lock", c.spec.Source, "packages", len(res.Pins))
	return res, nil
}

var hashLen = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

// lockFileName is a lock file's name: its name key, else the last part of its URL or
// path.
func lockFileName(f pylock.File) string {
	if f.Name != "" {
		return f.Name
	}
	if f.URL != "" {
		if u, err := url.Parse(f.URL); err == nil {
			return path.Base(u.Path)
		}
	}
	return path.Base(filepath.ToSlash(f.Path))
}

// lockRoots returns the requested packages: [tool.pydepot] roots when the lock was
// written by pydepot, else the installed packages nothing else depends on.
func lockRoots(l *pylock.Lock, res *resolver.Result) []string {
	if t, ok := l.Tool["pydepot"].(map[string]any); ok {
		if rs, ok := t["roots"].([]any); ok {
			var out []string
			for _, r := range rs {
				if s, ok := r.(string); ok {
					out = append(out, names.Normalize(s))
				}
			}
			return out
		}
	}
	needed := map[string]bool{}
	for _, p := range res.Pins {
		for _, d := range p.Dependencies {
			needed[d] = true
		}
	}
	var out []string
	for _, p := range res.Pins {
		if !needed[p.Name] {
			out = append(out, p.Name)
		}
	}
	return out
}
