package resolver

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/versions"
)

// pkgInfo is what the solver knows of one package: its versions (ascending) and, per
// version, the file it would install. A package "name[extra]" shares its base's lists.
type pkgInfo struct {
	name    string
	base    string
	extra   string
	cands   []Candidate
	file    []int // index into cands[i].Files of the chosen file, -1 when none is usable
	avail   bitset
	missing bool // the project does not exist on the index
	unavail []*incompat
	raw     map[int][]requirements.Requirement
}

func splitExtra(pkg string) (string, string) {
	base, extra, ok := strings.Cut(pkg, "[")
	if !ok {
		return pkg, ""
	}
	return base, strings.TrimSuffix(extra, "]")
}

func (s *solver) load(ctx context.Context, pkg string) (*pkgInfo, error) {
	if info, ok := s.pkgs[pkg]; ok {
		return info, nil
	}
	base, extra := splitExtra(pkg)
	if extra != "" {
		b, err := s.load(ctx, base)
		if err != nil {
			return nil, err
		}
		info := &pkgInfo{name: pkg, base: base, extra: extra, cands: b.cands, file: b.file, avail: b.avail, missing: b.missing}
		s.pkgs[pkg] = info
		s.order = append(s.order, pkg)
		for _, u := range b.unavail {
			s.addIncompat(&incompat{terms: []term{{pkg: pkg, set: u.terms[0].set, pos: true}}, kind: kindUnavailable, text: u.text})
		}
		return info, nil
	}
	info := &pkgInfo{name: pkg, base: pkg, raw: map[int][]requirements.Requirement{}}
	cands, err := s.p.Candidates(ctx, pkg)
	switch {
	case errors.Is(err, errs.ErrNotFound):
		info.missing = true
	case err != nil:
		return nil, fmt.Errorf("listing %s: %w", pkg, err)
	}
	info.cands = mergeCandidates(cands)
	s.pkgs[pkg] = info
	s.order = append(s.order, pkg)
	reasons := map[string]bitset{}
	var reasonOrder []string
	for i, c := range info.cands {
		f, reason := s.pickFile(pkg, c)
		info.file = append(info.file, f)
		if f >= 0 {
			info.avail.add(i)
			continue
		}
		set, ok := reasons[reason]
		if !ok {
			reasonOrder = append(reasonOrder, reason)
		}
		set.add(i)
		reasons[reason] = set
	}
	for _, r := range reasonOrder {
		ic := &incompat{terms: []term{{pkg: pkg, set: reasons[r], pos: true}}, kind: kindUnavailable, text: r}
		info.unavail = append(info.unavail, ic)
		s.addIncompat(ic)
	}
	return info, nil
}

// mergeCandidates sorts candidates by version and merges equal versions (1.0 and 1.0.0).
func mergeCandidates(in []Candidate) []Candidate {
	out := append([]Candidate(nil), in...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Version.Compare(out[j].Version) < 0 })
	merged := out[:0]
	for _, c := range out {
		if n := len(merged); n > 0 && merged[n-1].Version.Compare(c.Version) == 0 {
			merged[n-1].Files = append(append([]File(nil), merged[n-1].Files...), c.Files...)
			if merged[n-1].LeftOut == "" {
				merged[n-1].LeftOut = c.LeftOut
			}
			continue
		}
		merged = append(merged, c)
	}
	return merged
}

// pickFile chooses the file to install for c, or returns -1 and why none fits.
func (s *solver) pickFile(pkg string, c Candidate) (int, string) {
	if len(c.Files) == 0 {
		if c.LeftOut != "" {
			return -1, c.LeftOut
		}
		return -1, "has no files"
	}
	pinned := s.pinnedExactly(pkg, c.Version)
	var live []int
	yankReason := ""
	for i, f := range c.Files {
		if f.Yanked && !pinned {
			if f.YankedReason != "" {
				yankReason = f.YankedReason
			}
			continue
		}
		live = append(live, i)
	}
	if len(live) == 0 {
		if yankReason != "" {
			return -1, fmt.Sprintf("is yanked (%s)", yankReason)
		}
		return -1, "is yanked"
	}
	var okPy []int
	rp := ""
	for _, i := range live {
		if s.pythonOK(c.Files[i].RequiresPython) {
			okPy = append(okPy, i)
		} else if rp == "" {
			rp = c.Files[i].RequiresPython
		}
	}
	if len(okPy) == 0 {
		return -1, fmt.Sprintf("needs Python %s but the target is %s", rp, s.req.Python)
	}
	best, bestRank, sdist, sawSdist := -1, 0, -1, false
	for _, i := range okPy {
		f := c.Files[i]
		if f.Sdist {
			sawSdist = true
			if sdist < 0 && !s.req.NoSdist {
				sdist = i
			}
			continue
		}
		rank, ok := 0, true
		if s.req.Target != nil {
			rank, ok = s.req.Target.Rank(f.Tags)
		}
		if ok && (best < 0 || rank < bestRank) {
			best, bestRank = i, rank
		}
	}
	switch {
	case best >= 0:
		return best, ""
	case sdist >= 0:
		return sdist, ""
	case sawSdist:
		return -1, "has no wheel for the target and sdists are refused"
	default:
		return -1, "has no wheel for the target " + describeTarget(s.req) + " and no sdist"
	}
}

