package markers

import (
	"errors"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
)

var linux311 = Env{"python_version": "3.11", "python_full_version": "3.11.7", "os_name": "posix",
	"sys_platform": "linux", "platform_machine": "x86_64", "platform_python_implementation": "CPython",
	"implementation_name": "cpython"}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		marker string
		env    Env
		want   bool
	}{
		{`python_version >= "3.8"`, linux311, true},
		{`python_version >= "3.12"`, linux311, false},
		{`python_version > "3.9"`, linux311, true},  // PEP 440, not string: "3.11" < "3.9" as strings
		{`python_version < "3.9"`, linux311, false}, // idem
		{`"3.9" < python_version`, linux311, true},  // literal on the left
		{`python_full_version == "3.11.*"`, linux311, true},
		{`python_full_version ~= "3.11.0"`, linux311, true},
		{`python_version == "3.11.0"`, linux311, true}, // 3.11 == 3.11.0
		{`sys_platform == "linux" and os_name == "nt"`, linux311, false},
		{`sys_platform == "win32" or os_name == "posix"`, linux311, true},
		{`os_name == "nt" or sys_platform == "linux" and platform_machine == "arm64"`, linux311, false},
		{`(os_name == "nt" or sys_platform == "linux") and platform_machine == "x86_64"`, linux311, true},
		{`"linux" in sys_platform`, linux311, true},
		{`sys_platform not in "win32 cygwin"`, linux311, true},
		{`platform_python_implementation === "cpython"`, linux311, true},
		{`extra == "test"`, linux311, false},
		{`extra == "Test_X"`, Env{"extra": "test.x"}, true},
		{`platform_release >= "5"`, Env{}, false}, // missing key is ""
		{`platform_system == ""`, Env{}, true},
		{`sys_platform ~= "linux"`, linux311, false}, // undefined comparison
		{`os.name == "posix"`, linux311, true},
	}
	for _, tt := range tests {
		m, err := Parse(tt.marker)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.marker, err)
		}
		if got := m.Evaluate(tt.env); got != tt.want {
			t.Errorf("Parse(%q).Evaluate = %v, want %v", tt.marker, got, tt.want)
		}
	}
}

func TestEvaluateExtras(t *testing.T) {
	m := MustParse(`python_version >= "3" and extra == "socks"`)
	tests := []struct {
		extras []string
		want   bool
	}{
		{nil, false},
		{[]string{"test"}, false},
		{[]string{"test", "SOCKS"}, true},
	}
	for _, tt := range tests {
		if got := m.EvaluateExtras(linux311, tt.extras); got != tt.want {
			t.Errorf("EvaluateExtras(%v) = %v, want %v", tt.extras, got, tt.want)
		}
	}
	if _, ok := linux311["extra"]; ok {
		t.Error("EvaluateExtras modified the environment")
	}
	if !MustParse(`python_version >= "3"`).EvaluateExtras(linux311, nil) {
		t.Error("marker without extra should hold")
	}
	if !m.UsesExtra() || MustParse(`os_name == "nt"`).UsesExtra() {
		t.Error("UsesExtra wrong")
	}
}

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{`python_version>='3.8'`, `python_version >= "3.8"`},
		{`os.name=="nt"`, `os_name == "nt"`},
		{`python_implementation=='PyPy'`, `platform_python_implementation == "PyPy"`},
		{`extra == "Foo_Bar"`, `extra == "foo-bar"`},
		{`os_name == "nt" and extra == "Foo_Bar"`, `os_name == "nt" and extra == "foo-bar"`},
		{`(a_b)`, ``},
		{`((python_version < "3"))`, `python_version < "3"`},
		{`(os_name == "a" or os_name == "b") and python_version < "3"`, `(os_name == "a" or os_name == "b") and python_version < "3"`},
		{`os_name == 'a"b'`, `os_name == 'a"b'`},
		{`"x" not   in sys_platform`, `"x" not in sys_platform`},
	}
	for _, tt := range tests {
		m, err := Parse(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("Parse(%q) succeeded", tt.in)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if got := m.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{
		`python_version`, `python_version >=`, `python_version >= 3`, `python_version >= "3`,
		`(python_version >= "3"`, `python_version >= "3")`, `python_version notin "3"`,
		`foo == "bar"`, `python_version == "3" and`, `or python_version == "3"`,
		strings.Repeat("(", 500) + `os_name == "a"` + strings.Repeat(")", 500),
	} {
		_, err := Parse(s)
		if err == nil {
			t.Errorf("Parse(%q) succeeded", s)
			continue
		}
		if !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("Parse(%q) error %v does not wrap ErrInvalid", s, err)
		}
	}
}

func TestZero(t *testing.T) {
	for _, s := range []string{"", "  ", "\t"} {
		m, err := Parse(s)
		if err != nil || !m.IsZero() || !m.Evaluate(nil) || m.String() != "" {
			t.Errorf("Parse(%q) = %v, %v; want the empty marker", s, m, err)
		}
	}
	if MustParse(`os_name == "x"`).IsZero() {
		t.Error("non-empty marker IsZero")
	}
}

func FuzzParseMarker(f *testing.F) {
	for _, s := range oracleMarkers {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Parse(s)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		str := m.String()
		m2, err := Parse(str)
		if err != nil {
			t.Fatalf("String() %q of %q does not parse: %v", str, s, err)
		}
		if m2.String() != str {
			t.Fatalf("round trip %q -> %q -> %q", s, str, m2.String())
		}
		for _, env := range oracleEnvs {
			if m.Evaluate(env) != m2.Evaluate(env) {
				t.Fatalf("%q and %q evaluate differently", s, str)
			}
		}
	})
}
