package resolver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/versions"
)

// rootPkg is the virtual package standing for the request.
const rootPkg = ""

type icKind int

const (
	kindRoot        icKind = iota // {not root}: the request must be solved
	kindDependency                // {pkg==v, not dep∈S}
	kindUnavailable               // {pkg∈S}: versions with no usable file
	kindConstraint                // {root, pkg∈¬C}
	kindDerived                   // learned from two causes
)

// incompat is a set of terms that must not all hold at once.
type incompat struct {
	terms  []term
	kind   icKind
	causes [2]*incompat
	text   string // dependency as written (kindDependency, kindConstraint) or the reason (kindUnavailable)
	// dep is the package a kindDependency requires; missing is set when its project does
	// not exist on the index.
	dep     string
	missing bool
}

type assignment struct {
	term     term
	level    int
	cause    *incompat // nil for a decision
	decision bool
}

type solver struct {
	p      Provider
	req    Request
	log    *slog.Logger
	pkgs   map[string]*pkgInfo
	order  []string // packages in order of first appearance, for deterministic decisions
	assign []assignment
	level  int
	acc    map[string]term
	chosen map[string]int // decided version index per package
	ics    map[string][]*incompat
	deps   map[depKey][]string
	pins   map[string][]versions.Specifier // exact root pins, for yanked files
	steps  int
}

type depKey struct {
	pkg string
	v   int
}