func describeTarget(req Request) string {
	t := req.Target
	if t == nil {
		return ""
	}
	impl := t.Implementation
	if impl == "" {
		impl = "cp"
	}
	return fmt.Sprintf("(%s%d%d, %s %s)", impl, t.Major, t.Minor, t.OS, t.Arch)
}

func (s *solver) pythonOK(rp string) bool {
	if rp == "" || len(s.req.Python.Release()) == 0 {
		return true
	}
	ss, err := versions.ParseSpecifiers(rp)
	if err != nil {
		return true // as pip: an unparsable requires-python does not exclude the file
	}
	return ss.Contains(s.req.Python, true)
}

// pinnedExactly reports whether a root requirement or constraint pins pkg to v with == or
// ===, which lets a yanked v be chosen (PEP 592).
func (s *solver) pinnedExactly(pkg string, v versions.Version) bool {
	if s.pins == nil {
		s.pins = map[string][]versions.Specifier{}
		for _, list := range [][]requirements.Requirement{s.req.Requirements, s.req.Constraints} {
			for _, r := range list {
				for _, sp := range r.Specifiers {
					if (sp.Op == "==" && !strings.HasSuffix(sp.Version, ".*")) || sp.Op == "===" {
						n := names.Normalize(r.Name)
						s.pins[n] = append(s.pins[n], sp)
					}
				}
			}
		}
	}
	for _, sp := range s.pins[pkg] {
		if sp.Contains(v) {
			return true
		}
	}
	return false
}

// setFor returns the versions of info matching specs, with the pre-release rules.
func (s *solver) setFor(info *pkgInfo, specs versions.SpecifierSet) bitset {
	pre := s.req.Prereleases || specs.AllowsPrereleases()
	var set bitset
	for i, c := range info.cands {
		if specs.Contains(c.Version, pre) {
			set.add(i)
		}
	}
	if set.empty() && !pre {
		for i, c := range info.cands {
			if specs.Contains(c.Version, true) {
				set.add(i)
			}
		}
	}
	return set
}

func (s *solver) env(extra string) map[string]string {
	env := make(map[string]string, len(s.req.Env)+1)
	for k, v := range s.req.Env {
		env[k] = v
	}
	env["extra"] = extra
	return env
}

func (s *solver) addConstraints(ctx context.Context) error {
	for _, c := range s.req.Constraints {
		if !c.Marker.Evaluate(s.env("")) {
			continue
		}
		info, err := s.load(ctx, names.Normalize(c.Name))
		if err != nil {
			return err
		}
		if info.missing {
			continue
		}
		var all bitset
		for i := range info.cands {
			all.add(i)
		}
		bad := all.andNot(s.setFor(info, c.Specifiers))
		if bad.empty() {
			continue
		}
		s.addIncompat(&incompat{
			terms: []term{{pkg: rootPkg, set: bitset{1}, pos: true}, {pkg: info.name, set: bad, pos: true}},
			kind:  kindConstraint, text: reqText(c, ""),
		})
	}
	return nil
}

// reqText is a requirement without its marker, as shown in explanations.
func reqText(r requirements.Requirement, extra string) string {
	out := r.Name
	if extra != "" {
		out += "[" + extra + "]"
	}
	return out + r.Specifiers.String()
}

