// Package tags implements wheel compatibility tags (PEP 425, PEP 600 manylinux, PEP 656
// musllinux) and the check of a wheel's tags against a target interpreter and platform.
//
// Target.Tags reproduces packaging.tags.sys_tags (packaging 22 and later) for the
// described interpreter, so that a wheel chosen here is the one pip would choose there.
package tags

import (
	"fmt"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
)

// Tag is one interpreter-abi-platform triple, e.g. {"cp311", "cp311", "manylinux_2_17_x86_64"}.
type Tag struct {
	Interpreter string
	ABI         string
	Platform    string
}

// String returns "interpreter-abi-platform".
func (t Tag) String() string { return t.Interpreter + "-" + t.ABI + "-" + t.Platform }

// Limits of ParseSet. A compressed tag set expands to the product of its parts' counts,
// so a short string can stand for a huge set ("py0.py1...-a0.a1...-p0.p1..." of 7 KB is
// billions of tags); both the length and the product are checked before anything is
// built. Real wheels use a few tags (numpy's manylinux wheels: 2; universal macOS
// wheels: 3), so the caps are far above any real use.
const (
	MaxSetLength = 255 // bytes, as a file name is at most 255 bytes on common file systems
	MaxSetTags   = 256 // tags after expansion
)

// ParseSet expands a compressed tag set such as "py2.py3-none-any" into its tags.
// Errors wrap errs.ErrInvalid; a set longer than MaxSetLength or expanding to more than
// MaxSetTags tags is refused before it is expanded, and the error names the limit.
//
// The parts are lower-cased, as packaging's Tag does, and expanded in packaging's order
// (interpreters, then ABIs, then platforms). Each part must be non-empty and made of
// ASCII letters, digits and "_".
func ParseSet(s string) ([]Tag, error) {
	if len(s) > MaxSetLength {
		return nil, fmt.Errorf("invalid tag set %q: %d bytes, over the limit of %d bytes: %w", shorten(s), len(s), MaxSetLength, errs.ErrInvalid)
	}
	if t, ok := singleTag(s); ok {
		return []Tag{t}, nil
	}
	parts := strings.Split(s, "-")
	if len(parts) != 3 {
		return nil, fmt.Errorf("invalid tag set %q: want interpreter-abi-platform: %w", s, errs.ErrInvalid)
	}
	n := 1
	for _, p := range parts {
		n *= strings.Count(p, ".") + 1 // bounded by the length: no overflow
	}
	if n > MaxSetTags {
		return nil, fmt.Errorf("invalid tag set %q: it expands to %d tags, over the limit of %d tags: %w", shorten(s), n, MaxSetTags, errs.ErrInvalid)
	}
	var fields [3][]string
	for i, p := range parts {
		for f := range strings.SplitSeq(strings.ToLower(p), ".") {
			if !validTagPart(f) {
				return nil, fmt.Errorf("invalid tag set %q: bad %s tag %q: %w", s, [3]string{"interpreter", "abi", "platform"}[i], f, errs.ErrInvalid)
			}
			fields[i] = append(fields[i], f)
		}
	}
	out := make([]Tag, 0, n)
	for _, in := range fields[0] {
		for _, abi := range fields[1] {
			for _, pl := range fields[2] {
				out = append(out, Tag{in, abi, pl})
			}
		}
	}
	return out, nil
}

// singleTag is the tag of s when s is a valid set of one tag, already lower-case (as
// nearly every wheel's, "py3-none-any"): the fast path of ParseSet, which makes one
// allocation for it rather than six (a sync parses each file's name several times).
func singleTag(s string) (Tag, bool) {
	in, rest, ok1 := strings.Cut(s, "-")
	abi, pl, ok2 := strings.Cut(rest, "-")
	if !ok1 || !ok2 || !validTagPart(in) || !validTagPart(abi) || !validTagPart(pl) {
		return Tag{}, false // a '.' or '-' left in a part is not valid: the slow path decides
	}
	return Tag{in, abi, pl}, true
}

// shorten returns s, or its first 60 bytes and "..." when it is longer: how an error
// quotes a string that may be huge.
func shorten(s string) string {
	if len(s) <= 64 {
		return s
	}
	return strings.ToValidUTF8(s[:60], "") + "..."
}

