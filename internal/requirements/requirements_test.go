package requirements

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/markers"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, name, specs, url, marker, str string
		extras                            []string
	}{
		{in: "requests", name: "requests", str: "requests"},
		{in: `requests[socks,Security]>=2; python_version>"3.7"`, name: "requests", extras: []string{"socks", "Security"},
			specs: ">=2", marker: `python_version > "3.7"`, str: `requests[Security,socks]>=2; python_version > "3.7"`},
		{in: "name (>=1.0, <2)", name: "name", specs: "<2,>=1.0"},
		{in: "name @ https://x/n-1.whl ; os_name=='nt'", name: "name", url: "https://x/n-1.whl", marker: `os_name == "nt"`,
			str: `name @ https://x/n-1.whl ; os_name == "nt"`},
		{in: "Zope.Interface", name: "Zope.Interface", str: "Zope.Interface"},
	}
	for _, tt := range tests {
		r, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if r.Name != tt.name || r.URL != tt.url || r.Marker.String() != tt.marker || !slices.Equal(r.Extras, tt.extras) {
			t.Errorf("Parse(%q) = %+v", tt.in, r)
		}
		if tt.specs != "" {
			var got []string
			for _, s := range r.Specifiers {
				got = append(got, s.String())
			}
			slices.Sort(got)
			if strings.Join(got, ",") != tt.specs {
				t.Errorf("Parse(%q) specifiers %v, want %s", tt.in, got, tt.specs)
			}
		}
		if tt.str != "" && r.String() != tt.str {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, r.String(), tt.str)
		}
	}
	if MustParse("Foo_Bar").NormalizedName() != "foo-bar" {
		t.Error("NormalizedName")
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{"", "-a", "a-", "name[a b]", "name;", "name >=1.0 <2", "name>=1.0.*", "name @", "name==x.y"} {
		_, err := Parse(s)
		if err == nil || !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("Parse(%q) error = %v, want one wrapping ErrInvalid", s, err)
		}
	}
}

func TestMarkerEvaluation(t *testing.T) {
	r := MustParse(`pywin32>=300; sys_platform == "win32" and extra == "Win"`)
	env := markers.Env{"sys_platform": "win32"}
	if r.Marker.EvaluateExtras(env, nil) || !r.Marker.EvaluateExtras(env, []string{"win"}) {
		t.Error("marker evaluation through a requirement is wrong")
	}
}

func mapOpener(files map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		s, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("open %s: %w", name, fs.ErrNotExist)
		}
		return []byte(s), nil
	}
}

func TestParseFile(t *testing.T) {
	files := map[string]string{
		"dir/base.txt":         "six==1.16.0\n-c ../constraints.txt\n",
		"constraints.txt":      "urllib3<2  # keep old\n-r more-constraints.txt\n",
		"more-constraints.txt": "idna<4\n",
	}
	main := `# a comment
--index-url https://pypi.example/simple
--extra-index-url=https://extra.example/simple
-i https://mirror.example/simple

requests[socks] >= 2.0 \
    , < 3 ; python_version >= "3.8"  # trailing comment
flask==2.0 --hash=sha256:abababababababababababababababababababababababababababababababab --hash sha256:efefefefefefefefefefefefefefefefefefefefefefefefefefefefefefefef
-r base.txt
numpy @ https://files.example/numpy-1.0.whl#sha256=00
   # indented comment \
pyyaml
--pre
--prefer-binary --only-binary=:all:
`
	f, err := ParseFile("dir/requirements.txt", []byte(main), mapOpener(files))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range f.Requirements {
		got = append(got, r.Name)
	}
	if want := []string{"requests", "flask", "six", "numpy", "pyyaml"}; !slices.Equal(got, want) {
		t.Errorf("requirements %v, want %v", got, want)
	}
	if s := f.Requirements[0].String(); s != `requests[socks]<3,>=2.0; python_version >= "3.8"` && s != `requests[socks]>=2.0,<3; python_version >= "3.8"` {
		t.Errorf("continued line parsed as %q", s)
	}
	if f.Requirements[3].URL != "https://files.example/numpy-1.0.whl#sha256=00" {
		t.Errorf("url %q", f.Requirements[3].URL)
	}
	got = nil
	for _, r := range f.Constraints {
		got = append(got, r.Name)
	}
	if want := []string{"urllib3", "idna"}; !slices.Equal(got, want) {
		t.Errorf("constraints %v, want %v", got, want)
	}
	if want := []string{"https://mirror.example/simple", "https://extra.example/simple"}; !slices.Equal(f.IndexURLs, want) {
		t.Errorf("index URLs %v, want %v", f.IndexURLs, want)
	}
	if !f.Pre {
		t.Error("--pre not recorded")
	}
}

func TestParseFileErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"ok\n-e .\n", "r.txt:2: editable"},
		{"ok\n\n--editable=git+https://x/y#egg=y\n", "r.txt:3: editable"},
		{"./local/project\n", "r.txt:1: a local path"},
		{"/abs/project\n", "r.txt:1: a local path"},
		{"https://example.com/x-1.0.tar.gz\n", "r.txt:1: a bare URL"},
		{"x-1.0-py3-none-any.whl\n", "r.txt:1: an archive file name"},
		{"a\nb\nc>=\n", "r.txt:3:"},
		{"--frobnicate\n", "r.txt:1: unknown option --frobnicate"},
		{"-r\n", "r.txt:1: option -r needs a value"},
		{"-r missing.txt\n", "r.txt:1: include missing.txt"},
		{"-r r.txt\n", "include cycle"},
		{"--hash=sha256:00\n", "--hash must follow"},
		{"foo --frob\n", "r.txt:1: option --frob is not allowed"},
		{"foo \\\n  >= 1 \\\n  bar\n", "r.txt:1:"},
	}
	for _, tt := range tests {
		_, err := ParseFile("r.txt", []byte(tt.text), mapOpener(map[string]string{"r.txt": tt.text}))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseFile(%q) error = %v, want it to contain %q", tt.text, err, tt.want)
			continue
		}
		if !errors.Is(err, errs.ErrInvalid) && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ParseFile(%q) error %v wraps neither ErrInvalid nor the open error", tt.text, err)
		}
	}
}

func FuzzParseRequirement(f *testing.F) {
	for _, s := range oracleInputs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		str := r.String()
		r2, err := Parse(str)
		if err != nil {
			t.Fatalf("String() %q of %q does not parse: %v", str, s, err)
		}
		if r2.String() != str {
			t.Fatalf("round trip %q -> %q -> %q", s, str, r2.String())
		}
	})
}

func FuzzParseRequirementsFile(f *testing.F) {
	f.Add("requests>=2\n# c\n-r other.txt\n")
	f.Add("-i https://x/simple\n--extra-index-url https://y\nflask \\\n ==2.0 --hash=sha256:00\n")
	f.Add("-c c.txt\n-e .\n")
	f.Add("a\\\n")
	f.Fuzz(func(t *testing.T, s string) {
		open := mapOpener(map[string]string{"other.txt": "six\n-r other.txt\n", "c.txt": "urllib3<2\n"})
		_, err := ParseFile("r.txt", []byte(s), open)
		if err != nil && !errors.Is(err, errs.ErrInvalid) && !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("unexpected error category: %v", err)
		}
	})
}

func TestJSON(t *testing.T) {
	type doc struct {
		Req Requirement    `json:"req"`
		M   markers.Marker `json:"m"`
	}
	in := doc{Req: MustParse(`a[x]>=1; os_name == "nt"`), M: markers.MustParse(`python_version < "3"`)}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"req":"a[x]\u003e=1; os_name == \"nt\"","m":"python_version \u003c \"3\""}` {
		t.Errorf("json %s", b)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Req.String() != in.Req.String() || out.M.String() != in.M.String() {
		t.Errorf("round trip %+v", out)
	}
}

// The options that change what is installed are recorded, and the ones without effect are
// listed, never dropped silently.
func TestParseFileOptions(t *testing.T) {
	h1, h2 := strings.Repeat("a", 64), strings.Repeat("B", 64)
	text := "--extra-index-url https://extra.example/simple\n--no-index\n--find-links ./wheels\n" +
		"Flask==2.0 --hash=sha256:" + h1 + " \\\n    --hash sha256:" + h2 + "\n" +
		"six==1.16 --config-settings k=v\n" +
		"--only-binary :all:\n--no-binary Six,lxml\n--only-binary=lxml\n--prefer-binary\n--trusted-host example.com\n"
	f, err := ParseFile("r.txt", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.IndexURL != "" || !slices.Equal(f.ExtraIndexURLs, []string{"https://extra.example/simple"}) || !f.NoIndex ||
		!slices.Equal(f.FindLinks, []string{"./wheels"}) {
		t.Errorf("index options: %q %v %v %v", f.IndexURL, f.ExtraIndexURLs, f.NoIndex, f.FindLinks)
	}
	if !f.RequireHashes || !slices.Equal(f.Hashes["flask"], []string{"sha256:" + h1, "sha256:" + strings.ToLower(h2)}) {
		t.Errorf("hashes %v (mode %v)", f.Hashes, f.RequireHashes)
	}
	for name, want := range map[string][2]bool{"six": {false, true}, "lxml": {true, false}, "flask": {true, false}} {
		w, s := f.Binary.Allowed(name)
		if [2]bool{w, s} != want {
			t.Errorf("%s: wheel %v sdist %v, want %v", name, w, s, want)
		}
	}
	if !f.PreferBinary || len(f.Ignored) != 2 || !strings.Contains(strings.Join(f.Ignored, "|"), "r.txt:6: --config-settings k=v") {
		t.Errorf("prefer-binary %v, ignored %q", f.PreferBinary, f.Ignored)
	}
	for _, bad := range []string{"x==1 --hash=sha256\n", "x==1 --hash=:00\n", "--only-binary\n", "--no-binary=-x\n"} {
		if _, err := ParseFile("r.txt", []byte(bad), nil); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%q: err %v", bad, err)
		}
	}
	if f, err := ParseFile("r.txt", []byte("--require-hashes\nx==1\n"), nil); err != nil || !f.RequireHashes {
		t.Errorf("--require-hashes: %v %+v", err, f)
	}
	for h, ok := range map[string]bool{"sha256:" + h1: true, "sha512:" + strings.Repeat("0", 128): true, "md5:00": false, "sha256:00": false, "sha256:" + strings.Repeat("g", 64): false} {
		if err := CheckHash(h); (err == nil) != ok || err != nil && !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("CheckHash(%s) = %v", h, err)
		}
	}
}