// dependencies returns the incompatibilities "pkg==v requires dep" of one version.
func (s *solver) dependencies(ctx context.Context, pkg string, v int) ([]*incompat, error) {
	self := term{pkg: pkg, pos: true}
	self.set.add(v)
	var reqs []requirements.Requirement
	var out []*incompat
	info := s.pkgs[pkg]
	switch {
	case pkg == rootPkg:
		for _, r := range s.req.Requirements {
			if r.Marker.Evaluate(s.env("")) {
				reqs = append(reqs, r)
			}
		}
	default:
		base := s.pkgs[info.base]
		raw, ok := base.raw[v]
		if !ok {
			c := base.cands[v]
			var err error
			f := c.Files[base.file[v]]
			raw, err = s.p.Dependencies(ctx, c, f)
			var ue *UnusableError
			if errors.As(err, &ue) {
				return s.unusable(pkg, v, ue.Reason), nil
			}
			if err != nil {
				return nil, fmt.Errorf("reading the dependencies of %s %s: %w", info.base, c.Version, err)
			}
			if mp, ok := s.p.(MetadataPython); ok && f.RequiresPython == "" && len(s.req.Python.Release()) > 0 {
				rp, err := mp.RequiresPython(ctx, c, f)
				if err != nil {
					return nil, fmt.Errorf("reading the metadata of %s %s: %w", info.base, c.Version, err)
				}
				if !s.pythonOK(rp) {
					return s.unusable(pkg, v, fmt.Sprintf("needs Python %s but the target is %s", rp, s.req.Python)), nil
				}
			}
			base.raw[v] = raw
		}
		for _, r := range raw {
			inBase := r.Marker.EvaluateExtras(s.env(""), nil)
			if info.extra == "" && inBase {
				reqs = append(reqs, r)
			} else if info.extra != "" && !inBase && r.Marker.EvaluateExtras(s.env(""), []string{info.extra}) {
				reqs = append(reqs, r)
			}
		}
		if info.extra != "" {
			out = append(out, &incompat{
				terms: []term{self, {pkg: info.base, set: self.set, pos: false}},
				kind:  kindDependency, text: info.base + "==" + base.cands[v].Version.String(),
			})
		}
	}
	if pf, ok := s.p.(Prefetcher); ok {
		var missing []string
		for _, r := range reqs {
			if n := names.Normalize(r.Name); s.pkgs[n] == nil && r.URL == "" {
				missing = append(missing, n)
			}
		}
		if len(missing) > 1 {
			pf.Prefetch(ctx, missing)
		}
	}
	key := depKey{pkg, v}
	s.deps[key] = nil
	for _, r := range reqs {
		if r.URL != "" {
			return nil, fmt.Errorf("%s: %w: %s", reqText(r, ""), errs.ErrInvalid, errDirectURL)
		}
		n := names.Normalize(r.Name)
		targets := []string{n}
		for _, e := range r.Extras {
			targets = append(targets, n+"["+names.Normalize(e)+"]")
		}
		for _, tgt := range targets {
			if tgt == pkg || tgt == info.base && pkg != rootPkg {
				continue
			}
			ti, err := s.load(ctx, tgt)
			if err != nil {
				return nil, err
			}
			if ti.missing && pkg == rootPkg {
				// Not a conflict: the request names a project the index does not have.
				return nil, &MissingError{Name: r.Name, Where: s.where()}
			}
			_, extra := splitExtra(tgt)
			set := s.setFor(ti, r.Specifiers)
			ic := &incompat{terms: []term{self}, kind: kindDependency, text: reqText(r, extra), dep: tgt, missing: ti.missing}
			if !set.empty() {
				// "not tgt∈∅" always holds and is left out.
				ic.terms = append(ic.terms, term{pkg: tgt, set: set, pos: false})
			}
			out = append(out, s.mergeDependency(ic))
		}
		s.deps[key] = append(s.deps[key], n)
	}
	return out, nil
}

// mergeDependency widens "pkg==v requires dep∈R" to "pkg∈S∪{v} requires dep∈R" when an
// earlier incompatibility says the same of the versions S of pkg, as pubgrub-rs does
// (merge_dependents): each version of S∪{v} requires dep∈R, so the wider incompatibility
// holds. It lets one line of an explanation say what every version of a range needs,
// instead of one line per version.
func (s *solver) mergeDependency(ic *incompat) *incompat {
	self := ic.terms[0]
	// The latest match is the widest: each merge adds to the one before.
	ics := s.ics[self.pkg]
	for i := len(ics) - 1; i >= 0; i-- {
		old := ics[i]
		if old.kind != kindDependency || old.dep != ic.dep || old.text != ic.text || old.missing != ic.missing ||
			len(old.terms) != len(ic.terms) || old.terms[0].pkg != self.pkg || !old.terms[0].pos {
			continue
		}
		if len(ic.terms) == 2 && (old.terms[1].pkg != ic.terms[1].pkg || !sameSet(old.terms[1].set, ic.terms[1].set)) {
			continue
		}
		merged := *ic
		merged.terms = append([]term{{pkg: self.pkg, set: old.terms[0].set.or(self.set), pos: true}}, ic.terms[1:]...)
		return &merged
	}
	return ic
}

func sameSet(a, b bitset) bool { return a.andNot(b).empty() && b.andNot(a).empty() }

// unusable records that version v of pkg (and of its base and extras) cannot be used.
func (s *solver) unusable(pkg string, v int, reason string) []*incompat {
	var set bitset
	set.add(v)
	base := s.pkgs[pkg].base
	s.pkgs[base].avail = s.pkgs[base].avail.andNot(set)
	var out []*incompat
	for _, name := range s.order {
		if info := s.pkgs[name]; info.base == base {
			info.avail = s.pkgs[base].avail
			ic := &incompat{terms: []term{{pkg: name, set: set, pos: true}}, kind: kindUnavailable, text: reason}
			if name == pkg {
				out = append(out, ic)
			} else {
				s.addIncompat(ic)
			}
		}
	}
	return out
}
