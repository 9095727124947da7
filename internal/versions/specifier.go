package versions

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
)

// Specifier is one PEP 440 clause: an operator (~=, ==, !=, <=, >=, <, >, ===) and a version
// (which may end in ".*" for == and !=).
type Specifier struct {
	Op      string
	Version string // as written, normalized where it parses
}

// operators in the order they must be tried (longest first).
var operators = [...]string{"===", "~=", "==", "!=", "<=", ">=", "<", ">"}

// ParseSpecifier parses one clause such as ">=1.0" or "==1.*". Errors wrap errs.ErrInvalid.
//
// The grammar is packaging's: local labels only with == and !=, the ".*" wildcard only
// with == and != and directly after the release segment, at least two release numbers
// with ~=, and anything without white space after ===.
func ParseSpecifier(s string) (Specifier, error) {
	spec, msg := parseSpecifier(trimSpace(s))
	if msg != "" {
		return Specifier{}, fmt.Errorf("invalid version specifier %q: %s: %w", s, msg, errs.ErrInvalid)
	}
	return spec, nil
}

func parseSpecifier(s string) (Specifier, string) {
	op := ""
	for _, o := range operators {
		if strings.HasPrefix(s, o) {
			op = o
			break
		}
	}
	if op == "" {
		return Specifier{}, "no operator (one of ~=, ==, !=, <=, >=, <, >, ===)"
	}
	rest := strings.TrimLeftFunc(s[len(op):], isPySpace)
	if rest == "" {
		return Specifier{}, "no version after " + op
	}
	if op == "===" {
		if strings.ContainsFunc(rest, func(r rune) bool { return isPySpace(r) || r == ';' || r == ')' }) {
			return Specifier{}, "white space, ';' or ')' in an arbitrary version"
		}
		return Specifier{Op: op, Version: rest}, ""
	}
	if prefix, ok := strings.CutSuffix(rest, ".*"); ok {
		if op != "==" && op != "!=" {
			return Specifier{}, "a .* wildcard is allowed only with == and !="
		}
		v, msg := parse(prefix)
		if msg != "" {
			return Specifier{}, msg
		}
		if v.preL != "" || v.post >= 0 || v.dev >= 0 || v.local != "" || !endsInDigit(prefix) {
			return Specifier{}, "a .* wildcard must follow the release segment directly"
		}
		return Specifier{Op: op, Version: v.String() + ".*"}, ""
	}
	v, msg := parse(rest)
	if msg != "" {
		return Specifier{}, msg
	}
	if v.local != "" && op != "==" && op != "!=" {
		return Specifier{}, "a local version label is allowed only with == and !="
	}
	if op == "~=" && len(v.release) < 2 {
		return Specifier{}, "~= needs at least two release numbers"
	}
	return Specifier{Op: op, Version: v.String()}, ""
}

func endsInDigit(s string) bool { return s != "" && isDigit(s[len(s)-1]) }

// wildcard reports whether the clause is a prefix match (==X.* or !=X.*).
func (s Specifier) wildcard() bool {
	return (s.Op == "==" || s.Op == "!=") && strings.HasSuffix(s.Version, ".*")
}

// version parses the clause's version (without a wildcard suffix).
func (s Specifier) version() (Version, bool) {
	vs := s.Version
	if s.wildcard() {
		vs = vs[:len(vs)-2]
	}
	v, msg := parse(trimSpace(vs))
	return v, msg == ""
}

// Contains reports whether v satisfies this clause alone, ignoring pre-release policy.
func (s Specifier) Contains(v Version) bool {
	if v.IsZero() {
		return false
	}
	if s.Op == "===" {
		return v.String() == strings.ToLower(s.Version)
	}
	sv, ok := s.version()
	if !ok {
		return false
	}
	switch s.Op {
	case "==":
		return s.equal(v, sv)
	case "!=":
		return !s.equal(v, sv)
	case "<=":
		return v.Public().Compare(sv) <= 0
	case ">=":
		return v.Public().Compare(sv) >= 0
	case "<":
		if v.Compare(sv) >= 0 {
			return false
		}
		// <V excludes pre-releases of V unless V itself is one.
		return sv.IsPrerelease() || !v.IsPrerelease() || !sameBase(v, sv)
	case ">":
		if v.Compare(sv) <= 0 {
			return false
		}
		// >V excludes post-releases of V unless V is one, and local versions of V.
		if !sv.IsPostrelease() && v.IsPostrelease() && sameBase(v, sv) {
			return false
		}
		return v.local == "" || !sameBase(v, sv)
	case "~=":
		return v.Public().Compare(sv) >= 0 && prefixMatch(v, sv.epoch, sv.release[:len(sv.release)-1])
	}
	return false
}

