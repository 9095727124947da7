package pylock

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/pydepot/pydepot/internal/errs"
)

func sample() *Lock {
	t := time.Date(2025, 1, 25, 11, 30, 10, 164985000, time.UTC)
	l := New()
	l.RequiresPython = ">=3.11"
	l.Environments = []string{`sys_platform == "linux"`}
	l.Packages = []Package{
		{
			Name: "PyYAML", Version: "6.0.1", Index: "http://127.0.0.1:8080/simple/",
			Wheels: []File{{
				Name: "PyYAML-6.0.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
				URL:  "http://127.0.0.1:8080/files/ab/PyYAML-6.0.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
				Size: 757000, UploadTime: &t, Hashes: map[string]string{"sha256": "d2b04aac4d386b172d5b9692e2d2da8de7bfb6c387fa4f801fbf6fb2e6ba4673"},
			}},
		},
		{
			Name: "Jinja2", Version: "3.1.2", Index: "http://127.0.0.1:8080/simple/",
			Dependencies: []Dependency{{Name: "MarkupSafe"}},
			Sdist: &File{Name: "Jinja2-3.1.2.tar.gz", URL: "http://x/Jinja2-3.1.2.tar.gz", Size: 268239,
				Hashes: map[string]string{"sha256": "31351a702a408a9e7595a8fc6150fc3f43bb6bf7e319770cbc0db9df9437e852"}},
			Wheels: []File{{Name: "Jinja2-3.1.2-py3-none-any.whl", Path: "wheels/Jinja2-3.1.2-py3-none-any.whl",
				Hashes: map[string]string{"sha256": "6088930bfe239f0e6710546ab9c19c9ef35e29792895fed6e6e31a023a182a61", "sha512": "00"}}},
			Tool: map[string]any{"pydepot": map[string]any{"built": true}},
		},
		{
			Name: "markupsafe", Version: "2.1.3", Marker: `python_version >= "3.7"`,
			Wheels: []File{{Name: "MarkupSafe-2.1.3-cp311-cp311-manylinux_2_17_x86_64.whl", URL: "http://x/m.whl",
				Hashes: map[string]string{"sha256": "05fb21170423db021895e1ea1e1f3ab3adb85d1c2333cbc2310f2a26bc77272e"}}},
		},
	}
	l.Tool = map[string]any{"pydepot": map[string]any{"python": "3.11.7", "interpreter": "/usr/bin/python3.11", "n": int64(3)}}
	return l
}

func TestRoundTrip(t *testing.T) {
	l := sample()
	b, err := Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatalf("parse own output: %v\n%s", err, b)
	}
	b2, err := Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Fatalf("round trip changed bytes:\n%s\n---\n%s", b, b2)
	}
	// Sorted by normalized name: jinja2, markupsafe, pyyaml.
	if got.Packages[0].Name != "Jinja2" || got.Packages[1].Name != "markupsafe" || got.Packages[2].Name != "PyYAML" {
		t.Errorf("packages not sorted: %v %v %v", got.Packages[0].Name, got.Packages[1].Name, got.Packages[2].Name)
	}
	if ut := got.Packages[2].Wheels[0].UploadTime; ut == nil || !ut.Equal(*l.Packages[0].Wheels[0].UploadTime) {
		t.Errorf("upload-time lost: %v", ut)
	}
	if !strings.HasPrefix(string(b), "lock-version = \"1.0\"\n") || !strings.Contains(string(b), "created-by = \"pydepot\"\n") {
		t.Errorf("header:\n%s", b)
	}
}

func TestDeterministic(t *testing.T) {
	a := sample()
	b := sample()
	// Same content, other order.
	b.Packages[0], b.Packages[2] = b.Packages[2], b.Packages[0]
	b.Packages[1].Wheels[0].Hashes = map[string]string{"sha512": "00", "sha256": "6088930bfe239f0e6710546ab9c19c9ef35e29792895fed6e6e31a023a182a61"}
	da, err := a.Digest()
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		db, err := b.Digest()
		if err != nil {
			t.Fatal(err)
		}
		if da != db {
			t.Fatalf("digest differs for the same content: %s %s", da, db)
		}
	}
	b.Packages[0].Version = "2.1.4"
	if db, _ := b.Digest(); db == da {
		t.Fatal("digest did not change with content")
	}
	// Marshal does not reorder the caller's lock.
	if a.Packages[0].Name != "PyYAML" {
		t.Error("Marshal modified its input")
	}
}

