package pysource

import (
	"fmt"
	"strings"
)

// Kind is the kind of a token.
type Kind uint8

// Token kinds, as in CPython's tokenize module (NL and COMMENT are dropped).
const (
	EOF Kind = iota
	Name
	Number
	String        // a complete string or bytes literal, prefix and quotes included
	FStringStart  // f" or rf''' …: the prefix and the opening quote of an f- or t-string
	FStringMiddle // literal text of an f-string (braces doubled as written)
	FStringEnd    // the closing quote of an f-string
	Op            // operators and brackets
	Newline       // the end of a logical line
	Indent
	Dedent
)

var kindNames = [...]string{"EOF", "NAME", "NUMBER", "STRING", "FSTRING_START", "FSTRING_MIDDLE",
	"FSTRING_END", "OP", "NEWLINE", "INDENT", "DEDENT"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Token is one token. Text is a slice of the source.
type Token struct {
	Text string
	Line int32 // 1-based line of the token's first character
	Kind Kind
}

// SyntaxError is the first problem the tokenizer or the parser met. Reading goes on
// after it, so the result is still useful.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

type tokenizer struct {
	src    string
	pos    int
	line   int
	parens []byte
	// parenLines[i] is the line of parens[i] (entries past len(parens) are stale).
	parenLines []int
	indents    []int
	fstrings   []fstring
	toks       []Token
	lineStart  bool
	err        *SyntaxError
}

// Tokenize splits src into tokens, ending with NEWLINE (when the last line has
// content), the DEDENTs that close open blocks, and EOF. Comments and blank lines are
// dropped. It returns a *SyntaxError for the first malformed part but always returns
// every token it could read.
func Tokenize(src []byte) ([]Token, error) {
	t := &tokenizer{src: string(src), line: 1, lineStart: true, indents: []int{0}}
	t.toks = make([]Token, 0, len(src)/4+16)
	if strings.HasPrefix(t.src, "\ufeff") {
		t.pos = 3
	}
	t.run()
	if t.err != nil {
		return t.toks, t.err
	}
	return t.toks, nil
}

func (t *tokenizer) fail(line int, format string, args ...any) {
	if t.err == nil {
		t.err = &SyntaxError{Line: line, Msg: fmt.Sprintf(format, args...)}
	}
}

func (t *tokenizer) emit(k Kind, start int, line int) {
	t.toks = append(t.toks, Token{Kind: k, Text: t.src[start:t.pos], Line: int32(line)})
}

func (t *tokenizer) lastKind() Kind {
	if len(t.toks) == 0 {
		return Newline
	}
	return t.toks[len(t.toks)-1].Kind
}

func (t *tokenizer) run() {
	for {
		if n := len(t.fstrings); n > 0 {
			fs := &t.fstrings[n-1]
			if k := len(fs.fields); k == 0 || fs.fields[k-1].inSpec {
				t.fstringText(fs)
				continue
			}
		}
		if t.lineStart && len(t.parens) == 0 && len(t.fstrings) == 0 {
			if !t.indentation() {
				break
			}
		}
		if !t.next() {
			break
		}
	}
	// End of input: close whatever is open.
	if len(t.fstrings) > 0 {
		t.fail(t.line, "unterminated f-string")
	} else if len(t.parens) > 0 {
		// As CPython: at the line of the bracket that was never closed, not at the end.
		n := len(t.parens)
		t.fail(t.parenLines[n-1], "%q was never closed", t.parens[n-1])
	}
	if k := t.lastKind(); k != Newline && k != Dedent && k != Indent {
		t.toks = append(t.toks, Token{Kind: Newline, Line: int32(t.line)})
	}
	for len(t.indents) > 1 {
		t.indents = t.indents[:len(t.indents)-1]
		t.toks = append(t.toks, Token{Kind: Dedent, Line: int32(t.line)})
	}
	t.toks = append(t.toks, Token{Kind: EOF, Line: int32(t.line)})
}

// indentation measures the indentation of a new line and emits INDENT/DEDENT. Blank
// and comment-only lines are skipped. It returns false at the end of input.
func (t *tokenizer) indentation() bool {
	for {
		col := 0
		for t.pos < len(t.src) {
			switch t.src[t.pos] {
			case ' ':
				col++
			case '\t':
				col = (col/8 + 1) * 8
			case '\f':
				col = 0
			default:
				goto measured
			}
			t.pos++
		}
	measured:
		if t.pos >= len(t.src) {
			return false
		}
		switch c := t.src[t.pos]; c {
		case '#':
			for t.pos < len(t.src) && t.src[t.pos] != '\n' && t.src[t.pos] != '\r' {
				t.pos++
			}
			continue
		case '\n', '\r':
			t.newline()
			continue
		case '\\':
			if t.continuation() {
				// A backslash at the start of a line joins it to the next one; the
				// indentation is the one measured so far.
				t.lineStart = false
				t.dent(col)
				return true
			}
		}
		t.lineStart = false
		t.dent(col)
		return true
	}
}

func (t *tokenizer) dent(col int) {
	top := t.indents[len(t.indents)-1]
	switch {
	case col > top:
		t.indents = append(t.indents, col)
		t.toks = append(t.toks, Token{Kind: Indent, Line: int32(t.line)})
	case col < top:
		for len(t.indents) > 1 && t.indents[len(t.indents)-1] > col {
			t.indents = t.indents[:len(t.indents)-1]
			t.toks = append(t.toks, Token{Kind: Dedent, Line: int32(t.line)})
		}
		if t.indents[len(t.indents)-1] != col {
			t.fail(t.line, "unindent does not match any outer indentation level")
			t.indents = append(t.indents, col)
		}
	}
}

// newline consumes one line ending (\n, \r\n or \r).
func (t *tokenizer) newline() {
	if t.src[t.pos] == '\r' && t.pos+1 < len(t.src) && t.src[t.pos+1] == '\n' {
		t.pos++
	}
	t.pos++
	t.line++
}

// continuation consumes a backslash followed by a line ending.
func (t *tokenizer) continuation() bool {
	p := t.pos + 1
	if p < len(t.src) && (t.src[p] == '\n' || t.src[p] == '\r') {
		t.pos = p
		t.newline()
		return true
	}
	return false
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// next reads one token (or skips blanks, comments and non-logical newlines). It
// returns false at the end of input.
func (t *tokenizer) next() bool {
	if t.pos >= len(t.src) {
		return false
	}
	c := t.src[t.pos]
	start, line := t.pos, t.line
	switch {
	case c == ' ' || c == '\t' || c == '\f':
		t.pos++
	case c == '#':
		for t.pos < len(t.src) && t.src[t.pos] != '\n' && t.src[t.pos] != '\r' {
			t.pos++
		}
	case c == '\n' || c == '\r':
		t.newline()
		if len(t.parens) == 0 && len(t.fstrings) == 0 {
			if k := t.lastKind(); k != Newline && k != Indent && k != Dedent {
				t.toks = append(t.toks, Token{Kind: Newline, Text: "\n", Line: int32(line)})
			}
			t.lineStart = true
		}
	case c == '\\':
		if !t.continuation() {
			t.fail(line, "unexpected character after line continuation character")
			t.pos++
			t.emit(Op, start, line)
		}
	case isIdentStart(c):
		for t.pos < len(t.src) && isIdentChar(t.src[t.pos]) {
			t.pos++
		}
		if t.pos < len(t.src) && (t.src[t.pos] == '\'' || t.src[t.pos] == '"') {
			if f, raw, ok := stringPrefix(t.src[start:t.pos]); ok {
				if f {
					t.fstringStart(start, raw)
				} else {
					t.str(start, raw)
				}
				return true
			}
		}
		t.emit(Name, start, line)
	case isDigit(c) || c == '.' && t.pos+1 < len(t.src) && isDigit(t.src[t.pos+1]):
		t.number()
		t.emit(Number, start, line)
	case c == '\'' || c == '"':
		t.str(start, false)
	default:
		t.op()
	}
	return true
}

// stringPrefix reports whether p is a string prefix, and whether it makes an f- or
// t-string and a raw string.
func stringPrefix(p string) (f, raw, ok bool) {
	if len(p) > 2 {
		return false, false, false
	}
	for i := 0; i < len(p); i++ {
		switch p[i] | 0x20 {
		case 'r':
			raw = true
		case 'f', 't':
			f = true
		case 'b', 'u':
		default:
			return false, false, false
		}
	}
	if len(p) == 2 {
		a, b := p[0]|0x20, p[1]|0x20
		pair := string([]byte{min(a, b), max(a, b)})
		if pair != "br" && pair != "fr" && pair != "rt" {
			return false, false, false
		}
	}
	return f, raw, true
}

func (t *tokenizer) number() {
	s := t.src
	if s[t.pos] == '0' && t.pos+1 < len(s) && strings.IndexByte("xXoObB", s[t.pos+1]) >= 0 {
		t.pos += 2
		for t.pos < len(s) && (isDigit(s[t.pos]) || s[t.pos] == '_' ||
			s[t.pos]|0x20 >= 'a' && s[t.pos]|0x20 <= 'f') {
			t.pos++
		}
		return
	}
	for t.pos < len(s) && (isDigit(s[t.pos]) || s[t.pos] == '_') {
		t.pos++
	}
	if t.pos < len(s) && s[t.pos] == '.' {
		t.pos++
		for t.pos < len(s) && (isDigit(s[t.pos]) || s[t.pos] == '_') {
			t.pos++
		}
	}
	if t.pos < len(s) && s[t.pos]|0x20 == 'e' {
		p := t.pos + 1
		if p < len(s) && (s[p] == '+' || s[p] == '-') {
			p++
		}
		if p < len(s) && isDigit(s[p]) {
			t.pos = p
			for t.pos < len(s) && (isDigit(s[t.pos]) || s[t.pos] == '_') {
				t.pos++
			}
		}
	}
	if t.pos < len(s) && s[t.pos]|0x20 == 'j' {
		t.pos++
	}
}

// str reads a complete string literal whose prefix starts at start and whose quote is
// at t.pos.
func (t *tokenizer) str(start int, raw bool) {
	line := t.line
	q := t.src[t.pos]
	triple := t.pos+2 < len(t.src) && t.src[t.pos+1] == q && t.src[t.pos+2] == q
	if triple {
		t.pos += 3
	} else {
		t.pos++
	}
	for t.pos < len(t.src) {
		c := t.src[t.pos]
		switch {
		case c == '\\':
			t.pos++
			if t.pos < len(t.src) {
				if t.src[t.pos] == '\n' || t.src[t.pos] == '\r' {
					t.newline()
				} else {
					t.pos++
				}
			}
		case c == q:
			if !triple {
				t.pos++
				t.emit(String, start, line)
				return
			}
			if t.pos+2 < len(t.src) && t.src[t.pos+1] == q && t.src[t.pos+2] == q {
				t.pos += 3
				t.emit(String, start, line)
				return
			}
			t.pos++
		case c == '\n' || c == '\r':
			if !triple {
				t.fail(line, "unterminated string literal")
				t.emit(String, start, line)
				return
			}
			t.newline()
		default:
			t.pos++
		}
	}
	if triple {
		t.fail(line, "unterminated triple-quoted string literal")
	} else {
		t.fail(line, "unterminated string literal")
	}
	t.emit(String, start, line)
}

// opLen returns the length of the operator at the start of s (1 for a single
// character that is not the start of a longer operator).
func opLen(s string) int {
	if len(s) < 2 {
		return 1
	}
	c, d := s[0], s[1]
	switch c {
	case '*', '/', '>', '<':
		if d == c {
			if len(s) > 2 && s[2] == '=' {
				return 3
			}
			return 2
		}
		if d == '=' || c == '<' && d == '>' {
			return 2
		}
	case '.':
		if d == '.' && len(s) > 2 && s[2] == '.' {
			return 3
		}
	case '-':
		if d == '>' || d == '=' {
			return 2
		}
	case '+', '%', '&', '|', '^', '@', ':', '=', '!':
		if d == '=' {
			return 2
		}
	}
	return 1
}

// op reads an operator or bracket, minding the replacement field of an open f-string.
func (t *tokenizer) op() {
	start, line := t.pos, t.line
	c := t.src[t.pos]
	var fs *fstring
	var top *field
	if n := len(t.fstrings); n > 0 {
		fs = &t.fstrings[n-1]
		if k := len(fs.fields); k > 0 && fs.fields[k-1].depth+1 == len(t.parens) {
			top = &fs.fields[k-1]
		}
	}
	if top != nil {
		switch {
		case c == '}':
			t.pos++
			t.emit(Op, start, line)
			t.closeField(fs)
			return
		case c == ':':
			t.pos++
			t.emit(Op, start, line)
			top.inSpec = true
			return
		case c == '!' && !strings.HasPrefix(t.src[t.pos:], "!="):
			t.pos++
			t.emit(Op, start, line)
			return
		}
	}
	if n := opLen(t.src[t.pos:]); n > 1 {
		t.pos += n
		t.emit(Op, start, line)
		return
	}
	t.pos++
	switch c {
	case '(', '[', '{':
		t.parens = append(t.parens, c)
		t.parenLines = append(t.parenLines[:len(t.parens)-1], line)
	case ')', ']', '}':
		if n := len(t.parens); n > 0 {
			if fs != nil && len(fs.fields) > 0 && fs.fields[len(fs.fields)-1].depth+1 >= n {
				// A stray closer must not close the f-string's own field.
				t.fail(line, "unmatched %q", c)
			} else if open := t.parens[n-1]; open != map[byte]byte{')': '(', ']': '[', '}': '{'}[c] {
				t.fail(line, "closing parenthesis %q does not match opening parenthesis %q on line %d", c, open, t.parenLines[n-1])
				t.parens = t.parens[:n-1]
			} else {
				t.parens = t.parens[:n-1]
			}
		} else {
			t.fail(line, "unmatched %q", c)
		}
	}
	t.emit(Op, start, line)
}
