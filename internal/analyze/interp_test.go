package analyze

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// TestProbeAndPin probes pyenv's 3.11, whose site-packages holds pip-installed PyYAML,
// python-dateutil and Jinja2, and pins the requirements to what is installed there.
func TestProbeAndPin(t *testing.T) {
	ctx := context.Background()
	py := testdist.PyenvPython(t, "3.11")
	in, err := Probe(ctx, py.Path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.Version != py.Version {
		t.Errorf("version = %s, want %s", in.Version, py.Version)
	}
	sp := py.Site
	found := false
	for _, p := range in.Path {
		found = found || p == sp
		if p == "" {
			t.Errorf("sys.path keeps the empty entry")
		}
	}
	if !found {
		t.Fatalf("sys.path %v lacks %s", in.Path, sp)
	}
	// The expected pins come from the dist-info folders themselves.
	want := map[string]string{}
	for _, d := range []string{"pyyaml", "python_dateutil", "jinja2"} {
		m, _ := filepath.Glob(filepath.Join(sp, d+"-*.dist-info"))
		if len(m) != 1 {
			t.Fatalf("%s: want one dist-info under %s, found %v", d, sp, m)
		}
		want[d] = readHeaders(filepath.Join(m[0], "METADATA")).Version
	}
	got, err := Run(ctx, Options{Sources: []string{"-"}, Target: in, Pin: true,
		Stdin: strings.NewReader("import yaml\nfrom dateutil import parser\nimport jinja2\nimport not_installed_anywhere\n")})
	if err != nil {
		t.Fatal(err)
	}
	wantReqs := []string{
		"Jinja2==" + want["jinja2"], // the dist-info's own spelling of the name
		"not_installed_anywhere",
		"python-dateutil==" + want["python_dateutil"],
		"PyYAML==" + want["pyyaml"],
	}
	for i := range wantReqs {
		if i < len(got.Requirements) && strings.EqualFold(got.Requirements[i], wantReqs[i]) {
			wantReqs[i] = got.Requirements[i]
		}
	}
	if !reflect.DeepEqual(got.Requirements, wantReqs) {
		t.Errorf("pinned requirements = %v, want %v", got.Requirements, wantReqs)
	}
	if got.Python != py.Version {
		t.Errorf("python = %s", got.Python)
	}
}

func TestReadInstalledDebian(t *testing.T) {
	in := ReadInstalled([]string{"/usr/lib/python3/dist-packages"})
	if ds := in.Imports["yaml"]; !reflect.DeepEqual(ds, []string{"pyyaml"}) {
		t.Errorf("yaml provided by %v, want [pyyaml]", ds)
	}
	if d := in.Dists["pyyaml"]; d.Name == "" || d.Version == "" {
		t.Errorf("pyyaml dist = %+v", d)
	}
	// Every distribution found has a name and a version.
	for k, d := range in.Dists {
		if d.Name == "" || d.Version == "" {
			t.Errorf("%s: %+v", k, d)
		}
	}
	if len(in.Dists) < 20 {
		t.Errorf("only %d distributions in /usr/lib/python3/dist-packages", len(in.Dists))
	}
}

func TestImportPaths(t *testing.T) {
	tests := map[string][]string{
		"google/protobuf/message.py": {"google", "google.protobuf", "google.protobuf.message"},
		"yaml/__init__.py":           {"yaml"},
		"_yaml/__init__.py":          {"_yaml"},
		"six.py":                     {"six"},
		"numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so": {"numpy", "numpy.core", "numpy.core._multiarray_umath"},
		"PyYAML-6.0.dist-info/RECORD":                                  nil,
		"../../../bin/tool":                                            nil,
		"yaml/__pycache__/x.cpython-311.pyc":                           {"yaml"},
		"pkg/data/file.txt":                                            {"pkg", "pkg.data"},
	}
	for p, want := range tests {
		if got := importPaths(p); !reflect.DeepEqual(got, want) {
			t.Errorf("importPaths(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestDefaultInterpreterMissing(t *testing.T) {
	empty := t.TempDir()
	_, err := DefaultInterpreter(context.Background(), func(k string) string {
		if k == "PATH" {
			return empty
		}
		return os.Getenv(k)
	})
	if err == nil || !strings.Contains(err.Error(), "--python") {
		t.Errorf("err = %v, want advice to pass --python", err)
	}
}

// TestProbeIsolated: a script's folder holding a json.py does not break the probe
// of any interpreter, Python 2.7 included; the probe still sees PYTHONPATH.
func TestProbeIsolated(t *testing.T) {
	dir := t.TempDir()
	for _, m := range []string{"json", "site"} {
		if err := os.WriteFile(filepath.Join(dir, m+".py"), []byte("raise SystemExit('shadowed')\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	extra := t.TempDir()
	getenv := func(k string) string {
		if k == "PYTHONPATH" {
			return extra
		}
		return os.Getenv(k)
	}
	for _, v := range []string{"2.7", "3.7", "3.11", "3.13"} {
		in, err := FindInterpreter(context.Background(), v, getenv)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if !strings.HasPrefix(in.Version, v+".") {
			t.Errorf("%s: version %s", v, in.Version)
		}
		if len(in.Path) == 0 || in.Path[0] != extra {
			t.Errorf("%s: sys.path %v does not start with PYTHONPATH %s", v, in.Path, extra)
		}
		for _, p := range in.Path {
			if p == dir || p == "/" {
				t.Errorf("%s: sys.path holds the working folder %s", v, p)
			}
		}
	}
}
