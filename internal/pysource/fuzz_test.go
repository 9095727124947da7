package pysource

import (
	"os"
	"path/filepath"
	"testing"
)

func addSeeds(f *testing.F) {
	paths, _ := filepath.Glob("testdata/edge/*.py")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{"", "f'{", "f'{x:{y", "'''", "(\n", "if x:\n  y\n z\n", "\\", "f\"{'\n'}\"",
		"match x:\n case 1:\n  pass\n", "from . import", "@\n", "try:\nexcept:", "f'{x!r:{'a'}}'", "}",
		"f'{)}'", "rb'\\", "\tif 1:\n        x\n\ty\n", "def f(:\n", "x = [\n"} {
		f.Add([]byte(s))
	}
}

// FuzzTokenize checks that the tokenizer never panics, always ends with EOF and
// keeps line numbers in order.
func FuzzTokenize(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		toks, _ := Tokenize(src)
		if len(toks) == 0 || toks[len(toks)-1].Kind != EOF {
			t.Fatalf("token stream does not end with EOF")
		}
		line := int32(1)
		for _, tk := range toks {
			if tk.Line < line {
				t.Fatalf("line numbers go back: %d after %d", tk.Line, line)
			}
			line = tk.Line
		}
	})
}

// FuzzParse checks that parsing and listing imports never panic and that import
// records are well-formed.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		m, err := Parse(src)
		if se, ok := err.(*SyntaxError); ok && (se.Line < 1 || se.Line > 1+countLines(src)) {
			t.Fatalf("syntax error at line %d of a %d-line source", se.Line, countLines(src))
		}
		for _, h := range Python2Hints(src) {
			if h.Line < 1 || h.What == "" {
				t.Fatalf("bad Python 2 hint %+v", h)
			}
		}
		for _, i := range Imports(m) {
			if i.Level < 0 || i.Line < 1 {
				t.Fatalf("bad import %+v", i)
			}
		}
	})
}

func countLines(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' || c == '\r' {
			n++
		}
	}
	return n
}
