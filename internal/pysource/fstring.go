package pysource

import "strings"

// fstring is an open f-string: its closing quote and the stack of its open
// replacement fields.
type fstring struct {
	quote  string
	raw    bool
	fields []field
}

type field struct {
	depth  int  // len(tokenizer.parens) before the field's '{'
	inSpec bool // after the format-spec ':'
}

func (t *tokenizer) fstringStart(start int, raw bool) {
	q := t.src[t.pos]
	quote := t.src[t.pos : t.pos+1]
	if t.pos+2 < len(t.src) && t.src[t.pos+1] == q && t.src[t.pos+2] == q {
		quote = t.src[t.pos : t.pos+3]
	}
	t.pos += len(quote)
	t.emit(FStringStart, start, t.line)
	t.fstrings = append(t.fstrings, fstring{quote: quote, raw: raw})
}

// fstringText reads the literal text of an f-string (or of a format spec) up to a
// replacement field, the end of the spec, or the closing quote.
func (t *tokenizer) fstringText(fs *fstring) {
	start, line := t.pos, t.line
	inSpec := len(fs.fields) > 0
	flush := func() {
		if t.pos > start {
			t.emit(FStringMiddle, start, line)
		}
	}
	for t.pos < len(t.src) {
		c := t.src[t.pos]
		switch {
		case c == '\\' && !fs.raw:
			t.pos++
			if t.pos < len(t.src) && t.src[t.pos] == 'N' && t.pos+1 < len(t.src) && t.src[t.pos+1] == '{' {
				if end := strings.IndexByte(t.src[t.pos:min(len(t.src), t.pos+256)], '}'); end >= 0 {
					t.pos += end + 1
					continue
				}
			}
			if t.pos < len(t.src) && (t.src[t.pos] == '\n' || t.src[t.pos] == '\r') {
				t.newline()
			} else if t.pos < len(t.src) && t.src[t.pos] != '{' && t.src[t.pos] != '}' {
				t.pos++
			}
		case c == '\\':
			t.pos++
			if t.pos < len(t.src) && (t.src[t.pos] == '\n' || t.src[t.pos] == '\r') {
				t.newline()
			} else if t.pos < len(t.src) && t.src[t.pos] != '{' && t.src[t.pos] != '}' {
				t.pos++
			}
		case c == '{':
			if !inSpec && t.pos+1 < len(t.src) && t.src[t.pos+1] == '{' {
				t.pos += 2
				continue
			}
			flush()
			s := t.pos
			t.pos++
			t.emit(Op, s, t.line)
			fs.fields = append(fs.fields, field{depth: len(t.parens)})
			t.parens = append(t.parens, '{')
			t.parenLines = append(t.parenLines[:len(t.parens)-1], t.line)
			return
		case c == '}':
			if !inSpec {
				if t.pos+1 < len(t.src) && t.src[t.pos+1] == '}' {
					t.pos += 2
					continue
				}
				t.fail(t.line, "f-string: single '}' is not allowed")
				t.pos++
				continue
			}
			flush()
			s := t.pos
			t.pos++
			t.emit(Op, s, t.line)
			t.closeField(fs)
			return
		case c == fs.quote[0] && strings.HasPrefix(t.src[t.pos:], fs.quote):
			flush()
			if inSpec {
				t.fail(t.line, "f-string: expecting '}'")
				t.parens = t.parens[:fs.fields[0].depth]
			}
			s := t.pos
			t.pos += len(fs.quote)
			t.emit(FStringEnd, s, t.line)
			t.fstrings = t.fstrings[:len(t.fstrings)-1]
			return
		case c == '\n' || c == '\r':
			if len(fs.quote) == 1 {
				flush()
				t.fail(line, "unterminated f-string literal")
				if inSpec {
					t.parens = t.parens[:fs.fields[0].depth]
				}
				t.fstrings = t.fstrings[:len(t.fstrings)-1]
				t.toks = append(t.toks, Token{Kind: FStringEnd, Line: int32(t.line)})
				return
			}
			t.newline()
		default:
			t.pos++
		}
	}
	flush()
	t.fail(line, "unterminated f-string")
	if inSpec {
		t.parens = t.parens[:fs.fields[0].depth]
	}
	t.fstrings = t.fstrings[:len(t.fstrings)-1]
}

func (t *tokenizer) closeField(fs *fstring) {
	f := fs.fields[len(fs.fields)-1]
	fs.fields = fs.fields[:len(fs.fields)-1]
	t.parens = t.parens[:f.depth]
}
