// Package requirements parses PEP 508 dependency specifiers and requirements.txt files.
//
// The PEP 508 grammar follows the packaging library's hand-written parser:
//
//	requirement = WS? NAME WS? extras? WS? (("@" WS? URL (WS (";" marker)?)?) | (specifier WS? (";" marker)?))
//	extras      = "[" WS? (NAME (WS? "," WS? NAME)*)? WS? "]"
//	specifier   = "(" WS? clauses WS? ")" | WS? clauses WS?
//	clauses     = (clause (WS? "," WS? clause)*)?
//
// A URL runs to the next space or tab, so a marker after a URL needs a space before ";".
package requirements

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/markers"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/versions"
)

// Requirement is one PEP 508 dependency specifier.
type Requirement struct {
	Name       string // as written
	Extras     []string
	Specifiers versions.SpecifierSet
	URL        string // for "name @ url"
	Marker     markers.Marker
}

// The version part of one specifier clause, per operator (packaging's Specifier regex,
// split by operator because RE2 has no look-behind).
const (
	preRe   = `(?:[-_\.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_\.]?[0-9]*)?`
	postRe  = `(?:(?:-[0-9]+)|(?:[-_\.]?(?:post|rev|r)[-_\.]?[0-9]*))?`
	devRe   = `(?:[-_\.]?dev[-_\.]?[0-9]*)?`
	localRe = `(?:\+[a-z0-9]+(?:[-_\.][a-z0-9]+)*)?`
)

// clausePatterns are compiled on first use, not at every start of the binary (`pydepot
// run` starts once per cluster task and never parses a requirement).
type clausePatterns struct {
	arbitrary, equality, compat, ordered, localTrail *regexp.Regexp
}

var patterns = sync.OnceValue(func() *clausePatterns {
	return &clausePatterns{
		arbitrary:  regexp.MustCompile(`^\s*[^\s;)]*`),
		equality:   regexp.MustCompile(`(?i)^\s*v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*(?:\.\*|` + preRe + postRe + devRe + localRe + `)?`),
		compat:     regexp.MustCompile(`(?i)^\s*v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)+` + preRe + postRe + devRe),
		ordered:    regexp.MustCompile(`(?i)^\s*v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*` + preRe + postRe + devRe),
		localTrail: regexp.MustCompile(`^\+[a-z0-9]+(?:[-_\.][a-z0-9]+)*`),
	}
})

// Parse parses a PEP 508 string such as `requests[socks]>=2; python_version>"3.7"`.
// Errors wrap errs.ErrInvalid.
func Parse(s string) (Requirement, error) {
	p := &rparser{s: s}
	var r Requirement
	p.ws()
	name := p.identifier()
	if name == "" {
		return r, p.errorf("expected package name at the start of dependency specifier")
	}
	r.Name = name
	p.ws()
	if p.peek('[') {
		p.pos++
		p.ws()
		if x := p.identifier(); x != "" {
			r.Extras = appendUnique(r.Extras, x)
			for {
				p.ws()
				if p.identifierAhead() {
					return r, p.errorf("expected comma between extra names")
				}
				if !p.peek(',') {
					break
				}
				p.pos++
				p.ws()
				x := p.identifier()
				if x == "" {
					return r, p.errorf("expected extra name after comma")
				}
				r.Extras = appendUnique(r.Extras, x)
			}
		}
		p.ws()
		if !p.peek(']') {
			return r, p.errorf("expected ']' closing the extras")
		}
		p.pos++
	}
	p.ws()
	if p.peek('@') {
		p.pos++
		p.ws()
		start := p.pos
		for p.pos < len(p.s) && p.s[p.pos] != ' ' && p.s[p.pos] != '\t' {
			p.pos++
		}
		if p.pos == start {
			return r, p.errorf("expected URL after @")
		}
		r.URL = p.s[start:p.pos]
		if p.pos == len(p.s) {
			return r, nil
		}
		p.ws()
		if p.pos == len(p.s) {
			return r, nil
		}
		if !p.peek(';') {
			return r, p.errorf("expected end or semicolon after URL and whitespace")
		}
	} else {
		spec, err := p.specifier()
		if err != nil {
			return r, err
		}
		if spec != "" {
			ss, err := versions.ParseSpecifiers(spec)
			if err != nil {
				return r, fmt.Errorf("invalid requirement %q: %w", s, err)
			}
			r.Specifiers = ss
		}
		p.ws()
		if p.pos == len(p.s) {
			return r, nil
		}
		if !p.peek(';') {
			if spec == "" {
				return r, p.errorf("expected end or semicolon after name and no valid version specifier")
			}
			return r, p.errorf("expected end or semicolon after version specifier")
		}
	}
	p.pos++ // ';'
	rest := p.s[p.pos:]
	if strings.Trim(rest, " \t") == "" {
		return r, p.errorf("expected a marker after ';'")
	}
	m, err := markers.Parse(rest)
	if err != nil {
		return r, fmt.Errorf("invalid requirement %q: %w", s, err)
	}
	r.Marker = m
	return r, nil
}