// TestSpecFieldNames checks the written keys against the PEP 751 names by decoding the
// output generically.
func TestSpecFieldNames(t *testing.T) {
	b, err := Marshal(sample())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if _, err := toml.Decode(string(b), &doc); err != nil {
		t.Fatal(err)
	}
	top := map[string]bool{"lock-version": true, "environments": true, "requires-python": true, "extras": true,
		"dependency-groups": true, "default-groups": true, "created-by": true, "packages": true, "tool": true}
	pkg := map[string]bool{"name": true, "version": true, "marker": true, "requires-python": true, "dependencies": true,
		"vcs": true, "directory": true, "archive": true, "index": true, "sdist": true, "wheels": true,
		"attestation-identities": true, "tool": true}
	file := map[string]bool{"name": true, "upload-time": true, "url": true, "path": true, "size": true, "hashes": true}
	for k := range doc {
		if !top[k] {
			t.Errorf("top-level key %q is not in PEP 751", k)
		}
	}
	for _, p := range doc["packages"].([]map[string]any) {
		for k := range p {
			if !pkg[k] {
				t.Errorf("package key %q is not in PEP 751", k)
			}
		}
		var files []map[string]any
		if s, ok := p["sdist"].(map[string]any); ok {
			files = append(files, s)
		}
		if ws, ok := p["wheels"].([]any); ok {
			for _, w := range ws {
				files = append(files, w.(map[string]any))
			}
		}
		for _, f := range files {
			for k := range f {
				if !file[k] {
					t.Errorf("file key %q is not in PEP 751", k)
				}
			}
		}
	}
}

func TestParseSpecExample(t *testing.T) {
	data, err := os.ReadFile("testdata/example.toml")
	if err != nil {
		t.Fatal(err)
	}
	l, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Packages) != 2 || l.Packages[0].AttestationIdentities[0]["kind"] != "GitHub" || l.Packages[1].Sdist == nil {
		t.Fatalf("unexpected: %+v", l)
	}
	b, err := Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := Parse(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	b2, _ := Marshal(l2)
	if !bytes.Equal(b, b2) {
		t.Fatalf("not stable:\n%s\n---\n%s", b, b2)
	}
}

func TestParseErrors(t *testing.T) {
	const wheel = `wheels = [{url = "http://x/a-1-py3-none-any.whl", hashes = {sha256 = "00"}}]`
	tests := []struct{ name, doc, want string }{
		{"not toml", "lock-version = ", "pylock"},
		{"no version", "created-by = \"x\"\n", "lock-version is missing"},
		{"version 2", "lock-version = \"2.0\"\ncreated-by = \"x\"\n", "not supported"},
		{"no created-by", "lock-version = \"1.0\"\n", "created-by is missing"},
		{"bad name", "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"-a\"\n" + wheel, "not a valid project name"},
		{"no files", "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"a\"\n", "no sdist and no wheels"},
		{"no hashes", "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"a\"\nwheels = [{url = \"u\"}]", "no hashes"},
		{"no url", "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"a\"\nwheels = [{hashes = {sha256 = \"0\"}}]", "neither url nor path"},
		{"vcs", "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"a\"\nvcs = {type = \"git\"}\n" + wheel, "unsupported keys"},
		{"duplicate", "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"a\"\nversion = \"1\"\n" + wheel + "\n[[packages]]\nname = \"A\"\nversion = \"1\"\n" + wheel, "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if err == nil || !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalid containing %q", err, tt.want)
			}
		})
	}
}

func TestEscaping(t *testing.T) {
	l := New()
	l.Packages = []Package{{Name: "a", Marker: "x == \"q\\\"\n\t\x01\x7f\"",
		Wheels: []File{{URL: "http://x/a b", Hashes: map[string]string{"sha256": "0"}}}}}
	b, err := Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if got.Packages[0].Marker != l.Packages[0].Marker {
		t.Fatalf("marker %q != %q", got.Packages[0].Marker, l.Packages[0].Marker)
	}
}

func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("testdata/example.toml"); err == nil {
		f.Add(data)
	}
	if b, err := Marshal(sample()); err == nil {
		f.Add(b)
	}
	f.Add([]byte("lock-version = \"1.0\"\ncreated-by = \"x\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse(data)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		b, err := Marshal(l)
		if err != nil {
			t.Fatalf("valid lock does not marshal: %v", err)
		}
		l2, err := Parse(b)
		if err != nil {
			t.Fatalf("own output does not parse: %v\n%s", err, b)
		}
		b2, err := Marshal(l2)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("not canonical: %v\n%s\n---\n%s", err, b, b2)
		}
	})
}

// TestPythonTomllib reads the output with CPython's tomllib (3.11+) and checks the values.
func TestPythonTomllib(t *testing.T) {
	b, err := Marshal(sample())
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3.11", "-c", `
import json, sys, tomllib
d = tomllib.load(sys.stdin.buffer)
p = {x["name"]: x for x in d["packages"]}
print(json.dumps([d["lock-version"], d["created-by"], d["environments"], sorted(p),
    p["PyYAML"]["wheels"][0]["upload-time"].isoformat(), p["PyYAML"]["wheels"][0]["size"],
    p["Jinja2"]["sdist"]["hashes"]["sha256"], p["markupsafe"]["marker"],
    p["Jinja2"]["tool"]["pydepot"]["built"], d["tool"]["pydepot"]["n"]]))
`)
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tomllib: %v\n%s", err, out)
	}
	want := `["1.0", "pydepot", ["sys_platform == \"linux\""], ["Jinja2", "PyYAML", "markupsafe"], "2025-01-25T11:30:10.164985+00:00", 757000, "31351a702a408a9e7595a8fc6150fc3f43bb6bf7e319770cbc0db9df9437e852", "python_version >= \"3.7\"", true, 3]`
	if got := strings.TrimSpace(string(out)); got != want {
		t.Fatalf("tomllib read\n%s\nwant\n%s", got, want)
	}
}
