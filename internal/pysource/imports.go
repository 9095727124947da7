package pysource

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Import is one imported module and the context it is imported in.
type Import struct {
	Module       string   // dotted name as written, without leading dots; "" for `from . import x`
	Level        int      // leading dots of a relative import; > 0 means local
	Names        []string // the names a from-import imports (without their `as`)
	Line         int      // line of the `import`/`from` keyword, or of the call
	Dynamic      bool     // importlib.import_module("…") or __import__("…")
	Functions    []string // names of the enclosing defs, outermost first
	Optional     bool     // in a try body whose handlers catch ImportError (see the package doc)
	TypeChecking bool     // under `if TYPE_CHECKING:`
}

// Top returns the first component of the module name.
func (i Import) Top() string {
	top, _, _ := strings.Cut(i.Module, ".")
	return top
}

type scope struct {
	funcs        []string
	optional     bool
	typeChecking bool
}

type importWalker struct {
	importlib    map[string]bool // names bound to the importlib module
	importModule map[string]bool // names bound to importlib.import_module
	out          []Import
}

// Imports lists every import of m in source order (statements first, then the calls
// inside each statement), following the rules of the package documentation.
func Imports(m *Module) []Import {
	w := &importWalker{importlib: map[string]bool{"importlib": true}, importModule: map[string]bool{}}
	w.bindings(m.Body)
	w.block(m.Body, scope{})
	return w.out
}

// bindings finds the names that refer to importlib and importlib.import_module
// anywhere in the file.
func (w *importWalker) bindings(body []*Stmt) {
	for _, s := range body {
		if s.Import != nil {
			imp := s.Import
			for _, a := range imp.Names {
				switch {
				case !imp.From && a.As != "" && a.Name == "importlib":
					w.importlib[a.As] = true
				case imp.From && imp.Level == 0 && imp.Module == "importlib" && a.Name == "import_module":
					if a.As != "" {
						w.importModule[a.As] = true
					} else {
						w.importModule[a.Name] = true
					}
				}
			}
		}
		for _, c := range s.Clauses {
			w.bindings(c.Body)
		}
	}
}

func (w *importWalker) add(imp Import, sc scope) {
	imp.Functions = sc.funcs
	imp.Optional = sc.optional
	imp.TypeChecking = sc.typeChecking
	w.out = append(w.out, imp)
}

func (w *importWalker) block(body []*Stmt, sc scope) {
	for _, s := range body {
		w.stmt(s, sc)
	}
}

func (w *importWalker) stmt(s *Stmt, sc scope) {
	switch s.Kind {
	case ImportKind:
		imp := s.Import
		if !imp.From {
			for _, a := range imp.Names {
				w.add(Import{Module: a.Name, Line: s.Line}, sc)
			}
			return
		}
		names := make([]string, len(imp.Names))
		for i, a := range imp.Names {
			names[i] = a.Name
		}
		w.add(Import{Module: imp.Module, Level: imp.Level, Names: names, Line: s.Line}, sc)
		return
	case Simple:
		w.calls(s.Tokens, sc)
		if len(s.Clauses) == 0 {
			return
		}
	}
	for _, d := range s.Decorators {
		w.calls(d, sc)
	}
	catches := false
	if s.Kind == Try {
		for _, c := range s.Clauses[1:] {
			if c.Keyword == "except" || c.Keyword == "except*" {
				catches = catches || catchesImportError(c.Header)
			}
		}
	}
	for _, c := range s.Clauses {
		w.calls(c.Header, sc)
		inner := sc
		switch {
		case s.Kind == Def:
			funcs := make([]string, len(sc.funcs), len(sc.funcs)+1)
			copy(funcs, sc.funcs)
			inner = scope{funcs: append(funcs, s.Name), typeChecking: sc.typeChecking}
		case s.Kind == If && (c.Keyword == "if" || c.Keyword == "elif") && isTypeChecking(c.Header):
			inner.typeChecking = true
		case s.Kind == Try && c.Keyword == "try" && catches:
			inner.optional = true
		}
		w.block(c.Body, inner)
	}
}

// isTypeChecking reports whether an if test is TYPE_CHECKING or NAME.TYPE_CHECKING.
func isTypeChecking(h []Token) bool {
	switch len(h) {
	case 1:
		return h[0].Kind == Name && h[0].Text == "TYPE_CHECKING"
	case 3:
		return h[0].Kind == Name && h[1].Text == "." && h[2].Kind == Name && h[2].Text == "TYPE_CHECKING"
	}
	return false
}

// catchesImportError reports whether an except clause header (without `except`)
// catches ImportError: a bare except, or a (dotted) name ending in ImportError or
// ModuleNotFoundError, alone or in a tuple, with or without `as name`.
func catchesImportError(h []Token) bool {
	if len(h) == 0 {
		return true
	}
	if n := len(h); n >= 2 && h[n-2].Kind == Name && h[n-2].Text == "as" {
		h = h[:n-2]
	}
	return excMatches(h)
}