// MustParse is Parse that panics; for tests and constants.
func MustParse(s string) Requirement {
	r, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return r
}

// NormalizedName returns the PEP 503 normalized project name.
func (r Requirement) NormalizedName() string { return names.Normalize(r.Name) }

// String returns the requirement in canonical form: the name as written, sorted extras,
// the specifiers, " @ url", and "; marker" in canonical form.
func (r Requirement) String() string {
	var b strings.Builder
	b.WriteString(r.Name)
	if len(r.Extras) > 0 {
		ex := slices.Clone(r.Extras)
		slices.Sort(ex)
		b.WriteByte('[')
		b.WriteString(strings.Join(ex, ","))
		b.WriteByte(']')
	}
	if len(r.Specifiers) > 0 {
		b.WriteString(r.Specifiers.String())
	}
	if r.URL != "" {
		b.WriteString(" @ ")
		b.WriteString(r.URL)
		if !r.Marker.IsZero() {
			b.WriteByte(' ')
		}
	}
	if !r.Marker.IsZero() {
		b.WriteString("; ")
		b.WriteString(r.Marker.String())
	}
	return b.String()
}

// MarshalText returns String, so that a Requirement encodes as a JSON string.
func (r Requirement) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText parses text with Parse.
func (r *Requirement) UnmarshalText(text []byte) error {
	p, err := Parse(string(text))
	if err != nil {
		return err
	}
	*r = p
	return nil
}

func appendUnique(xs []string, x string) []string {
	if slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}

type rparser struct {
	s   string
	pos int
}

func (p *rparser) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid requirement %q at position %d: %s: %w", p.s, p.pos, fmt.Sprintf(format, args...), errs.ErrInvalid)
}

func (p *rparser) peek(c byte) bool { return p.pos < len(p.s) && p.s[p.pos] == c }

func (p *rparser) ws() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

func isWord(c byte) bool {
	return c == '_' || isAlnum(c)
}

func isAlnum(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// identifierEnd returns the end of the regexp \b[a-zA-Z0-9][a-zA-Z0-9._-]*\b matched at
// the current position, or -1.
func (p *rparser) identifierEnd() int {
	s, i := p.s, p.pos
	if i >= len(s) || !isAlnum(s[i]) || (i > 0 && isWord(s[i-1])) {
		return -1
	}
	j := i + 1
	for j < len(s) && (isAlnum(s[j]) || s[j] == '.' || s[j] == '_' || s[j] == '-') {
		j++
	}
	for ; j > i; j-- {
		after := j < len(s) && isWord(s[j])
		if isWord(s[j-1]) != after {
			return j
		}
	}
	return -1
}

func (p *rparser) identifierAhead() bool { return p.identifierEnd() >= 0 }

func (p *rparser) identifier() string {
	end := p.identifierEnd()
	if end < 0 {
		return ""
	}
	id := p.s[p.pos:end]
	p.pos = end
	return id
}

// specifier reads the optional specifier list, with or without parentheses, and
// returns its text.
func (p *rparser) specifier() (string, error) {
	paren := p.peek('(')
	open := p.pos
	if paren {
		p.pos++
	}
	p.ws()
	var b strings.Builder
	for {
		start := p.pos
		n := p.clause()
		if n < 0 {
			break
		}
		p.pos += n
		b.WriteString(p.s[start:p.pos])
		if strings.HasPrefix(p.s[p.pos:], ".*") {
			return "", p.errorf(".* suffix can only be used with == or != operators")
		}
		if patterns().localTrail.MatchString(p.s[p.pos:]) {
			return "", p.errorf("local version label can only be used with == or != operators")
		}
		p.ws()
		if !p.peek(',') {
			break
		}
		p.pos++
		b.WriteByte(',')
		p.ws()
	}
	p.ws()
	if paren {
		if !p.peek(')') {
			return "", p.errorf("expected ')' matching '(' at position %d, after version specifier", open)
		}
		p.pos++
	}
	return b.String(), nil
}

// clause returns the length of the specifier clause at the current position, or -1.
func (p *rparser) clause() int {
	rest := p.s[p.pos:]
	for _, op := range []string{"===", "~=", "==", "!=", "<=", ">=", "<", ">"} {
		if !strings.HasPrefix(rest, op) {
			continue
		}
		pat := patterns()
		re := pat.ordered
		switch op {
		case "===":
			re = pat.arbitrary
		case "==", "!=":
			re = pat.equality
		case "~=":
			re = pat.compat
		}
		if loc := re.FindStringIndex(rest[len(op):]); loc != nil {
			return len(op) + loc[1]
		}
	}
	return -1
}
