package scan

import (
	"strings"

	"github.com/pydepot/pydepot/internal/pysource"
)

// call is one call found in a unit's tokens: the callee as the file's imports resolve
// it ("os.system", "requests.post", ".fromhex" for a method of an expression) and its
// arguments, toks[args:end] (end is the closing parenthesis, or len(toks)).
type call struct {
	name      string
	at        int // index of the callee's first token
	args, end int
}

func isOp(t pysource.Token, s string) bool   { return t.Kind == pysource.Op && t.Text == s }
func isName(t pysource.Token, s string) bool { return t.Kind == pysource.Name && t.Text == s }

// matchParens returns, for each '(' '[' '{' of toks, the index of its closer (len(toks)
// when it is never closed); other entries are -1. One pass with a stack.
func matchParens(toks []pysource.Token, match []int) []int {
	match = match[:0]
	var stack []int
	for i, t := range toks {
		match = append(match, -1)
		if t.Kind != pysource.Op {
			continue
		}
		switch t.Text {
		case "(", "[", "{":
			stack = append(stack, i)
		case ")", "]", "}":
			if n := len(stack); n > 0 {
				match[stack[n-1]] = i
				stack = stack[:n-1]
			}
		}
	}
	for _, i := range stack {
		match[i] = len(toks)
	}
	return match
}

// chain reads NAME ('.' NAME)* from toks[i:] and returns its parts' end index.
func chain(toks []pysource.Token, i int) int {
	j := i + 1
	for j+1 < len(toks) && isOp(toks[j], ".") && toks[j+1].Kind == pysource.Name {
		j += 2
	}
	return j
}

// chainText is the dotted text of toks[i:j] as chain read it.
func chainText(toks []pysource.Token, i, j int) string {
	if j == i+1 {
		return toks[i].Text
	}
	var b strings.Builder
	for k := i; k < j; k += 2 {
		if k > i {
			b.WriteByte('.')
		}
		b.WriteString(toks[k].Text)
	}
	return b.String()
}

// literal returns the value of a string or bytes literal token (escapes read as
// pysource.StringValue reads them), or false.
func literal(t pysource.Token) (string, bool) {
	if t.Kind != pysource.String {
		if t.Kind == pysource.FStringMiddle {
			return t.Text, true
		}
		return "", false
	}
	s := t.Text
	if q := strings.IndexAny(s, `'"`); q > 0 {
		if p := strings.Map(func(r rune) rune {
			if r == 'b' || r == 'B' {
				return -1
			}
			return r
		}, s[:q]); len(p) != q {
			s = p + s[q:]
		}
	}
	return pysource.StringValue(s)
}

// calls lists the calls of toks (match from matchParens), resolving callees through
// resolve. A call's callee is a dotted name at the start of an expression, a method
// name after an expression (".m"), or __import__("m").attr / importlib.import_module("m").attr
// / getattr(x, "attr"), read as "m.attr" and "x.attr".
func calls(toks []pysource.Token, match []int, resolve func(string) string, out []call) []call {
	out = out[:0]
	// modules[k] is the dotted value a call closed at k stands for (__import__("os") -> "os").
	var modules map[int]string
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.Kind == pysource.Name && (i == 0 || !isOp(toks[i-1], ".")):
			j := chain(toks, i)
			name := resolveChain(chainText(toks, i, j), resolve)
			if j < len(toks) && isOp(toks[j], "(") {
				end := match[j]
				out = append(out, call{name: name, at: i, args: j + 1, end: end})
				if v, ok := moduleValue(name, toks, j+1, end, resolve); ok {
					if modules == nil {
						modules = map[int]string{}
					}
					modules[end] = v
				}
			}
			i = j - 1
		case t.Kind == pysource.Name && i+1 < len(toks) && isOp(toks[i+1], "("):
			// A method of an expression: x().m(, "s".m(, a[0].m(.
			name := "." + t.Text
			if i >= 2 && isOp(toks[i-1], ".") {
				if v, ok := modules[i-2]; ok {
					name = v + "." + t.Text
				}
			}
			out = append(out, call{name: name, at: i, args: i + 2, end: match[i+1]})
		case isOp(t, "(") && i > 0 && isOp(toks[i-1], ")"):
			// getattr(builtins, "exec")(...) calls what the first call stands for.
			if v, ok := modules[i-1]; ok {
				out = append(out, call{name: v, at: i, args: i + 1, end: match[i]})
			}
		}
	}
	return out
}

// resolveChain resolves a dotted name's first part through the file's imports.
func resolveChain(s string, resolve func(string) string) string {
	first, rest, dotted := strings.Cut(s, ".")
	q := resolve(first)
	if dotted {
		q += "." + rest
	}
	for _, p := range []string{"builtins.", "__builtins__.", "__builtin__."} {
		q = strings.TrimPrefix(q, p)
	}
	return q
}

// moduleValue reads __import__("m"), importlib.import_module("m") and getattr(x, "a").
func moduleValue(name string, toks []pysource.Token, args, end int, resolve func(string) string) (string, bool) {
	switch name {
	case "__import__", "importlib.import_module":
		if end == args+1 || end > args+1 && end < len(toks) && isOp(toks[args+1], ",") {
			if v, ok := literal(toks[args]); ok && v != "" {
				return v, true
			}
		}
	case "getattr":
		if args+3 < len(toks) && end >= args+3 && toks[args].Kind == pysource.Name && isOp(toks[args+1], ",") {
			if v, ok := literal(toks[args+2]); ok && v != "" {
				return resolveChain(toks[args].Text+"."+v, resolve), true
			}
		}
	}
	return "", false
}
