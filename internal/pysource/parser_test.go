package pysource

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// shape renders the statement tree compactly: kind[clause keywords]{bodies}.
func shape(body []*Stmt) string {
	var parts []string
	for _, s := range body {
		p := s.Kind.String()
		if s.Async {
			p = "async " + p
		}
		if s.Name != "" {
			p += " " + s.Name
		}
		if len(s.Decorators) > 0 {
			p = strings.Repeat("@", len(s.Decorators)) + p
		}
		for _, c := range s.Clauses {
			p += " " + c.Keyword + "{" + shape(c.Body) + "}"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

func TestParseShape(t *testing.T) {
	tests := []struct{ src, want string }{
		{"x = 1\ny = 2; z = 3\n", "simple; simple; simple"},
		{"if a:\n  b\nelif c:\n  d\nelse:\n  e\n", "if if{simple} elif{simple} else{simple}"},
		{"try:\n a\nexcept E:\n b\nexcept* F:\n c\nelse:\n d\nfinally:\n e\n",
			"try try{simple} except{simple} except*{simple} else{simple} finally{simple}"},
		{"@d1\n@d2(x)\nasync def f(a: int = 1) -> None:\n    return\n", "@@async def f def{simple}"},
		{"class C(B):\n    def m(self): pass\n", "class C class{def m def{simple}}"},
		{"match x:\n    case 1: a\n    case _:\n        b\n", "match match{} case{simple} case{simple}"},
		{"match = 1\nmatch(x)\ncase = 2\n", "simple; simple; simple"},
		{"for x in y: a\nelse: b\nwhile c:\n  d\n", "for for{simple} else{simple}; while while{simple}"},
		{"async with a as b:\n  async for c in d: pass\n", "async with with{async for for{simple}}"},
		{"type X = int\nimport a\nfrom . import b\n", "simple; import; import"},
		{"if lambda: 1:\n  pass\n", "if if{simple}"},
		{"with (a as b,\n      c as d):\n  pass\n", "with with{simple}"},
	}
	for _, tt := range tests {
		m, err := Parse([]byte(tt.src))
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
		}
		if got := shape(m.Body); got != tt.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tt.src, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, src := range []string{
		"if x\n  y\n", "x = (1,\n", "s = 'abc\n", "f'{x'\n", "else:\n  pass\n", "  x = 1\n", "from import x\n",
		"def f():\nreturn 1\n", "x = 1 \\ y\n", "'''never closed", "print 'py2'\nimport os\n",
	} {
		m, err := Parse([]byte(src))
		var se *SyntaxError
		if err != nil && !errors.As(err, &se) {
			t.Errorf("Parse(%q) error %T, want *SyntaxError", src, err)
		}
		if m == nil {
			t.Errorf("Parse(%q) gave no module", src)
		}
		if err == nil && !strings.Contains(src, "print") {
			t.Errorf("Parse(%q): no error", src)
		}
	}
}

func TestStringValue(t *testing.T) {
	tests := []struct {
		lit, want string
		ok        bool
	}{
		{`"abc"`, "abc", true},
		{`'a\'b'`, "a'b", true},
		{`r"a\nb"`, `a\nb`, true},
		{`"a\nb"`, "a\nb", true},
		{`"\x61\u0062\U00000063\144"`, "abcd", true},
		{`'''tri"ple'''`, `tri"ple`, true},
		{`U"x"`, "x", true},
		{`b"x"`, "", false},
		{`Rb"x"`, "", false},
		{`f"x"`, "", false},
		{`"unterminated`, "", false},
		{`"a\qb"`, `a\qb`, true},
		{`"line\` + "\n" + `next"`, "linenext", true},
	}
	for _, tt := range tests {
		got, ok := StringValue(tt.lit)
		if got != tt.want || ok != tt.ok {
			t.Errorf("StringValue(%q) = %q, %v; want %q, %v", tt.lit, got, ok, tt.want, tt.ok)
		}
	}
}

// TestPython314 covers syntax newer than the installed interpreters: t-strings
// (PEP 750) and except without parentheses (PEP 758).
func TestPython314(t *testing.T) {
	src := "t = t\"{__import__('in_tstring')}\"\ntry:\n    import opt\nexcept ValueError, ImportError:\n    pass\n"
	m, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range Imports(m) {
		got = append(got, fmt.Sprintf("%s dyn=%v opt=%v", i.Module, i.Dynamic, i.Optional))
	}
	want := "in_tstring dyn=true opt=false|opt dyn=false opt=true"
	if strings.Join(got, "|") != want {
		t.Errorf("got %s, want %s", strings.Join(got, "|"), want)
	}
}
