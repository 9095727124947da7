// Package versions implements PEP 440 versions and version specifiers.
//
// Version values are parsed once, printed in canonical (normalized) form by String, and
// totally ordered by Compare. Never sort versions as strings.
//
// Parsing follows the PEP 440 normalization rules exactly as the packaging library's
// Version does: case-insensitivity, a leading "v", optional "-", "_" or "." separators,
// the implicit post-release "1.0-1", the alternate spellings alpha, beta, c, pre,
// preview, rev and r, implicit numbers ("1.0a" is "1.0a0") and local labels whose
// separators become "." and whose numeric parts lose their leading zeros. Two
// deliberate differences: only ASCII letters are folded (packaging's IGNORECASE also
// folds the Kelvin sign and the long s), and numbers must fit in an int64 (packaging
// accepts any size); such inputs are rejected with an error wrapping errs.ErrInvalid.
package versions

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pydepot/pydepot/internal/errs"
)

// Version is a parsed PEP 440 version. The zero value is not a valid version.
type Version struct {
	epoch   int
	release []int
	preL    string // "a", "b", "rc"; "" when no pre-release segment
	preN    int
	post    int // -1 when absent
	dev     int // -1 when absent
	local   string
}

// Parse parses s (leading/trailing space and a leading "v" allowed). The error wraps errs.ErrInvalid.
func Parse(s string) (Version, error) {
	v, msg := parse(trimSpace(s))
	if msg != "" {
		return Version{}, fmt.Errorf("invalid version %q: %s: %w", s, msg, errs.ErrInvalid)
	}
	return v, nil
}

// MustParse is Parse that panics; for tests and constants.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// isPySpace reports whether r is white space for Python's str.strip and regex \s.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

func trimSpace(s string) string {
	return strings.TrimFunc(s, isPySpace)
}

// parser is a cursor over an ASCII-lower-cased version string.
type parser struct {
	s string
	i int
}

func (p *parser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSep(c byte) bool { return c == '-' || c == '_' || c == '.' }

// number reads a run of digits; ok is false when there is none. tooBig is set when the
// value does not fit in an int.
func (p *parser) number() (n int, ok, tooBig bool) {
	start := p.i
	for p.i < len(p.s) && isDigit(p.s[p.i]) {
		d := int(p.s[p.i] - '0')
		if n > (math.MaxInt64-d)/10 {
			tooBig = true
		} else {
			n = n*10 + d
		}
		p.i++
	}
	return n, p.i > start, tooBig
}

// label matches the longest of words at the cursor and advances past it.
func (p *parser) label(words ...string) string {
	best := ""
	for _, w := range words {
		if len(w) > len(best) && strings.HasPrefix(p.s[p.i:], w) {
			best = w
		}
	}
	p.i += len(best)
	return best
}

// labelled parses [sep] label [sep] [digits] for one of words. It returns the label
// ("" when absent, with the cursor unchanged) and the number (0 when implicit).
func (p *parser) labelled(words ...string) (string, int, string) {
	start := p.i
	if isSep(p.peek()) {
		p.i++
	}
	l := p.label(words...)
	if l == "" {
		p.i = start
		return "", 0, ""
	}
	if isSep(p.peek()) {
		p.i++
	}
	n, _, big := p.number()
	if big {
		return l, 0, "number too large"
	}
	return l, n, ""
}

func lowerASCII(s string) (string, bool) {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return "", false
		}
		if c >= 'A' && c <= 'Z' {
			if b == nil {
				b = []byte(s)
			}
			b[i] = c + 'a' - 'A'
		}
	}
	if b == nil {
		return s, true
	}
	return string(b), true
}