func (s Specifier) equal(v, sv Version) bool {
	if s.wildcard() {
		return prefixMatch(v, sv.epoch, sv.release)
	}
	if sv.local == "" {
		v = v.Public()
	}
	return v.Compare(sv) == 0
}

func sameBase(v, w Version) bool {
	return v.epoch == w.epoch && compareRelease(v.release, w.release) == 0
}

// prefixMatch reports whether v has the given epoch and its release, padded with zeros,
// starts with prefix.
func prefixMatch(v Version, epoch int, prefix []int) bool {
	if v.epoch != epoch {
		return false
	}
	for i, p := range prefix {
		r := 0
		if i < len(v.release) {
			r = v.release[i]
		}
		if r != p {
			return false
		}
	}
	return true
}

// String returns the clause in canonical form.
func (s Specifier) String() string { return s.Op + s.Version }

// allowsPrereleases reports whether the clause is inclusive and names a pre-release.
func (s Specifier) allowsPrereleases() bool {
	switch s.Op {
	case "==", ">=", "<=", "~=", "===":
		v, ok := s.version()
		return ok && v.IsPrerelease()
	}
	return false
}

// SpecifierSet is a comma-separated conjunction of clauses; empty matches every version.
type SpecifierSet []Specifier

// ParseSpecifiers parses "", ">=1,<2", "~= 1.4.5" etc. Errors wrap errs.ErrInvalid.
// Empty items between commas are ignored, as packaging does.
func ParseSpecifiers(s string) (SpecifierSet, error) {
	var ss SpecifierSet
	for item := range strings.SplitSeq(s, ",") {
		if trimSpace(item) == "" {
			continue
		}
		spec, err := ParseSpecifier(item)
		if err != nil {
			return nil, err
		}
		ss = append(ss, spec)
	}
	return ss, nil
}

// String joins the clauses with "," in a stable order (sorted, duplicates removed, as
// packaging prints a SpecifierSet).
func (ss SpecifierSet) String() string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.String()
	}
	slices.Sort(parts)
	return strings.Join(slices.Compact(parts), ",")
}

// Contains reports whether v satisfies every clause. Pre-releases match only when
// prereleases is true or some clause names a pre-release version (PEP 440 rules).
func (ss SpecifierSet) Contains(v Version, prereleases bool) bool {
	if v.IsPrerelease() && !prereleases && !ss.AllowsPrereleases() {
		return false
	}
	return ss.matches(v)
}

// matches reports whether every clause contains v, ignoring pre-release policy.
func (ss SpecifierSet) matches(v Version) bool {
	for _, s := range ss {
		if !s.Contains(v) {
			return false
		}
	}
	return !v.IsZero()
}

// AllowsPrereleases reports whether some clause names a pre-release, which opts in to them.
func (ss SpecifierSet) AllowsPrereleases() bool {
	for _, s := range ss {
		if s.allowsPrereleases() {
			return true
		}
	}
	return false
}

// Filter returns the versions in vs that satisfy ss, keeping order. As pip does, when no
// final release matches, matching pre-releases are returned.
//
// This is the PEP 440 rule applied to the whole set. packaging's SpecifierSet.filter
// applies it clause by clause, so that ">=1.0" over only "2.0a1" gives nothing there
// and "2.0a1" here; for an empty set and a single clause both agree.
func (ss SpecifierSet) Filter(vs []Version) []Version {
	allow := ss.AllowsPrereleases()
	var finals, pres []Version
	for _, v := range vs {
		if !ss.matches(v) {
			continue
		}
		if v.IsPrerelease() && !allow {
			pres = append(pres, v)
		} else {
			finals = append(finals, v)
		}
	}
	if len(finals) == 0 {
		return pres
	}
	return finals
}
