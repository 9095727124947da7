package pysource

// Py2Hint is a construct of Python 2 that Python 3 does not accept.
type Py2Hint struct {
	Line int
	What string // "print statement", "except X, e", "backticks", ...
}

// maxPy2Hints bounds the hints returned: a few are enough to say that a file is
// Python 2.
const maxPy2Hints = 5

// py2Continuers are the names after which `print`/`exec` is still a Python 3
// expression (`print in x`, `print if a else b`).
var py2Continuers = map[string]bool{"in": true, "is": true, "and": true, "or": true, "if": true, "else": true, "for": true}

// Python2Hints reads the token stream of src and returns the first Python 2 only
// constructs it finds (at most a few), in source order: print and exec statements
// (`print "x"`, `print >>f, x`, `exec code`), `except X, e:`, `raise E, "msg"`,
// backticks, the `<>` operator and octal literals written 0777. Python 3 code gives
// none. It reads each token once.
func Python2Hints(src []byte) []Py2Hint {
	toks, _ := Tokenize(src)
	return python2Hints(toks)
}

// python2Hints is Python2Hints on a token stream (Parse fills Module.Python2 so).
func python2Hints(toks []Token) []Py2Hint {
	var out []Py2Hint
	add := func(line int32, what string) {
		if n := len(out); n > 0 && out[n-1].Line == int(line) && out[n-1].What == what {
			return // `x` is two backticks on one line
		}
		if len(out) < maxPy2Hints {
			out = append(out, Py2Hint{Line: int(line), What: what})
		}
	}
	depth := 0
	atStart := true
	// clause is the statement keyword ("except", "raise") whose top-level comma makes
	// it Python 2, until the end of its header.
	clause := ""
	for i := 0; i < len(toks) && len(out) < maxPy2Hints; i++ {
		t := toks[i]
		start := atStart
		atStart = false
		switch t.Kind {
		case Newline, Indent, Dedent:
			atStart, clause, depth = true, "", 0
			continue
		case Number:
			if len(t.Text) > 1 && t.Text[0] == '0' && allDigits(t.Text) && !allZeros(t.Text) {
				add(t.Line, "octal literal "+t.Text)
			}
		case Op:
			var bracket bool
			if depth, bracket = nesting(depth, t); bracket {
				continue
			}
			switch t.Text {
			case "`":
				add(t.Line, "backticks")
			case "<>":
				add(t.Line, "the <> operator")
			case ";":
				atStart = depth == 0
			case ":":
				if depth == 0 && clause == "except" {
					clause = ""
				}
				atStart = depth == 0 && clause == ""
			case ",":
				if depth == 0 && clause != "" {
					if clause == "except" {
						add(t.Line, "except X, e")
					} else {
						add(t.Line, "raise E, message")
					}
					clause = ""
				}
			}
		case Name:
			if !start {
				continue
			}
			switch t.Text {
			case "print", "exec":
				if i+1 < len(toks) && statementArg(toks[i+1]) {
					add(t.Line, t.Text+" statement")
				}
			case "except", "raise":
				clause = t.Text
			}
		}
	}
	return out
}

// statementArg reports whether a token after `print` or `exec` at the start of a
// statement makes it a Python 2 statement rather than a Python 3 expression.
func statementArg(t Token) bool {
	switch t.Kind {
	case String, Number, FStringStart:
		return true
	case Name:
		return !py2Continuers[t.Text]
	case Op:
		return t.Text == ">>" || t.Text == "`"
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func allZeros(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}
