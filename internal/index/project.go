package index

import (
	"fmt"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/versions"
)

// Latest returns the version shown when none is asked for (the project page, PyPI's
// JSON API): the highest final release with a file not yanked, else the highest version
// with such a file, else the highest version; "" when the project has none.
func (p *Project) Latest() string {
	live := map[string]bool{}
	for _, f := range p.Files {
		if !f.Yanked {
			live[f.Version] = true
		}
	}
	best, bestPre := "", ""
	var bv, bp versions.Version
	for _, v := range p.Versions {
		pv, err := versions.Parse(v)
		if err != nil || !live[v] {
			continue
		}
		if pv.IsPrerelease() {
			if bestPre == "" || pv.Compare(bp) > 0 {
				bestPre, bp = v, pv
			}
			continue
		}
		if best == "" || pv.Compare(bv) > 0 {
			best, bv = v, pv
		}
	}
	switch {
	case best != "":
		return best
	case bestPre != "":
		return bestPre
	case len(p.Versions) > 0:
		return p.Versions[len(p.Versions)-1]
	}
	return ""
}

// FindVersion returns the version of p that is PEP 440-equal to want (1.0 finds 1.0.0),
// as p spells it; errs.ErrNotFound when there is none or want is not a version.
func (p *Project) FindVersion(want string) (string, error) {
	wv, err := versions.Parse(want)
	if err != nil {
		return "", fmt.Errorf("version %q of %s: %w", want, p.Name, errs.ErrNotFound)
	}
	for _, v := range p.Versions {
		if pv, err := versions.Parse(v); err == nil && pv.Compare(wv) == 0 {
			return v, nil
		}
	}
	return "", fmt.Errorf("%s has no version %s: %w", p.Name, want, errs.ErrNotFound)
}

// Release is what a release page says about one version of a project.
type Release struct {
	Version string
	Files   []File // the version's files, in the project's order
	// Yanked is true when every file of the version is yanked; YankReason is the first
	// reason given.
	Yanked     bool
	YankReason string
	// Summary is the first summary a file of the version gives.
	Summary string
	// Described is the file whose core metadata describes the release: the first file
	// with core metadata, else the first file; nil when the version has no files.
	Described *File
}

// Release returns what p says about version (as p spells it).
func (p *Project) Release(version string) Release {
	var of []int
	for i := range p.Files {
		if p.Files[i].Version == version {
			of = append(of, i)
		}
	}
	return p.release(version, of)
}

// Releases returns every version of p, newest first.
func (p *Project) Releases() []Release {
	byVersion := map[string][]int{}
	for i := range p.Files {
		byVersion[p.Files[i].Version] = append(byVersion[p.Files[i].Version], i)
	}
	out := make([]Release, 0, len(p.Versions))
	for i := len(p.Versions) - 1; i >= 0; i-- {
		out = append(out, p.release(p.Versions[i], byVersion[p.Versions[i]]))
	}
	return out
}

// release makes the Release of version from its files, p.Files[of[0]], ...
func (p *Project) release(version string, of []int) Release {
	rel := Release{Version: version}
	yanked := 0
	for _, i := range of {
		f := &p.Files[i]
		rel.Files = append(rel.Files, *f)
		if rel.Summary == "" {
			rel.Summary = f.Summary
		}
		if f.Yanked {
			yanked++
			if rel.YankReason == "" {
				rel.YankReason = f.YankReason
			}
		}
		if rel.Described == nil || (rel.Described.MetadataSHA256 == "" && f.MetadataSHA256 != "") {
			rel.Described = f
		}
	}
	rel.Yanked = len(rel.Files) > 0 && yanked == len(rel.Files)
	return rel
}
