package inspect

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/testdist"
)

func inspectBytes(name string, data []byte) (*Info, error) {
	return Inspect(context.Background(), name, bytes.NewReader(data), int64(len(data)))
}

func inspectFile(t *testing.T, path string) *Info {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := inspectBytes(filepath.Base(path), data)
	if err != nil {
		t.Fatalf("Inspect(%s): %v", path, err)
	}
	if filepath.Ext(path) == ".whl" {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			if strings.HasSuffix(f.Name, ".dist-info/METADATA") {
				rc, _ := f.Open()
				var b bytes.Buffer
				b.ReadFrom(rc)
				rc.Close()
				if !bytes.Equal(b.Bytes(), info.MetadataBytes) {
					t.Errorf("%s: MetadataBytes differ from %s", path, f.Name)
				}
			}
		}
	}
	return info
}

func TestDebianWheels(t *testing.T) {
	want := map[string][]string{
		"pip":        {"pip"},
		"setuptools": {"_distutils_hack", "debian", "pkg_resources", "setuptools"}, // Debian's patched wheel
		"wheel":      {"wheel"},
	}
	wheels, _ := filepath.Glob("/usr/share/python-wheels/*.whl")
	if len(wheels) == 0 {
		t.Fatal("no wheels in /usr/share/python-wheels (run `make test-deps`, which installs Debian's python3-pip-whl and python3-setuptools-whl)")
	}
	for _, w := range wheels {
		info := inspectFile(t, w)
		if info.Dist.Name != info.Metadata.Name && !strings.EqualFold(info.Dist.Name, info.Metadata.Name) {
			t.Errorf("%s: name %s vs %s", w, info.Dist.Name, info.Metadata.Name)
		}
		if exp, ok := want[info.Metadata.NormalizedName()]; ok && !slices.Equal(info.ImportNames, exp) {
			t.Errorf("%s: import names %q, want %q", w, info.ImportNames, exp)
		}
		t.Logf("%s: %s %s imports %v", filepath.Base(w), info.Metadata.Name, info.Metadata.Version, info.ImportNames)
	}
}

// buildProject writes a small setuptools project with a src layout and builds its wheel
// and sdist with `python3 -m build --no-isolation`.
func buildProject(t *testing.T) (wheel, sdist string) {
	t.Helper()
	py := testdist.DebianBuildPython(t)
	dir := t.TempDir()
	files := map[string]string{
		"pyproject.toml": `[build-system]
requires = ["setuptools>=61", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "Demo.Project"
version = "1.2.0"
description = "A demo"
readme = "README.md"
requires-python = ">=3.8"
dependencies = ["requests>=2; python_version >= '3.8'", "PyYAML"]

[project.optional-dependencies]
test = ["pytest"]

[tool.setuptools.packages.find]
where = ["src"]
`,
		"README.md":                    "# Demo\n\nA line with é.\n",
		"src/demo_pkg/__init__.py":     "VERSION = '1.2.0'\n",
		"src/demo_pkg/sub/__init__.py": "",
		"tests/test_demo.py":           "def test(): pass\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(py, "-m", "build", "--no-isolation", "--outdir", filepath.Join(dir, "dist"), dir)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("python3 -m build: %v\n%s", err, out)
	}
	ws, _ := filepath.Glob(filepath.Join(dir, "dist", "*.whl"))
	ss, _ := filepath.Glob(filepath.Join(dir, "dist", "*.tar.gz"))
	if len(ws) != 1 || len(ss) != 1 {
		t.Fatalf("build produced %v %v", ws, ss)
	}
	return ws[0], ss[0]
}

