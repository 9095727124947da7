package pysource

import (
	"reflect"
	"testing"
)

func TestPython2Hints(t *testing.T) {
	for _, tt := range []struct {
		src  string
		want []Py2Hint
	}{
		{"import os\nprint 'hi'\n", []Py2Hint{{2, "print statement"}}},
		{"print >>sys.stderr, x\n", []Py2Hint{{1, "print statement"}}},
		{"if x: print x\n", []Py2Hint{{1, "print statement"}}},
		{"try:\n    pass\nexcept Exception, e:\n    pass\n", []Py2Hint{{3, "except X, e"}}},
		{"x = `1`\n", []Py2Hint{{1, "backticks"}}},
		{"raise ValueError, 'bad'\n", []Py2Hint{{1, "raise E, message"}}},
		{"exec code in ns\n", []Py2Hint{{1, "exec statement"}}},
		{"if a <> b: pass\nm = 0777\n", []Py2Hint{{1, "the <> operator"}, {2, "octal literal 0777"}}},
		// Python 3: none.
		{"print('hi')\nprint\nprint(x, file=f)\nprint in xs\np = print if a else b\n", nil},
		{"try:\n    pass\nexcept (A, B) as e:\n    raise X(a, b) from e\n", nil},
		{"exec(code)\nd = {'print': 1}\nx = 0o777 + 0 + 00\nf(print, exec)\n", nil},
		{"def f():\n    return print\nclass A:\n    exec = 1\n", nil},
	} {
		if got := Python2Hints([]byte(tt.src)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Python2Hints(%q) = %v, want %v", tt.src, got, tt.want)
		}
	}
	many := []byte{}
	for range 1000 {
		many = append(many, "print 1\n"...)
	}
	if got := Python2Hints(many); len(got) != maxPy2Hints {
		t.Errorf("%d hints for 1000 print statements, want the first %d", len(got), maxPy2Hints)
	}
}

// TestSyntaxErrorLine: an unclosed bracket is reported at the line where it opens,
// as CPython does, not where the file ends; a mismatched closer names both.
func TestSyntaxErrorLine(t *testing.T) {
	for _, tt := range []struct {
		src  string
		line int
		msg  string
	}{
		{"x = (1,\n2,\n\ny = 3\n", 1, `'(' was never closed`},
		{"import os\ndef f(a,\n       b:\n    pass\n\n", 2, `'(' was never closed`},
		{"x = [1,\n 2)\n", 2, `closing parenthesis ')' does not match opening parenthesis '[' on line 1`},
		{"x = 1\n\n\n)\n", 4, `unmatched ')'`},
	} {
		_, err := Parse([]byte(tt.src))
		se, ok := err.(*SyntaxError)
		if !ok || se.Line != tt.line || se.Msg != tt.msg {
			t.Errorf("Parse(%q) = %v, want line %d: %s", tt.src, err, tt.line, tt.msg)
		}
	}
}
