package mirror

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/simpleindex"
	"github.com/pydepot/pydepot/internal/tags"
	"github.com/pydepot/pydepot/internal/versions"
)

// Filter is a remote's selection rules, compiled once per sync. Its methods are pure.
type Filter struct {
	includes    map[string][]requirements.Requirement // normalized name -> includes
	excludes    map[string][]requirements.Requirement
	prereleases bool
	wheels      bool
	sdists      bool
	pythons     []pyVersion
	platforms   []string         // chosen platform tags
	targets     []tags.Supported // every (platform, python) pair, when both are chosen
	platTags    map[string]bool  // platform tags the chosen platforms accept (any python)
	pyTags      map[[2]string]bool
	keepLatest  int
}

type pyVersion struct {
	major, minor int
	v            versions.Version
}

// NewFilter compiles r's selection (r validated).
func NewFilter(r *Remote) (*Filter, error) {
	f := &Filter{includes: map[string][]requirements.Requirement{}, excludes: map[string][]requirements.Requirement{},
		prereleases: r.Prereleases, keepLatest: r.KeepLatest, platforms: r.Platforms}
	for _, s := range r.Includes {
		req, err := requirements.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("--include %q: %w", s, err)
		}
		f.includes[req.NormalizedName()] = append(f.includes[req.NormalizedName()], req)
	}
	for _, s := range r.Excludes {
		req, err := requirements.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("--exclude %q: %w", s, err)
		}
		f.excludes[req.NormalizedName()] = append(f.excludes[req.NormalizedName()], req)
	}
	f.wheels = len(r.PackageTypes) == 0 || slices.Contains(r.PackageTypes, TypeWheel)
	f.sdists = len(r.PackageTypes) == 0 || slices.Contains(r.PackageTypes, TypeSdist)
	for _, s := range r.Pythons {
		major, minor, ok := parsePython(s)
		if !ok {
			return nil, invalid("Python version %q", s)
		}
		v, _ := versions.Parse(s)
		f.pythons = append(f.pythons, pyVersion{major, minor, v})
	}
	if err := f.compileTags(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *Filter) compileTags() error {
	switch {
	case len(f.platforms) > 0 && len(f.pythons) > 0:
		for _, p := range f.platforms {
			for _, py := range f.pythons {
				t, err := (tags.Target{Major: py.major, Minor: py.minor}).WithPlatform(p)
				if err != nil {
					return err
				}
				f.targets = append(f.targets, t.Supported())
			}
		}
	case len(f.platforms) > 0:
		f.platTags = map[string]bool{"any": true}
		for _, p := range f.platforms {
			t, err := (tags.Target{Major: 3, Minor: 12}).WithPlatform(p)
			if err != nil {
				return err
			}
			for _, pt := range t.Platforms() {
				f.platTags[pt] = true
			}
		}
	case len(f.pythons) > 0:
		f.pyTags = map[[2]string]bool{}
		for _, py := range f.pythons {
			t := tags.Target{Major: py.major, Minor: py.minor, OS: "linux", Arch: "x86_64", Libc: "glibc", LibcMajor: 2, LibcMinor: 17}
			for _, tg := range t.Tags() {
				f.pyTags[[2]string{tg.Interpreter, tg.ABI}] = true
			}
		}
	}
	return nil
}

// All reports whether the remote mirrors every project (no include).
func (f *Filter) All() bool { return len(f.includes) == 0 }