func TestBuiltProject(t *testing.T) {
	wheel, sdist := buildProject(t)
	for _, f := range []string{wheel, sdist} {
		info := inspectFile(t, f)
		if info.Metadata.NormalizedName() != "demo-project" || info.Metadata.Version != "1.2.0" {
			t.Errorf("%s: metadata %s %s", f, info.Metadata.Name, info.Metadata.Version)
		}
		if want := []string{"demo_pkg"}; !slices.Equal(info.ImportNames, want) {
			t.Errorf("%s: import names %q, want %q", f, info.ImportNames, want)
		}
		t.Logf("%s: %s", filepath.Base(f), info.ImportNames)
	}
	info := inspectFile(t, wheel)
	rs, err := info.Metadata.Requirements()
	var got []string
	for _, r := range rs {
		got = append(got, r.String())
	}
	slices.Sort(got)
	if want := []string{`PyYAML`, `pytest; extra == "test"`, `requests>=2; python_version >= "3.8"`}; err != nil || !slices.Equal(got, want) {
		t.Errorf("wheel requirements %q, %v; want %q", got, err, want)
	}
	if !strings.Contains(info.Metadata.Description, "A line with é.") {
		t.Errorf("description %q", info.Metadata.Description)
	}
}

type file struct {
	name, body string
	mode       os.FileMode
}

func zipOf(t testing.TB, files ...file) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate}
		h.SetMode(0o644)
		if f.mode != 0 {
			h.SetMode(f.mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f.body))
	}
	zw.Close()
	return buf.Bytes()
}

func tarGzOf(t testing.TB, files ...file) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(f.body))}
		if f.mode&os.ModeSymlink != 0 {
			h = &tar.Header{Name: f.name, Typeflag: tar.TypeSymlink, Linkname: f.body}
		}
		tw.WriteHeader(h)
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(f.body))
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func meta(name, version string) string {
	return "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n\n"
}

func TestWheelImportNames(t *testing.T) {
	tests := []struct {
		name  string
		files []file
		want  []string
	}{
		{"record", []file{
			{name: "demo-1.0.dist-info/METADATA", body: meta("demo", "1.0")},
			{name: "demo-1.0.dist-info/RECORD", body: "pkg/__init__.py,sha256=x,1\npkg/mod.py,,\nsingle.py,,\n_speed.cpython-311-x86_64-linux-gnu.so,,\n\"odd,name.py\",,\ndemo-1.0.dist-info/METADATA,,\ndemo-1.0.data/purelib/extra_pkg/__init__.py,,\ndemo-1.0.data/scripts/tool,,\ngoogle/protobuf/__init__.py,,\ngoogle/protobuf/x.py,,\nazure/mgmt/compute/__init__.py,,\ndata/file.txt,,\n"},
		}, []string{"_speed", "azure.mgmt.compute", "extra_pkg", "google.protobuf", "pkg", "single"}},
		{"no record", []file{
			{name: "demo-1.0.dist-info/METADATA", body: meta("demo", "1.0")},
			{name: "pkg/__init__.py"},
		}, []string{"pkg"}},
		{"top_level wins", []file{
			{name: "demo-1.0.dist-info/METADATA", body: meta("demo", "1.0")},
			{name: "demo-1.0.dist-info/top_level.txt", body: "yaml\n_yaml\n\n"},
			{name: "pkg/__init__.py"},
		}, []string{"_yaml", "yaml"}},
		{"import-name", []file{
			{name: "demo-1.0.dist-info/METADATA", body: "Metadata-Version: 2.5\nName: demo\nVersion: 1.0\nImport-Name: demo_ns.part\nImport-Name: other; private\n\n"},
			{name: "demo-1.0.dist-info/RECORD", body: "demo-1.0.dist-info/METADATA,,\n"},
		}, []string{"demo_ns.part", "other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := inspectBytes("demo-1.0-py3-none-any.whl", zipOf(t, tt.files...))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(info.ImportNames, tt.want) {
				t.Errorf("import names %q, want %q", info.ImportNames, tt.want)
			}
		})
	}
}

