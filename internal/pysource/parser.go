package pysource

// StmtKind is the kind of a statement.
type StmtKind uint8

// Statement kinds. Simple statements other than imports are Simple.
const (
	Simple StmtKind = iota
	ImportKind
	If
	While
	For
	Try
	With
	Def
	Class
	Match
)

var stmtNames = [...]string{"simple", "import", "if", "while", "for", "try", "with", "def", "class", "match"}

func (k StmtKind) String() string {
	if int(k) < len(stmtNames) {
		return stmtNames[k]
	}
	return "?"
}

// Module is a parsed source file.
type Module struct {
	Body []*Stmt
	// Python2 lists the first Python 2 only constructs of the source (see
	// Python2Hints), read from the same tokens.
	Python2 []Py2Hint
}

// Stmt is one statement. Simple statements keep their tokens in Tokens. Compound
// statements have clauses: the first is the statement's own (`if`, `def`, `try`, …),
// the others follow it (`elif`, `else`, `except`, `except*`, `finally`, `case`).
type Stmt struct {
	Kind       StmtKind
	Line       int
	Tokens     []Token   // a simple statement's tokens
	Decorators [][]Token // a def or class: each decorator's tokens, without the '@'
	Async      bool      // async def / for / with
	Name       string    // a def or class: its name
	Import     *ImportStmt
	Clauses    []*Clause
}

// Clause is a keyword, a header and a block.
type Clause struct {
	Keyword string  // "if", "elif", "else", "try", "except", "except*", "finally", "case", …
	Line    int     // line of the keyword
	Header  []Token // tokens between the keyword and the ':'
	Body    []*Stmt
}

// ImportStmt is `import a.b as c, d` or `from ..x import y as z`.
type ImportStmt struct {
	From   bool
	Level  int    // leading dots of a from-import
	Module string // a from-import's module ("" for `from . import x`)
	Names  []Alias
}

// Alias is one imported name and its `as` name (empty without one).
type Alias struct {
	Name string
	As   string
}

type parser struct {
	toks []Token
	pos  int
	err  *SyntaxError
}

// Parse tokenizes and parses src. The module is always returned; the error, a
// *SyntaxError, names the first problem met.
func Parse(src []byte) (*Module, error) {
	toks, terr := Tokenize(src)
	p := &parser{toks: toks}
	m := &Module{Body: p.block(false, false), Python2: python2Hints(toks)}
	if terr != nil {
		return m, terr
	}
	if p.err != nil {
		return m, p.err
	}
	return m, nil
}

func (p *parser) fail(line int32, msg string) {
	if p.err == nil {
		p.err = &SyntaxError{Line: int(line), Msg: msg}
	}
}

func (p *parser) peek() Token { return p.toks[p.pos] }

func (p *parser) advance() Token {
	t := p.toks[p.pos]
	if t.Kind != EOF {
		p.pos++
	}
	return t
}

// block reads statements up to the DEDENT that closes the block (nested) or the end.
func (p *parser) block(nested, inMatch bool) []*Stmt {
	var out []*Stmt
	for {
		t := p.peek()
		switch t.Kind {
		case EOF:
			return out
		case Dedent:
			p.advance()
			if nested {
				return out
			}
			p.fail(t.Line, "unexpected dedent")
		case Newline:
			p.advance()
		case Indent:
			p.advance()
			p.fail(t.Line, "unexpected indent")
			out = append(out, p.block(true, inMatch)...)
		default:
			out = p.statement(out, inMatch)
		}
	}
}

// lineEnd returns the index of the NEWLINE (or EOF) that ends the logical line
// starting at i.
func (p *parser) lineEnd(i int) int {
	for p.toks[i].Kind != Newline && p.toks[i].Kind != EOF {
		i++
	}
	return i
}

// headerColon returns the index of the ':' that ends a compound statement's header
// starting at i, or -1. Colons inside brackets and those of lambdas do not count.
func (p *parser) headerColon(i int) int {
	depth, lambdas := 0, 0
	for ; ; i++ {
		t := p.toks[i]
		switch t.Kind {
		case Newline, EOF:
			return -1
		case Name:
			if depth == 0 && t.Text == "lambda" {
				lambdas++
			}
		case Op:
			var bracket bool
			if depth, bracket = nesting(depth, t); !bracket && t.Text == ":" && depth == 0 {
				if lambdas == 0 {
					return i
				}
				lambdas--
			}
		}
	}
}

// nesting returns the bracket depth after t: one more after an opening bracket, one
// less (never below 0) after a closing one; bracket reports whether t is one.
func nesting(depth int, t Token) (int, bool) {
	if t.Kind != Op {
		return depth, false
	}
	switch t.Text {
	case "(", "[", "{":
		return depth + 1, true
	case ")", "]", "}":
		return max(depth-1, 0), true
	}
	return depth, false
}

