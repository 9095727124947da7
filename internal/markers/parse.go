package markers

import (
	"fmt"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/names"
)

// maxDepth bounds parenthesis nesting so that hostile input cannot exhaust the stack.
const maxDepth = 100

// variables maps every accepted spelling to its canonical name. Longer spellings that
// share a prefix are tried first by matchVariable.
var variableSpellings = []struct{ spelling, canonical string }{
	{"python_version", "python_version"},
	{"python_full_version", "python_full_version"},
	{"os_name", "os_name"},
	{"os.name", "os_name"},
	{"sys_platform", "sys_platform"},
	{"sys.platform", "sys_platform"},
	{"platform_release", "platform_release"},
	{"platform_system", "platform_system"},
	{"platform_version", "platform_version"},
	{"platform.version", "platform_version"},
	{"platform_machine", "platform_machine"},
	{"platform.machine", "platform_machine"},
	{"platform_python_implementation", "platform_python_implementation"},
	{"platform.python_implementation", "platform_python_implementation"},
	{"python_implementation", "platform_python_implementation"},
	{"implementation_name", "implementation_name"},
	{"implementation_version", "implementation_version"},
	{"extra", "extra"},
}

// Parse parses a marker expression such as `python_version >= "3.8" and extra == "test"`.
// A string of only spaces and tabs gives the empty marker. Errors wrap errs.ErrInvalid
// and give the position.
func Parse(s string) (Marker, error) {
	if strings.Trim(s, " \t") == "" {
		return Marker{}, nil
	}
	p := &parser{s: s}
	root, err := p.marker(0)
	if err != nil {
		return Marker{}, err
	}
	p.ws()
	if p.pos != len(s) {
		return Marker{}, p.errorf("expected end of marker expression")
	}
	return Marker{root: root}, nil
}

type parser struct {
	s   string
	pos int
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid marker %q at position %d: %s: %w", p.s, p.pos, fmt.Sprintf(format, args...), errs.ErrInvalid)
}

func isWord(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// ws skips spaces and tabs and reports whether it skipped any.
func (p *parser) ws() bool {
	start := p.pos
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
	return p.pos > start
}

// keyword reports whether the word kw starts at the current position with word
// boundaries on both sides (the regexp \bkw\b), and consumes it if so.
func (p *parser) keyword(kw string) bool {
	if !strings.HasPrefix(p.s[p.pos:], kw) {
		return false
	}
	if p.pos > 0 && isWord(p.s[p.pos-1]) {
		return false
	}
	end := p.pos + len(kw)
	if end < len(p.s) && isWord(p.s[end]) {
		return false
	}
	p.pos = end
	return true
}

func (p *parser) marker(depth int) (node, error) {
	if depth > maxDepth {
		return nil, p.errorf("parentheses nested too deeply")
	}
	first, err := p.atom(depth)
	if err != nil {
		return nil, err
	}
	e := &expr{items: []node{first}}
	for {
		var op string
		switch {
		case p.keyword("and"):
			op = "and"
		case p.keyword("or"):
			op = "or"
		default:
			if len(e.items) == 1 {
				return first, nil
			}
			return e, nil
		}
		n, err := p.atom(depth)
		if err != nil {
			return nil, err
		}
		e.ops = append(e.ops, op)
		e.items = append(e.items, n)
	}
}

func (p *parser) atom(depth int) (node, error) {
	p.ws()
	var n node
	if p.pos < len(p.s) && p.s[p.pos] == '(' {
		open := p.pos
		p.pos++
		p.ws()
		inner, err := p.marker(depth + 1)
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.pos >= len(p.s) || p.s[p.pos] != ')' {
			return nil, p.errorf("expected ')' matching '(' at position %d", open)
		}
		p.pos++
		n = inner
	} else {
		c, err := p.item()
		if err != nil {
			return nil, err
		}
		n = c
	}
	p.ws()
	return n, nil
}

func (p *parser) item() (*cmp, error) {
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	p.ws()
	op, err := p.op()
	if err != nil {
		return nil, err
	}
	p.ws()
	r, err := p.operand()
	if err != nil {
		return nil, err
	}
	c := &cmp{l: l, op: op, r: r}
	// PEP 685: extra names compare normalized; store the literal normalized.
	if l.isVar && l.val == "extra" && !r.isVar {
		c.r.val = names.Normalize(r.val)
	} else if r.isVar && r.val == "extra" && !l.isVar {
		c.l.val = names.Normalize(l.val)
	}
	return c, nil
}

func (p *parser) operand() (operand, error) {
	if p.pos >= len(p.s) {
		return operand{}, p.errorf("expected a marker variable or quoted string")
	}
	switch q := p.s[p.pos]; q {
	case '"', '\'':
		end := strings.IndexByte(p.s[p.pos+1:], q)
		if end < 0 {
			return operand{}, p.errorf("unterminated quoted string")
		}
		v := p.s[p.pos+1 : p.pos+1+end]
		p.pos += end + 2
		return operand{val: v}, nil
	}
	best := ""
	canon := ""
	for _, v := range variableSpellings {
		if len(v.spelling) > len(best) && strings.HasPrefix(p.s[p.pos:], v.spelling) {
			end := p.pos + len(v.spelling)
			if (p.pos == 0 || !isWord(p.s[p.pos-1])) && (end == len(p.s) || !isWord(p.s[end])) {
				best, canon = v.spelling, v.canonical
			}
		}
	}
	if best == "" {
		return operand{}, p.errorf("expected a marker variable or quoted string")
	}
	p.pos += len(best)
	return operand{isVar: true, val: canon}, nil
}

func (p *parser) op() (string, error) {
	if p.keyword("in") {
		return "in", nil
	}
	if p.keyword("not") {
		if !p.ws() {
			return "", p.errorf("expected whitespace after 'not'")
		}
		if !p.keyword("in") {
			return "", p.errorf("expected 'in' after 'not'")
		}
		return "not in", nil
	}
	for _, op := range []string{"===", "==", "~=", "!=", "<=", ">=", "<", ">"} {
		if strings.HasPrefix(p.s[p.pos:], op) {
			p.pos += len(op)
			return op, nil
		}
	}
	return "", p.errorf("expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in")
}