func TestSdistImportNames(t *testing.T) {
	tests := []struct {
		name  string
		files []file
		want  []string
	}{
		{"flat", []file{
			{name: "demo-1.0/PKG-INFO", body: meta("demo", "1.0")},
			{name: "demo-1.0/setup.py"}, {name: "demo-1.0/conftest.py"},
			{name: "demo-1.0/demo/__init__.py"}, {name: "demo-1.0/tests/__init__.py"},
			{name: "demo-1.0/docs/conf.py"}, {name: "demo-1.0/helper.py"},
		}, []string{"demo", "helper"}},
		{"src layout", []file{
			{name: "demo-1.0/PKG-INFO", body: meta("demo", "1.0")},
			{name: "demo-1.0/src/demo/__init__.py"}, {name: "demo-1.0/tools/x/__init__.py"},
		}, []string{"demo"}},
		{"egg-info", []file{
			{name: "demo-1.0/PKG-INFO", body: meta("demo", "1.0")},
			{name: "demo-1.0/src/demo.egg-info/top_level.txt", body: "real\n"},
			{name: "demo-1.0/src/demo/__init__.py"},
		}, []string{"real"}},
		{"import-name", []file{
			{name: "demo-1.0/PKG-INFO", body: "Metadata-Version: 2.5\nName: demo\nVersion: 1.0\nImport-Name: declared\n"},
			{name: "demo-1.0/demo/__init__.py"},
		}, []string{"declared"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := inspectBytes("demo-1.0.tar.gz", tarGzOf(t, tt.files...))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(info.ImportNames, tt.want) {
				t.Errorf("import names %q, want %q", info.ImportNames, tt.want)
			}
			zinfo, err := inspectBytes("demo-1.0.zip", zipOf(t, tt.files...))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(zinfo.ImportNames, tt.want) {
				t.Errorf(".zip sdist import names %q, want %q", zinfo.ImportNames, tt.want)
			}
		})
	}
}

func TestInspectErrors(t *testing.T) {
	ok := file{name: "demo-1.0.dist-info/METADATA", body: meta("demo", "1.0")}
	bomb := file{name: "demo/bomb.bin", body: strings.Repeat("\x00", 50<<20)}
	tests := []struct {
		name, filename string
		data           []byte
		want           error
		msg            string
	}{
		{"version mismatch", "demo-1.0-py3-none-any.whl", zipOf(t, file{name: "demo-1.0.dist-info/METADATA", body: meta("demo", "1.1")}),
			errs.ErrInvalid, "filename says version 1.0 but metadata says 1.1"},
		{"name mismatch", "demo-1.0-py3-none-any.whl", zipOf(t, file{name: "demo-1.0.dist-info/METADATA", body: meta("other", "1.0")}),
			errs.ErrInvalid, "filename says project demo but metadata says other"},
		{"dist-info mismatch", "demo-1.0-py3-none-any.whl", zipOf(t, file{name: "demo-2.0.dist-info/METADATA", body: meta("demo", "1.0")}),
			errs.ErrInvalid, "demo-2.0.dist-info does not match"},
		{"two dist-info", "demo-1.0-py3-none-any.whl", zipOf(t, ok, file{name: "other-1.0.dist-info/METADATA", body: meta("other", "1.0")}),
			errs.ErrInvalid, "2 .dist-info directories"},
		{"no dist-info", "demo-1.0-py3-none-any.whl", zipOf(t, file{name: "demo/__init__.py"}), errs.ErrInvalid, "no .dist-info"},
		{"no METADATA", "demo-1.0-py3-none-any.whl", zipOf(t, file{name: "demo-1.0.dist-info/RECORD"}), errs.ErrInvalid, "no demo-1.0.dist-info/METADATA"},
		{"invalid version", "demo-1.0-py3-none-any.whl", zipOf(t, file{name: "demo-1.0.dist-info/METADATA", body: meta("demo", "one.zero")}),
			errs.ErrInvalid, `Version "one.zero" is not a valid PEP 440 version`},
		{"bad filename", "demo.whl", zipOf(t, ok), errs.ErrInvalid, ""},
		{"wrong extension", "demo-1.0.exe", zipOf(t, ok), errs.ErrInvalid, ""},
		{"zip bomb", "demo-1.0-py3-none-any.whl", zipOf(t, ok, bomb), errs.ErrInvalid, "compression ratio"},
		{"traversal", "demo-1.0-py3-none-any.whl", zipOf(t, ok, file{name: "../../etc/x"}), errs.ErrInvalid, "escapes the archive root"},
		{"absolute", "demo-1.0-py3-none-any.whl", zipOf(t, ok, file{name: "/etc/x"}), errs.ErrInvalid, "absolute"},
		{"symlink", "demo-1.0-py3-none-any.whl", zipOf(t, ok, file{name: "demo/l", body: "/etc/passwd", mode: os.ModeSymlink | 0o777}), errs.ErrInvalid, "symbolic link"},
		{"garbage wheel", "demo-1.0-py3-none-any.whl", []byte("garbage garbage garbage"), errs.ErrInvalid, "not a valid zip"},
		{"truncated wheel", "demo-1.0-py3-none-any.whl", zipOf(t, ok)[:50], errs.ErrInvalid, "not a valid zip"},
		{"sdist no PKG-INFO", "demo-1.0.tar.gz", tarGzOf(t, file{name: "demo-1.0/setup.py"}), errs.ErrInvalid, "no NAME-VERSION/PKG-INFO"},
		{"sdist wrong dir", "demo-1.0.tar.gz", tarGzOf(t, file{name: "other-1.0/PKG-INFO", body: meta("other", "1.0")}), errs.ErrInvalid, "other-1.0/PKG-INFO does not match"},
		{"sdist version mismatch", "demo-1.0.tar.gz", tarGzOf(t, file{name: "demo-1.0/PKG-INFO", body: meta("demo", "1.0.1")}), errs.ErrInvalid, "filename says version 1.0 but metadata says 1.0.1"},
		{"sdist symlink", "demo-1.0.tar.gz", tarGzOf(t, file{name: "demo-1.0/PKG-INFO", body: meta("demo", "1.0")}, file{name: "demo-1.0/l", body: "/etc", mode: os.ModeSymlink}), errs.ErrInvalid, "symbolic link"},
		{"sdist garbage", "demo-1.0.tar.gz", []byte("garbage"), errs.ErrInvalid, "not a gzip stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inspectBytes(tt.filename, tt.data)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error = %v, want %v containing %q", err, tt.want, tt.msg)
			}
		})
	}
}