func isCompoundKeyword(s string) (StmtKind, bool) {
	switch s {
	case "if":
		return If, true
	case "while":
		return While, true
	case "for":
		return For, true
	case "try":
		return Try, true
	case "with":
		return With, true
	case "def":
		return Def, true
	case "class":
		return Class, true
	}
	return 0, false
}

// statement reads one statement (a line of simple statements yields several) and
// appends it to out.
func (p *parser) statement(out []*Stmt, inMatch bool) []*Stmt {
	var decorators [][]Token
	for p.peek().Kind == Op && p.peek().Text == "@" {
		p.advance()
		end := p.lineEnd(p.pos)
		decorators = append(decorators, p.toks[p.pos:end])
		p.pos = end
		p.advance()
		for p.peek().Kind == Newline {
			p.advance()
		}
	}
	t := p.peek()
	if t.Kind != Name {
		if decorators != nil {
			p.fail(t.Line, "a decorator must be followed by def or class")
		}
		return p.simpleLine(out)
	}
	kw, async := t.Text, false
	if kw == "async" {
		if n := p.toks[p.pos+1]; n.Kind == Name && (n.Text == "def" || n.Text == "for" || n.Text == "with") {
			kw, async = n.Text, true
		}
	}
	kind, compound := isCompoundKeyword(kw)
	switch {
	case compound:
	case kw == "match" && p.isSoftHeader(p.pos, true):
		kind, compound = Match, true
	case kw == "case" && inMatch && p.isSoftHeader(p.pos, false):
		kind, compound = Simple, true // a case clause outside of its match: keep its block
	case kw == "elif" || kw == "else" || kw == "except" || kw == "finally":
		p.fail(t.Line, "'"+kw+"' without a matching statement")
		kind, compound = Simple, true
	}
	if !compound {
		if decorators != nil {
			p.fail(t.Line, "a decorator must be followed by def or class")
		}
		return p.simpleLine(out)
	}
	s := &Stmt{Kind: kind, Line: int(t.Line), Decorators: decorators, Async: async}
	if async {
		p.advance()
	}
	s.Clauses = append(s.Clauses, p.clause(kind == Match))
	if kind == Def || kind == Class {
		if h := s.Clauses[0].Header; len(h) > 0 && h[0].Kind == Name {
			s.Name = h[0].Text
		}
	}
	// Following clauses.
	for {
		n := p.peek()
		if n.Kind != Name {
			break
		}
		ok := false
		switch kind {
		case If:
			ok = n.Text == "elif" || n.Text == "else"
		case While, For:
			ok = n.Text == "else"
		case Try:
			ok = n.Text == "except" || n.Text == "else" || n.Text == "finally"
		}
		if !ok {
			break
		}
		s.Clauses = append(s.Clauses, p.clause(false))
	}
	if kind == Match {
		// The cases are the match block's statements; the parser read them as clauses.
		if len(s.Clauses) > 0 && s.Clauses[0].Body != nil {
			s.Clauses = append(s.Clauses[:1], caseClauses(s.Clauses[0].Body)...)
			s.Clauses[0].Body = nil
		}
	}
	return append(out, s)
}

// caseClauses unwraps the case statements that block() read inside a match block.
func caseClauses(body []*Stmt) []*Clause {
	var out []*Clause
	for _, s := range body {
		if s.Kind == Simple && len(s.Clauses) > 0 {
			out = append(out, s.Clauses...)
		}
	}
	return out
}

// isSoftHeader reports whether the line starting at i (with the soft keyword `match`
// or `case`) is a match statement or case clause header rather than an expression
// that uses the word as a name.
func (p *parser) isSoftHeader(i int, match bool) bool {
	n := p.toks[i+1]
	switch n.Kind {
	case Newline, EOF:
		return false
	case Op:
		switch n.Text {
		case "=", ":", ".", ",", ")", "]", "}", ";", "+=", "-=", "*=", "/=", "//=", "%=", "@=",
			"&=", "|=", "^=", ">>=", "<<=", "**=", ":=", "==", "!=", "<", ">", "<=", ">=", "|", "&",
			"^", "<<", ">>", "/", "//", "%", "**", "@", "->":
			return false
		}
	case Name:
		switch n.Text {
		case "if", "else", "and", "or", "in", "is", "for", "as":
			return false
		}
	}
	c := p.headerColon(i + 1)
	if c < 0 {
		return false
	}
	if match {
		// A match header is followed by its indented block.
		return p.toks[c+1].Kind == Newline && p.toks[c+2].Kind == Indent
	}
	return true
}

