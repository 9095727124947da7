// Package markers implements PEP 508 environment markers: parsing and evaluation against
// a given environment.
//
// The grammar is the one of the packaging library's hand-written parser:
//
//	marker      = atom (("and" | "or") atom)*
//	atom        = "(" marker ")" | var op var
//	var         = VARIABLE | 'quoted' | "quoted"
//	op          = "<=" | "<" | "!=" | "==" | ">=" | ">" | "~=" | "===" | "in" | "not in"
//
// "and" binds tighter than "or". Quoted strings have no escapes. The legacy dotted
// variable names (os.name, sys.platform, platform.version, platform.machine,
// platform.python_implementation) and python_implementation are accepted and printed
// in their canonical underscore form.
package markers

import (
	"strings"

	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/versions"
)

// Env holds the marker variables (python_version, python_full_version, os_name,
// sys_platform, platform_machine, platform_python_implementation, platform_release,
// platform_system, platform_version, implementation_name, implementation_version,
// extra). Missing keys evaluate as "".
type Env map[string]string

// Marker is a parsed marker expression. The zero value is the empty marker, which is always true.
type Marker struct {
	root node
}

// node is *expr or *cmp.
type node interface{}

// expr is a chain of at least two atoms joined by "and"/"or", evaluated with "and"
// binding tighter. A parenthesized group is an *expr inside items.
type expr struct {
	items []node
	ops   []string // len(items)-1 entries, "and" or "or"
}

// cmp is one comparison.
type cmp struct {
	l, r operand
	op   string
}

// operand is a variable name or a literal string.
type operand struct {
	isVar bool
	val   string
}

// IsZero reports whether m is the empty marker.
func (m Marker) IsZero() bool { return m.root == nil }

// MustParse is Parse that panics; for tests and constants.
func MustParse(s string) Marker {
	m, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return m
}

// Evaluate evaluates m in env. Comparisons use PEP 440 when both sides parse as versions,
// else string comparison; "extra" is compared normalized. A comparison that is not
// defined (such as ~= between strings that are not versions) is false.
func (m Marker) Evaluate(env Env) bool {
	if m.root == nil {
		return true
	}
	return eval(m.root, env)
}

// EvaluateExtras reports whether m holds in env for at least one of extras, or for
// extra == "" when extras is empty.
func (m Marker) EvaluateExtras(env Env, extras []string) bool {
	if m.root == nil {
		return true
	}
	e := make(Env, len(env)+1)
	for k, v := range env {
		e[k] = v
	}
	if len(extras) == 0 {
		e["extra"] = ""
		return eval(m.root, e)
	}
	for _, x := range extras {
		e["extra"] = x
		if eval(m.root, e) {
			return true
		}
	}
	return false
}

// UsesExtra reports whether the marker mentions the "extra" variable.
func (m Marker) UsesExtra() bool {
	var walk func(n node) bool
	walk = func(n node) bool {
		switch n := n.(type) {
		case *expr:
			for _, it := range n.items {
				if walk(it) {
					return true
				}
			}
		case *cmp:
			return (n.l.isVar && n.l.val == "extra") || (n.r.isVar && n.r.val == "extra")
		}
		return false
	}
	return m.root != nil && walk(m.root)
}

// String returns the marker in canonical form: canonical variable names, double-quoted
// literals (single quotes when the literal holds a double quote), single spaces, extra
// names normalized, and parentheses only where they were written around a chain.
func (m Marker) String() string {
	if m.root == nil {
		return ""
	}
	var b strings.Builder
	format(&b, m.root, true)
	return b.String()
}

// MarshalText returns String, so that a Marker encodes as a JSON string.
func (m Marker) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText parses text with Parse.
func (m *Marker) UnmarshalText(text []byte) error {
	p, err := Parse(string(text))
	if err != nil {
		return err
	}
	*m = p
	return nil
}

func format(b *strings.Builder, n node, top bool) {
	switch n := n.(type) {
	case *expr:
		if !top {
			b.WriteByte('(')
		}
		for i, it := range n.items {
			if i > 0 {
				b.WriteByte(' ')
				b.WriteString(n.ops[i-1])
				b.WriteByte(' ')
			}
			format(b, it, false)
		}
		if !top {
			b.WriteByte(')')
		}
	case *cmp:
		writeOperand(b, n.l)
		b.WriteByte(' ')
		b.WriteString(n.op)
		b.WriteByte(' ')
		writeOperand(b, n.r)
	}
}

func writeOperand(b *strings.Builder, o operand) {
	if o.isVar {
		b.WriteString(o.val)
		return
	}
	q := byte('"')
	if strings.IndexByte(o.val, '"') >= 0 {
		q = '\''
	}
	b.WriteByte(q)
	b.WriteString(o.val)
	b.WriteByte(q)
}

func eval(n node, env Env) bool {
	switch n := n.(type) {
	case *expr:
		// any(all(group) for group split at "or")
		acc := true
		for i, it := range n.items {
			if i > 0 && n.ops[i-1] == "or" {
				if acc {
					return true
				}
				acc = true
			}
			if acc && !eval(it, env) {
				acc = false
			}
		}
		return acc
	case *cmp:
		return evalCmp(n, env)
	}
	return false
}

func evalCmp(c *cmp, env Env) bool {
	lhs, rhs := c.l.val, c.r.val
	if c.l.isVar {
		lhs = env[c.l.val]
	}
	if c.r.isVar {
		rhs = env[c.r.val]
	}
	if (c.l.isVar && c.l.val == "extra") || (c.r.isVar && c.r.val == "extra") {
		lhs, rhs = names.Normalize(lhs), names.Normalize(rhs)
	}
	return compare(lhs, c.op, rhs)
}

// compare applies op to lhs and rhs: as a PEP 440 specifier "op rhs" containing lhs when
// both parse, else as strings.
func compare(lhs, op, rhs string) bool {
	switch op {
	case "in":
		return strings.Contains(rhs, lhs)
	case "not in":
		return !strings.Contains(rhs, lhs)
	case "===":
		return strings.EqualFold(strings.TrimSpace(lhs), strings.TrimSpace(rhs))
	}
	if spec, err := versions.ParseSpecifier(op + rhs); err == nil {
		if v, err := versions.Parse(lhs); err == nil {
			return spec.Contains(v)
		}
	}
	switch op {
	case "<":
		return lhs < rhs
	case "<=":
		return lhs <= rhs
	case "==":
		return lhs == rhs
	case "!=":
		return lhs != rhs
	case ">=":
		return lhs >= rhs
	case ">":
		return lhs > rhs
	}
	return false // ~= on strings: undefined
}