// TestEquivalentNames: normalized names and PEP 440-equal versions are accepted.
func TestEquivalentNames(t *testing.T) {
	data := zipOf(t, file{name: "Demo_Pkg-1.0.0.dist-info/METADATA", body: meta("demo.pkg", "1.0")})
	info, err := inspectBytes("demo_pkg-1.0-py3-none-any.whl", data)
	if err != nil {
		t.Fatal(err)
	}
	if info.Metadata.Version != "1.0" {
		t.Errorf("version %s", info.Metadata.Version)
	}
}

func FuzzInspect(f *testing.F) {
	f.Add("demo-1.0-py3-none-any.whl", zipOf(f, file{name: "demo-1.0.dist-info/METADATA", body: meta("demo", "1.0")}, file{name: "demo/__init__.py"}))
	f.Add("demo-1.0.tar.gz", tarGzOf(f, file{name: "demo-1.0/PKG-INFO", body: meta("demo", "1.0")}, file{name: "demo-1.0/demo.py"}))
	f.Fuzz(func(t *testing.T, filename string, data []byte) {
		info, err := inspectBytes(filename, data)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) && !errors.Is(err, errs.ErrTooLarge) {
				t.Fatalf("error category: %v", err)
			}
			return
		}
		if info.Metadata == nil || len(info.MetadataBytes) == 0 {
			t.Fatal("no metadata in a successful Inspect")
		}
	})
}

// TestCorruptMember: a wheel whose central directory is intact but whose member data is
// damaged is refused.
func TestCorruptMember(t *testing.T) {
	body := strings.Repeat("print('hello world')\n", 200)
	data := zipOf(t, file{name: "demo-1.0.dist-info/METADATA", body: meta("demo", "1.0")}, file{name: "demo/__init__.py", body: body})
	i := bytes.Index(data, []byte("demo/__init__.py"))
	bad := bytes.Clone(data)
	for j := i + 20; j < i+40; j++ {
		bad[j] ^= 0x55
	}
	_, err := inspectBytes("demo-1.0-py3-none-any.whl", bad)
	t.Log(err)
	if !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("corrupt member: %v", err)
	}
}