// clause reads `keyword header ':' block` starting at the keyword.
func (p *parser) clause(matchBlock bool) *Clause {
	kw := p.advance()
	c := &Clause{Keyword: kw.Text, Line: int(kw.Line)}
	if kw.Text == "except" && p.peek().Kind == Op && p.peek().Text == "*" {
		p.advance()
		c.Keyword = "except*"
	}
	colon := p.headerColon(p.pos)
	if colon < 0 {
		end := p.lineEnd(p.pos)
		p.fail(kw.Line, "expected ':' after "+kw.Text)
		c.Header = p.toks[p.pos:end]
		p.pos = end
		p.advance()
		return c
	}
	c.Header = p.toks[p.pos:colon]
	p.pos = colon + 1
	if p.peek().Kind == Newline {
		p.advance()
		if p.peek().Kind != Indent {
			p.fail(p.peek().Line, "expected an indented block after '"+kw.Text+"'")
			return c
		}
		p.advance()
		c.Body = p.block(true, matchBlock)
		return c
	}
	c.Body = p.simpleLine(nil)
	return c
}

// simpleLine reads simple statements separated by ';' up to the NEWLINE.
func (p *parser) simpleLine(out []*Stmt) []*Stmt {
	end := p.lineEnd(p.pos)
	start, depth := p.pos, 0
	for i := p.pos; i <= end; i++ {
		t := p.toks[i]
		var bracket bool
		if depth, bracket = nesting(depth, t); bracket {
			continue
		}
		if i == end || t.Kind == Op && t.Text == ";" && depth == 0 {
			if i > start {
				out = append(out, p.simple(p.toks[start:i]))
			}
			start = i + 1
		}
	}
	p.pos = end
	p.advance()
	return out
}

func (p *parser) simple(toks []Token) *Stmt {
	s := &Stmt{Kind: Simple, Line: int(toks[0].Line), Tokens: toks}
	if toks[0].Kind == Name && (toks[0].Text == "import" || toks[0].Text == "from") {
		if imp := p.importStmt(toks); imp != nil {
			s.Kind, s.Import = ImportKind, imp
		}
	}
	return s
}

// dotted reads NAME ('.' NAME)* from toks[i:].
func dotted(toks []Token, i int) (string, int) {
	if i >= len(toks) || toks[i].Kind != Name {
		return "", i
	}
	name := toks[i].Text
	i++
	for i+1 < len(toks) && toks[i].Kind == Op && toks[i].Text == "." && toks[i+1].Kind == Name {
		name += "." + toks[i+1].Text
		i += 2
	}
	return name, i
}

func (p *parser) importStmt(toks []Token) *ImportStmt {
	imp := &ImportStmt{}
	i := 1
	if toks[0].Text == "from" {
		imp.From = true
		for i < len(toks) && toks[i].Kind == Op && (toks[i].Text == "." || toks[i].Text == "...") {
			imp.Level += len(toks[i].Text)
			i++
		}
		if i < len(toks) && !(toks[i].Kind == Name && toks[i].Text == "import") {
			imp.Module, i = dotted(toks, i)
		}
		if i >= len(toks) || toks[i].Kind != Name || toks[i].Text != "import" || imp.Level == 0 && imp.Module == "" {
			p.fail(toks[0].Line, "invalid from-import")
			return nil
		}
		i++
		if i < len(toks) && toks[i].Kind == Op && toks[i].Text == "(" {
			i++
		}
		if i < len(toks) && toks[i].Kind == Op && toks[i].Text == "*" {
			imp.Names = append(imp.Names, Alias{Name: "*"})
			return imp
		}
	}
	for i < len(toks) {
		var a Alias
		if imp.From {
			if toks[i].Kind != Name {
				break
			}
			a.Name = toks[i].Text
			i++
		} else {
			a.Name, i = dotted(toks, i)
			if a.Name == "" {
				break
			}
		}
		if i+1 < len(toks) && toks[i].Kind == Name && toks[i].Text == "as" && toks[i+1].Kind == Name {
			a.As = toks[i+1].Text
			i += 2
		}
		imp.Names = append(imp.Names, a)
		if i < len(toks) && toks[i].Kind == Op && toks[i].Text == "," {
			i++
			continue
		}
		break
	}
	if i < len(toks) && !(imp.From && toks[i].Kind == Op && toks[i].Text == ")") {
		p.fail(toks[i].Line, "unexpected "+toks[i].Text+" in import")
	}
	if len(imp.Names) == 0 {
		p.fail(toks[0].Line, "import of nothing")
		return nil
	}
	return imp
}