func excMatches(h []Token) bool {
	parts := splitTop(h)
	if len(parts) > 1 {
		for _, p := range parts {
			if excMatches(p) {
				return true
			}
		}
		return false
	}
	if len(h) >= 2 && h[0].Text == "(" && h[len(h)-1].Text == ")" && closes(h) {
		return excMatches(h[1 : len(h)-1])
	}
	if len(h) == 0 || len(h)%2 == 0 {
		return false
	}
	for i, t := range h {
		if i%2 == 0 && t.Kind != Name || i%2 == 1 && (t.Kind != Op || t.Text != ".") {
			return false
		}
	}
	last := h[len(h)-1].Text
	return last == "ImportError" || last == "ModuleNotFoundError"
}

// closes reports whether h[0] '(' is closed by the last token.
func closes(h []Token) bool {
	depth := 0
	for i, t := range h {
		if t.Kind != Op {
			continue
		}
		switch t.Text {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
			if depth == 0 && i != len(h)-1 {
				return false
			}
		}
	}
	return depth == 0
}

// splitTop splits h at the commas outside brackets (a trailing comma is dropped).
func splitTop(h []Token) [][]Token {
	var out [][]Token
	depth, start := 0, 0
	for i, t := range h {
		if t.Kind != Op {
			continue
		}
		switch t.Text {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
		case ",":
			if depth == 0 {
				out = append(out, h[start:i])
				start = i + 1
			}
		}
	}
	if start < len(h) || len(out) == 0 {
		out = append(out, h[start:])
	}
	return out
}

// calls finds importlib.import_module("…"), import_module("…") and __import__("…")
// in the tokens of one statement or header.
func (w *importWalker) calls(toks []Token, sc scope) {
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.Kind != Name || i > 0 && toks[i-1].Kind == Op && toks[i-1].Text == "." {
			continue
		}
		arg := -1
		switch {
		case w.importlib[t.Text] && i+3 < len(toks) && toks[i+1].Text == "." && toks[i+2].Kind == Name &&
			toks[i+2].Text == "import_module" && toks[i+3].Kind == Op && toks[i+3].Text == "(":
			arg = i + 4
		case (t.Text == "__import__" || w.importModule[t.Text]) && i+1 < len(toks) &&
			toks[i+1].Kind == Op && toks[i+1].Text == "(":
			arg = i + 2
		}
		if arg < 0 {
			continue
		}
		name, ok := literalArg(toks[arg:])
		if !ok || name == "" {
			continue
		}
		level := 0
		for level < len(name) && name[level] == '.' {
			level++
		}
		w.add(Import{Module: name[level:], Level: level, Line: int(t.Line), Dynamic: true}, sc)
	}
}

// literalArg reads a first argument made of plain string literals followed by ',' or ')'.
func literalArg(toks []Token) (string, bool) {
	var b strings.Builder
	i := 0
	for ; i < len(toks) && toks[i].Kind == String; i++ {
		v, ok := StringValue(toks[i].Text)
		if !ok {
			return "", false
		}
		b.WriteString(v)
	}
	if i == 0 || i >= len(toks) || toks[i].Kind != Op || toks[i].Text != ")" && toks[i].Text != "," {
		return "", false
	}
	return b.String(), true
}

// StringValue returns the value of a str literal token (not bytes, not an f-string).
// It is false for bytes and malformed literals.
func StringValue(lit string) (string, bool) {
	q := strings.IndexAny(lit, `'"`)
	if q < 0 {
		return "", false
	}
	raw := false
	for _, c := range lit[:q] {
		switch c | 0x20 {
		case 'r':
			raw = true
		case 'u':
		default:
			return "", false
		}
	}
	body := lit[q:]
	quote := body[:1]
	if len(body) >= 6 && strings.HasPrefix(body, strings.Repeat(quote, 3)) {
		quote = body[:3]
	}
	if len(body) < 2*len(quote) || !strings.HasSuffix(body, quote) {
		return "", false
	}
	body = body[len(quote) : len(body)-len(quote)]
	if raw || !strings.Contains(body, `\`) {
		return body, true
	}
	return unescape(body), true
}

func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case '\n':
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case 'x', 'u', 'U':
			n := 2
			switch e {
			case 'u':
				n = 4
			case 'U':
				n = 8
			}
			if i+1+n <= len(s) {
				if v, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32); err == nil && utf8.ValidRune(rune(v)) {
					b.WriteRune(rune(v))
					i += n
					continue
				}
			}
			b.WriteByte('\\')
			b.WriteByte(e)
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(s[i:j], 8, 32)
			b.WriteRune(rune(v))
			i = j - 1
		case 'N':
			if end := strings.IndexByte(s[i:min(len(s), i+256)], '}'); i+1 < len(s) && s[i+1] == '{' && end > 0 {
				b.WriteString("\uFFFD") // named characters are not looked up
				i += end
				continue
			}
			b.WriteString(`\N`)
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return b.String()
}

// FunctionNames returns the names of every def and async def in m, at any depth.
func FunctionNames(m *Module) []string {
	var out []string
	var walk func([]*Stmt)
	walk = func(body []*Stmt) {
		for _, s := range body {
			if s.Kind == Def && s.Name != "" {
				out = append(out, s.Name)
			}
			for _, c := range s.Clauses {
				walk(c.Body)
			}
		}
	}
	walk(m.Body)
	return out
}