// Resolve finds one version of every package the request needs. See the package
// documentation for the rules and the error contract.
func Resolve(ctx context.Context, p Provider, req Request) (*Result, error) {
	s := &solver{
		p: p, req: req, log: req.Logger,
		pkgs:   map[string]*pkgInfo{},
		acc:    map[string]term{},
		chosen: map[string]int{},
		ics:    map[string][]*incompat{},
		deps:   map[depKey][]string{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.pkgs[rootPkg] = &pkgInfo{name: rootPkg, avail: bitset{1}}
	s.order = append(s.order, rootPkg)
	s.addIncompat(&incompat{terms: []term{{pkg: rootPkg, set: bitset{1}, pos: false}}, kind: kindRoot})
	if err := s.addConstraints(ctx); err != nil {
		return nil, err
	}
	next := rootPkg
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := s.propagate(next); err != nil {
			return nil, err
		}
		pkg, done, err := s.decide(ctx)
		if err != nil {
			return nil, err
		}
		if done {
			break
		}
		next = pkg
	}
	s.log.Debug("resolved", "steps", s.steps, "packages", len(s.chosen))
	return s.result(), nil
}

func (s *solver) addIncompat(ic *incompat) {
	for _, t := range ic.terms {
		s.ics[t.pkg] = append(s.ics[t.pkg], ic)
	}
}

func (s *solver) known(pkg string) term {
	if t, ok := s.acc[pkg]; ok {
		return t
	}
	return anyTerm(pkg)
}

// relation returns how the partial solution relates to ic and, when exactly one term is
// inconclusive, that term.
func (s *solver) relation(ic *incompat) (relation, *term) {
	var open *term
	for i := range ic.terms {
		switch relate(s.known(ic.terms[i].pkg), ic.terms[i]) {
		case relContradicted:
			return relContradicted, nil
		case relInconclusive:
			if open != nil {
				return relInconclusive, nil
			}
			open = &ic.terms[i]
		}
	}
	if open == nil {
		return relSatisfied, nil
	}
	return relInconclusive, open
}

func (s *solver) derive(t term, cause *incompat) {
	s.assign = append(s.assign, assignment{term: t, level: s.level, cause: cause})
	s.acc[t.pkg] = intersect(s.known(t.pkg), t)
}

func (s *solver) propagate(pkg string) error {
	changed := []string{pkg}
	for len(changed) > 0 {
		p := changed[len(changed)-1]
		changed = changed[:len(changed)-1]
		ics := s.ics[p]
		for i := len(ics) - 1; i >= 0; i-- {
			ic := ics[i]
			rel, open := s.relation(ic)
			if rel == relSatisfied {
				root, err := s.resolveConflict(ic)
				if err != nil {
					return err
				}
				rel, open = s.relation(root)
				if open == nil || rel != relInconclusive {
					return fmt.Errorf("resolver: internal error: learned clause is not almost satisfied")
				}
				s.derive(open.negate(), root)
				changed = []string{open.pkg}
				break
			}
			if open != nil {
				s.derive(open.negate(), ic)
				changed = append(changed, open.pkg)
			}
		}
	}
	return nil
}

// satisfier returns the index of the earliest assignment at which the assignments of
// t.pkg before it (intersected with start) satisfy t, or -1.
func (s *solver) satisfier(t term, start term, upto int) int {
	acc := start
	for i := 0; i < upto; i++ {
		a := s.assign[i]
		if a.term.pkg != t.pkg {
			continue
		}
		acc = intersect(acc, a.term)
		if subset(acc, t) {
			return i
		}
	}
	return -1
}

func isTerminal(ic *incompat) bool {
	return len(ic.terms) == 0 || (len(ic.terms) == 1 && ic.terms[0].pkg == rootPkg && ic.terms[0].pos)
}

func (s *solver) resolveConflict(ic *incompat) (*incompat, error) {
	learned := false
	for {
		s.steps++
		if isTerminal(ic) {
			return nil, s.conflictError(ic)
		}
		satIdx, satTerm := -1, term{}
		idx := make([]int, len(ic.terms))
		for i, t := range ic.terms {
			idx[i] = s.satisfier(t, anyTerm(t.pkg), len(s.assign))
			if idx[i] < 0 {
				return nil, fmt.Errorf("resolver: internal error: conflict term %q not satisfied", t.pkg)
			}
			if idx[i] > satIdx {
				satIdx, satTerm = idx[i], t
			}
		}
		sat := s.assign[satIdx]
		prevLevel := 1
		for i, t := range ic.terms {
			if t.pkg != satTerm.pkg {
				prevLevel = max(prevLevel, s.assign[idx[i]].level)
			}
		}
		if !subset(sat.term, satTerm) {
			if j := s.satisfier(satTerm, sat.term, satIdx); j >= 0 {
				prevLevel = max(prevLevel, s.assign[j].level)
			}
		}
		if sat.decision || prevLevel < sat.level {
			s.backtrack(prevLevel)
			if learned {
				s.addIncompat(ic)
			}
			return ic, nil
		}
		var terms []term
		merge := func(t term) {
			for i := range terms {
				if terms[i].pkg == t.pkg {
					terms[i] = intersect(terms[i], t)
					return
				}
			}
			terms = append(terms, t)
		}
		for _, t := range ic.terms {
			if t.pkg != satTerm.pkg {
				merge(t)
			}
		}
		for _, t := range sat.cause.terms {
			if t.pkg != satTerm.pkg {
				merge(t)
			}
		}
		if !subset(sat.term, satTerm) {
			merge(intersect(sat.term, satTerm.negate()).negate())
		}
		kept := terms[:0]
		for _, t := range terms {
			if t.pos || !t.set.empty() {
				kept = append(kept, t)
			}
		}
		terms = kept
		ic = &incompat{terms: terms, kind: kindDerived, causes: [2]*incompat{ic, sat.cause}}
		learned = true
	}
}

func (s *solver) backtrack(level int) {
	n := 0
	for n < len(s.assign) && s.assign[n].level <= level {
		n++
	}
	s.assign = s.assign[:n]
	s.level = level
	clear(s.acc)
	clear(s.chosen)
	for _, a := range s.assign {
		s.acc[a.term.pkg] = intersect(s.known(a.term.pkg), a.term)
		if a.decision {
			s.chosen[a.term.pkg] = a.term.set.highest()
		}
	}
}

// decide picks the next package (the one with the fewest acceptable versions) and its
// newest acceptable version. done is true when every required package is decided.
func (s *solver) decide(ctx context.Context) (string, bool, error) {
	best, bestN := "", -1
	for _, pkg := range s.order {
		t, ok := s.acc[pkg]
		if !ok || !t.pos {
			continue
		}
		if _, ok := s.chosen[pkg]; ok {
			continue
		}
		n := t.set.and(s.pkgs[pkg].avail).count()
		if bestN < 0 || n < bestN {
			best, bestN = pkg, n
		}
	}
	if bestN < 0 {
		return "", true, nil
	}
	set := s.acc[best].set.and(s.pkgs[best].avail)
	v := set.highest()
	if v < 0 {
		// Nothing left: record it so propagation finds the conflict.
		s.addIncompat(&incompat{terms: []term{{pkg: best, set: s.acc[best].set, pos: true}}, kind: kindUnavailable, text: "has no usable file"})
		return best, false, nil
	}
	return s.decideVersion(ctx, best, v)
}

func (s *solver) decideVersion(ctx context.Context, pkg string, v int) (string, bool, error) {
	ics, err := s.dependencies(ctx, pkg, v)
	if err != nil {
		return "", false, err
	}
	conflict := false
	for _, ic := range ics {
		s.addIncompat(ic)
		all := true
		for _, t := range ic.terms {
			if t.pkg != pkg && relate(s.known(t.pkg), t) != relSatisfied {
				all = false
				break
			}
		}
		conflict = conflict || all
	}
	if !conflict {
		s.level++
		var set bitset
		set.add(v)
		t := term{pkg: pkg, set: set, pos: true}
		s.assign = append(s.assign, assignment{term: t, level: s.level, decision: true})
		s.acc[pkg] = intersect(s.known(pkg), t)
		s.chosen[pkg] = v
	}
	return pkg, false, nil
}

// conflictError renders the derivation of the terminal incompatibility.
func (s *solver) conflictError(ic *incompat) error {
	lines := s.explain(ic)
	return &ConflictError{Lines: lines}
}

// Error returns the explanation.
func (e *ConflictError) Error() string {
	return "cannot resolve the requirements:\n  " + strings.Join(e.Lines, "\n  ")
}

// Unwrap makes errors.Is(err, errs.ErrConflict) true.
func (e *ConflictError) Unwrap() error { return errs.ErrConflict }

func (s *solver) result() *Result {
	res := &Result{}
	extras := map[string][]string{}
	for pkg := range s.chosen {
		if base, extra, ok := strings.Cut(pkg, "["); ok {
			extras[base] = append(extras[base], strings.TrimSuffix(extra, "]"))
		}
	}
	for pkg, v := range s.chosen {
		if pkg == rootPkg || strings.Contains(pkg, "[") {
			continue
		}
		info := s.pkgs[pkg]
		c := info.cands[v]
		pin := Pin{Name: pkg, Version: c.Version, File: c.Files[info.file[v]], Extras: extras[pkg]}
		sort.Strings(pin.Extras)
		seen := map[string]bool{}
		for _, from := range append([]string{pkg}, prefixed(pkg, pin.Extras)...) {
			for _, d := range s.deps[depKey{from, v}] {
				if d != pkg && !seen[d] {
					seen[d] = true
					pin.Dependencies = append(pin.Dependencies, d)
				}
			}
		}
		sort.Strings(pin.Dependencies)
		res.Pins = append(res.Pins, pin)
	}
	sort.Slice(res.Pins, func(i, j int) bool { return res.Pins[i].Name < res.Pins[j].Name })
	seen := map[string]bool{}
	for _, d := range s.deps[depKey{rootPkg, 0}] {
		if !seen[d] {
			seen[d] = true
			res.Roots = append(res.Roots, d)
		}
	}
	sort.Strings(res.Roots)
	return res
}

func prefixed(pkg string, extras []string) []string {
	out := make([]string, len(extras))
	for i, e := range extras {
		out[i] = pkg + "[" + e + "]"
	}
	return out
}

var errDirectURL = errors.New("direct URL requirements are not supported by the resolver")