// Included returns the normalized names of the included projects, sorted.
func (f *Filter) Included() []string {
	out := make([]string, 0, len(f.includes))
	for n := range f.includes {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// IncludeRequirements returns the include requirements (for the dependency closure).
func (f *Filter) IncludeRequirements() []requirements.Requirement {
	var out []requirements.Requirement
	for _, n := range f.Included() {
		out = append(out, f.includes[n]...)
	}
	return out
}

// ExcludesProject reports whether an exclude without specifiers drops project whole.
func (f *Filter) ExcludesProject(project string) bool {
	for _, r := range f.excludes[names.Normalize(project)] {
		if len(r.Specifiers) == 0 {
			return true
		}
	}
	return false
}

// WantsVersion reports whether version v of project passes the version rules: one of
// reqs (the includes of the project, or the requirements that pulled it into a
// closure; none: every version) contains it, pre-releases only when the remote takes
// them or the requirement names one, and no exclude contains it.
func (f *Filter) WantsVersion(project string, v versions.Version, reqs []requirements.Requirement) bool {
	ok := len(reqs) == 0 && (!v.IsPrerelease() || f.prereleases)
	for _, r := range reqs {
		if r.Specifiers.Contains(v, f.prereleases) {
			ok = true
			break
		}
	}
	if !ok {
		return false
	}
	for _, r := range f.excludes[names.Normalize(project)] {
		if len(r.Specifiers) == 0 || r.Specifiers.Contains(v, true) {
			return false
		}
	}
	return true
}

// WantsFile reports whether a file passes the package-type, tag and requires-python
// rules. Wheels must suit one of the chosen platforms and Pythons (each alone when only
// one kind is chosen); sdists suit every platform; a requires-python that none of the
// chosen Pythons satisfies drops a file (one that does not parse keeps it).
func (f *Filter) WantsFile(d filenames.Dist, requiresPython string) bool {
	switch d.Kind {
	case filenames.KindWheel:
		if !f.wheels || !f.tagsFit(d.Tags) {
			return false
		}
	case filenames.KindSdist:
		if !f.sdists {
			return false
		}
	default:
		return false
	}
	return f.pythonFits(requiresPython)
}

func (f *Filter) tagsFit(ts []tags.Tag) bool {
	switch {
	case f.targets != nil:
		for _, s := range f.targets {
			if s.Compatible(ts) {
				return true
			}
		}
		return false
	case f.platTags != nil:
		for _, t := range ts {
			if f.platTags[strings.ToLower(t.Platform)] {
				return true
			}
		}
		return false
	case f.pyTags != nil:
		for _, t := range ts {
			if f.pyTags[[2]string{strings.ToLower(t.Interpreter), strings.ToLower(t.ABI)}] {
				return true
			}
		}
		return false
	}
	return true
}

func (f *Filter) pythonFits(requiresPython string) bool {
	if len(f.pythons) == 0 || strings.TrimSpace(requiresPython) == "" {
		return true
	}
	ss, err := versions.ParseSpecifiers(requiresPython)
	if err != nil {
		return true
	}
	for _, py := range f.pythons {
		if ss.Contains(py.v, true) {
			return true
		}
	}
	return false
}

// Select returns the files of project's page that the remote keeps: the version, file
// and keep-latest rules applied, reqs as for WantsVersion. Files whose name does not
// parse are left out, and so are files without a sha256 (nothing could verify them);
// both are returned as skipped with the reason.
func (f *Filter) Select(project string, files []simpleindex.File, reqs []requirements.Requirement) (keep []simpleindex.File, skipped []FileError) {
	sel, skipped := f.selectParsed(project, files, reqs)
	keep = make([]simpleindex.File, 0, len(sel))
	for _, c := range sel {
		keep = append(keep, c.file)
	}
	return keep, skipped
}

// selected is a file Select keeps, with its name parsed.
type selected struct {
	file simpleindex.File
	dist filenames.Dist
}

// selectParsed is Select, with the parsed names (a sync parses each name once).
func (f *Filter) selectParsed(project string, files []simpleindex.File, reqs []requirements.Requirement) (keep []selected, skipped []FileError) {
	if f.ExcludesProject(project) {
		return nil, nil
	}
	cands := make([]selected, 0, len(files)) // a File is large: growing the slice copied each
	for _, file := range files {
		d, err := filenames.Parse(file.Filename)
		if err != nil {
			continue // not a distribution pydepot serves (.egg, .exe, .rpm, ...)
		}
		if d.Project() != names.Normalize(project) {
			skipped = append(skipped, FileError{Project: project, Filename: file.Filename, Error: "listed under another project"})
			continue
		}
		if !f.WantsVersion(project, d.Version, reqs) || !f.WantsFile(d, file.RequiresPython) {
			continue
		}
		if file.SHA256() == "" {
			skipped = append(skipped, FileError{Project: project, Filename: file.Filename, Error: "the upstream gives no sha256"})
			continue
		}
		cands = append(cands, selected{file, d})
	}
	if f.keepLatest > 0 {
		vs := make([]versions.Version, len(cands))
		for i, c := range cands {
			vs[i] = c.dist.Version
		}
		slices.SortFunc(vs, func(a, b versions.Version) int { return b.Compare(a) })
		vs = slices.CompactFunc(vs, func(a, b versions.Version) bool { return a.Compare(b) == 0 })
		if len(vs) > f.keepLatest {
			oldest := vs[f.keepLatest-1]
			cands = slices.DeleteFunc(cands, func(c selected) bool { return c.dist.Version.Compare(oldest) < 0 })
		}
	}
	return cands, skipped
}
