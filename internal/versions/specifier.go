package versions

// Specifier is one PEP 440 clause: an operator (~=, ==, !=, <=, >=, <, >, ===) and a version
// (which may end in ".*" for == and !=).
type Specifier struct {
	Op      string
	Version string // as written, normalized where it parses
}

// ParseSpecifier parses one clause such as ">=1.0" or "==1.*". Errors wrap errs.ErrInvalid.
func ParseSpecifier(s string) (Specifier, error) { panic("unimplemented") }

// Contains reports whether v satisfies this clause alone, ignoring pre-release policy.
func (s Specifier) Contains(v Version) bool { panic("unimplemented") }

// String returns the clause in canonical form.
func (s Specifier) String() string { panic("unimplemented") }

// SpecifierSet is a comma-separated conjunction of clauses; empty matches every version.
type SpecifierSet []Specifier

// ParseSpecifiers parses "", ">=1,<2", "~= 1.4.5" etc. Errors wrap errs.ErrInvalid.
func ParseSpecifiers(s string) (SpecifierSet, error) { panic("unimplemented") }

// String joins the clauses with "," in a stable order.
func (ss SpecifierSet) String() string { panic("unimplemented") }

// Contains reports whether v satisfies every clause. Pre-releases match only when
// prereleases is true or some clause names a pre-release version (PEP 440 rules).
func (ss SpecifierSet) Contains(v Version, prereleases bool) bool { panic("unimplemented") }

// AllowsPrereleases reports whether some clause names a pre-release, which opts in to them.
func (ss SpecifierSet) AllowsPrereleases() bool { panic("unimplemented") }

// Filter returns the versions in vs that satisfy ss, keeping order. As pip does, when no
// final release matches, matching pre-releases are returned.
func (ss SpecifierSet) Filter(vs []Version) []Version { panic("unimplemented") }