// parse parses a trimmed version; it returns a message saying what is wrong, or "".
func parse(s string) (Version, string) {
	ls, ok := lowerASCII(s)
	if !ok {
		return Version{}, "non-ASCII character"
	}
	p := parser{s: ls}
	v := Version{post: -1, dev: -1}
	if p.peek() == 'v' {
		p.i++
	}
	n, ok, big := p.number()
	if !ok {
		return Version{}, "must start with a number"
	}
	if big {
		return Version{}, "number too large"
	}
	if p.peek() == '!' {
		p.i++
		v.epoch = n
		if n, ok, big = p.number(); !ok {
			return Version{}, "no release number after the epoch"
		}
		if big {
			return Version{}, "number too large"
		}
	}
	v.release = append(make([]int, 0, 4), n)
	for p.peek() == '.' && p.i+1 < len(p.s) && isDigit(p.s[p.i+1]) {
		p.i++
		n, _, big = p.number()
		if big {
			return Version{}, "number too large"
		}
		v.release = append(v.release, n)
	}
	// Pre-release.
	l, n, msg := p.labelled("alpha", "a", "beta", "b", "preview", "pre", "c", "rc")
	if msg != "" {
		return Version{}, msg
	}
	switch l {
	case "alpha", "a":
		v.preL = "a"
	case "beta", "b":
		v.preL = "b"
	case "":
	default:
		v.preL = "rc"
	}
	v.preN = n
	// Post-release: "-N" or [sep] post|rev|r [sep] [N].
	if p.peek() == '-' && p.i+1 < len(p.s) && isDigit(p.s[p.i+1]) {
		p.i++
		n, _, big = p.number()
		if big {
			return Version{}, "number too large"
		}
		v.post = n
	} else {
		l, n, msg = p.labelled("post", "rev", "r")
		if msg != "" {
			return Version{}, msg
		}
		if l != "" {
			v.post = n
		}
	}
	// Development release.
	l, n, msg = p.labelled("dev")
	if msg != "" {
		return Version{}, msg
	}
	if l != "" {
		v.dev = n
	}
	// Local label.
	if p.peek() == '+' {
		p.i++
		local, msg := normalizeLocal(p.s[p.i:])
		if msg != "" {
			return Version{}, msg
		}
		v.local = local
		p.i = len(p.s)
	}
	if p.i != len(p.s) {
		return Version{}, fmt.Sprintf("unexpected %q", p.s[p.i:])
	}
	return v, ""
}

// normalizeLocal checks a lower-cased local label and returns it with "." separators and
// without leading zeros in numeric parts.
func normalizeLocal(s string) (string, string) {
	if s == "" {
		return "", "empty local label"
	}
	var b strings.Builder
	b.Grow(len(s))
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && !isSep(s[i]) {
			c := s[i]
			if !(isDigit(c) || (c >= 'a' && c <= 'z')) {
				return "", fmt.Sprintf("invalid character %q in local label", c)
			}
			continue
		}
		part := s[start:i]
		if part == "" {
			return "", "empty part in local label"
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		if allDigits(part) {
			part = strings.TrimLeft(part, "0")
			if part == "" {
				part = "0"
			}
		}
		b.WriteString(part)
		start = i + 1
	}
	return b.String(), ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// String returns the canonical normalized form ("1.0a1", "1!2.0.post1.dev3+abc.5").
func (v Version) String() string {
	if len(v.release) == 0 {
		return ""
	}
	b := make([]byte, 0, 16)
	if v.epoch != 0 {
		b = strconv.AppendInt(b, int64(v.epoch), 10)
		b = append(b, '!')
	}
	for i, r := range v.release {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendInt(b, int64(r), 10)
	}
	if v.preL != "" {
		b = append(b, v.preL...)
		b = strconv.AppendInt(b, int64(v.preN), 10)
	}
	if v.post >= 0 {
		b = append(b, ".post"...)
		b = strconv.AppendInt(b, int64(v.post), 10)
	}
	if v.dev >= 0 {
		b = append(b, ".dev"...)
		b = strconv.AppendInt(b, int64(v.dev), 10)
	}
	if v.local != "" {
		b = append(b, '+')
		b = append(b, v.local...)
	}
	return string(b)
}

// IsPrerelease reports a pre-release or dev release.
func (v Version) IsPrerelease() bool { return v.preL != "" || v.IsDevrelease() }

// IsPostrelease reports a post-release.
func (v Version) IsPostrelease() bool { return v.post >= 0 && !v.IsZero() }

// IsDevrelease reports a dev release.
func (v Version) IsDevrelease() bool { return v.dev >= 0 && !v.IsZero() }

// Epoch returns the epoch (0 when absent).
func (v Version) Epoch() int { return v.epoch }

// Release returns the release segment (a copy).
func (v Version) Release() []int { return append([]int(nil), v.release...) }

// Pre returns the pre-release label ("a", "b", "rc") and number; the label is "" when absent.
func (v Version) Pre() (string, int) { return v.preL, v.preN }

// Post returns the post-release number and whether there is one.
func (v Version) Post() (int, bool) { return max(v.post, 0), v.IsPostrelease() }

// Dev returns the dev-release number and whether there is one.
func (v Version) Dev() (int, bool) { return max(v.dev, 0), v.IsDevrelease() }

// Local returns the normalized local label, "" when absent.
func (v Version) Local() string { return v.local }

// Public returns v without its local label.
func (v Version) Public() Version {
	v.local = ""
	return v
}

// BaseVersion returns epoch and release only.
func (v Version) BaseVersion() Version {
	return Version{epoch: v.epoch, release: v.release, post: -1, dev: -1}
}

// IsZero reports whether v is the zero value (not a parsed version).
func (v Version) IsZero() bool { return len(v.release) == 0 }