func validTagPart(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Target describes the interpreter and platform that wheels are chosen for.
type Target struct {
	Implementation string // "cp" (CPython), "pp"
	Major, Minor   int    // 3, 11
	ABIFlags       string // "" normally, "t" for free-threaded builds
	OS             string // "linux", "macos", "windows"
	Arch           string // "x86_64", "aarch64", "i686", ...
	Libc           string // "glibc" or "musl" (linux only)
	LibcMajor      int
	LibcMinor      int

	// OSMajor and OSMinor are the macOS version (14, 0 or 10, 15); 0, 0 means 11.0.
	OSMajor, OSMinor int
	// ABI is the interpreter's own ABI tag for implementations other than CPython
	// (e.g. "pypy310_pp73"); for CPython it is derived from the version and ABIFlags.
	ABI string
}

// PythonTag returns the interpreter tag, e.g. "cp311" or "pp310".
func (t Target) PythonTag() string {
	impl := t.Implementation
	if impl == "" {
		impl = "cp"
	}
	return fmt.Sprintf("%s%d%d", impl, t.Major, t.Minor)
}

// ABITags returns the interpreter's own ABI tags, most specific first: "cp311";
// "cp37m" for CPython before 3.8 (pymalloc); "cp311d", "cp311" for a debug build
// (ABIFlags "d"); "cp313t" for a free-threaded one. abi3 and none are not included.
func (t Target) ABITags() []string {
	if !t.isCPython() {
		if t.ABI == "" || t.ABI == "none" {
			return nil
		}
		return []string{t.ABI}
	}
	if t.ABI != "" {
		return []string{t.ABI}
	}
	ver := fmt.Sprintf("%d%d", t.Major, t.Minor)
	threading := ""
	if strings.Contains(t.ABIFlags, "t") {
		threading = "t"
	}
	debug := ""
	if strings.Contains(t.ABIFlags, "d") {
		debug = "d"
	}
	if t.Major == 3 && t.Minor < 8 {
		return []string{"cp" + ver + debug + "m"}
	}
	if debug != "" {
		return []string{"cp" + ver + threading + debug, "cp" + ver + threading}
	}
	return []string{"cp" + ver + threading}
}

func (t Target) isCPython() bool { return t.Implementation == "" || t.Implementation == "cp" }

// abi3 reports whether the stable ABI applies: CPython 3.2 and later, not free-threaded.
func (t Target) abi3() bool {
	return t.isCPython() && (t.Major > 3 || t.Major == 3 && t.Minor >= 2) && !strings.Contains(t.ABIFlags, "t")
}

// Tags returns every tag the target supports, most preferred first (as packaging.tags.sys_tags
// orders them): the interpreter's own ABI, abi3 back to 3.2, none, then py3X/py3 generic,
// across manylinux_2_N (N from LibcMinor down to 5, with the legacy manylinux1/2010/2014 aliases),
// musllinux_1_N, linux_<arch>, and any.
//
// manylinux goes down to 2_5 on x86_64 and i686 and to 2_17 on other architectures, as
// packaging does.
func (t Target) Tags() []Tag {
	plats := t.Platforms()
	interp := t.PythonTag()
	var out []Tag
	add := func(in, abi string) {
		for _, p := range plats {
			out = append(out, Tag{in, abi, p})
		}
	}
	if t.isCPython() {
		for _, abi := range t.ABITags() {
			add(interp, abi)
		}
		if t.abi3() {
			add(interp, "abi3")
		}
		add(interp, "none")
		if t.abi3() {
			for m := t.Minor - 1; m > 1; m-- {
				add(fmt.Sprintf("cp%d%d", t.Major, m), "abi3")
			}
		}
	} else {
		for _, abi := range t.ABITags() {
			add(interp, abi)
		}
		add(interp, "none")
	}
	// packaging's compatible_tags.
	pys := t.pyRange()
	for _, py := range pys {
		add(py, "none")
	}
	switch {
	case t.isCPython():
		out = append(out, Tag{interp, "none", "any"})
	case t.Implementation == "pp":
		out = append(out, Tag{fmt.Sprintf("pp%d", t.Major), "none", "any"})
	}
	for _, py := range pys {
		out = append(out, Tag{py, "none", "any"})
	}
	return out
}

// pyRange is packaging's _py_interpreter_range: py311, py3, py310, ..., py30.
func (t Target) pyRange() []string {
	out := []string{fmt.Sprintf("py%d%d", t.Major, t.Minor), fmt.Sprintf("py%d", t.Major)}
	for m := t.Minor - 1; m >= 0; m-- {
		out = append(out, fmt.Sprintf("py%d%d", t.Major, m))
	}
	return out
}

// Rank returns the position of the best of wheelTags in t.Tags() (lower is better) and
// whether any of them is supported at all. To rank many wheels, build a Supported once.
func (t Target) Rank(wheelTags []Tag) (int, bool) {
	return t.Supported().Rank(wheelTags)
}

// Supported is a target's tag list indexed for ranking many wheels.
type Supported struct {
	pos map[Tag]int
}

// Supported indexes t.Tags().
func (t Target) Supported() Supported {
	tags := t.Tags()
	s := Supported{pos: make(map[Tag]int, len(tags))}
	for i, tag := range tags {
		if _, dup := s.pos[tag]; !dup {
			s.pos[tag] = i
		}
	}
	return s
}

// Rank returns the position of the best of wheelTags (lower is better) and whether any
// is supported. Tags are compared in lower case.
func (s Supported) Rank(wheelTags []Tag) (int, bool) {
	best, ok := 0, false
	for _, tag := range wheelTags {
		tag = Tag{strings.ToLower(tag.Interpreter), strings.ToLower(tag.ABI), strings.ToLower(tag.Platform)}
		if p, found := s.pos[tag]; found && (!ok || p < best) {
			best, ok = p, true
		}
	}
	return best, ok
}

// Compatible reports whether any of wheelTags is supported.
func (s Supported) Compatible(wheelTags []Tag) bool {
	_, ok := s.Rank(wheelTags)
	return ok
}
