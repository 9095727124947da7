package inspect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/testdist"
)

// referenceSeeds are wheels and sdists for FuzzInspectReference: namespaces of every
// kind (pkgutil, pkg_resources, namespace_packages.txt, PEP 420, nested), RECORD
// without top_level.txt, .data directories, several .dist-info directories, Import-Name.
func referenceSeeds(t testing.TB) map[string][]byte {
	di := "walt_client-8.0.dist-info/"
	md := file{name: di + "METADATA", body: meta("walt-client", "8.0")}
	tl := file{name: di + "top_level.txt", body: "walt\n"}
	_, small := smallWheel(t)
	return map[string][]byte{
		"bench_project_00042-1.3-py3-none-any.whl": small,
		"walt_client-8.0-py3-none-any.whl": zipOf(t, md, tl,
			file{name: "walt/__init__.py", body: pkgutilInit},
			file{name: "walt/client/__init__.py", body: pkgutilInit},
			file{name: "walt/client/main.py"},
			file{name: "walt/client/cli/__init__.py", body: "x = 1\n"},
			file{name: "walt/client/g5k/__init__.py"},
			file{name: "walt/client/cli/deep.py"}),
		"walt_client-8.0-py3-none-manylinux1_x86_64.whl": zipOf(t, md,
			file{name: di + "namespace_packages.txt", body: "walt\nwalt.client\n"},
			file{name: di + "RECORD", body: "walt/__init__.py,,\nwalt/client/x.py,,\n\"walt/odd,name.py\",,\nwalt_client-8.0.data/purelib/extra/__init__.py,,\nwalt_client-8.0.data/scripts/tool,,\n"},
			file{name: "walt/__init__.py", body: "try:\n    __import__('pkg_resources').declare_namespace(__name__)\nexcept ImportError:\n    pass\n"},
			file{name: "walt/client/x.py"},
			file{name: "walt_client-8.0.data/purelib/extra/__init__.py"},
			file{name: "walt_client-8.0.data/scripts/tool"}),
		"walt_client-8.0-py2.py3-none-any.whl": zipOf(t, md,
			file{name: "walt/client/__init__.py"}, file{name: "walt/client/x.py"},
			file{name: "walt/data/readme.txt"}, file{name: "top.py"}, file{name: "_ext.cpython-311-x86_64-linux-gnu.so"}),
		"two-1.0-py3-none-any.whl": zipOf(t, file{name: "two-1.0.dist-info/METADATA", body: meta("two", "1.0")},
			file{name: "other-1.0.dist-info/METADATA", body: meta("other", "1.0")}),
		"imp-1.0-py3-none-any.whl": zipOf(t, file{name: "imp-1.0.dist-info/METADATA", body: "Metadata-Version: 2.5\nName: imp\nVersion: 1.0\nImport-Name: imp_a\nImport-Name: imp.b ; private\n\n"},
			file{name: "imp-1.0.dist-info/RECORD", body: ""}),
		"Demo_Pkg-1.0.0-py3-none-any.whl": zipOf(t, file{name: "Demo_Pkg-1.0.0.dist-info/METADATA", body: meta("demo.pkg", "1.0")}),
		"demo-1.0.tar.gz": tarGzOf(t, file{name: "demo-1.0/PKG-INFO", body: meta("demo", "1.0")}, file{name: "demo-1.0/src/demo/__init__.py"},
			file{name: "demo-1.0/setup.py"}, file{name: "demo-1.0/tests/test_x.py"}),
	}
}

// readCorpus decodes a committed fuzz corpus file: one Go literal a line.
func readCorpus(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n")[1:] {
		if l == "" {
			continue
		}
		_, lit, _ := strings.Cut(l, "(")
		s, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, s)
	}
	return out
}

// TestInspectReferenceSeeds runs the comparison of FuzzInspectReference on its seeds and
// on the committed corpora of FuzzInspect and FuzzInspectReference.
func TestInspectReferenceSeeds(t *testing.T) {
	for name, data := range referenceSeeds(t) {
		if _, err := inspectBytes(name, data); err != nil && !strings.HasPrefix(name, "two-") {
			t.Errorf("seed %s: %v", name, err)
		}
		t.Run(name, func(t *testing.T) { compareInspect(t, name, data) })
	}
	for _, dir := range []string{"testdata/fuzz/FuzzInspect", "testdata/fuzz/FuzzInspectReference"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, f := range files {
			v := readCorpus(t, f)
			if len(v) == 2 {
				t.Run(filepath.Base(f), func(t *testing.T) { compareInspect(t, v[0], []byte(v[1])) })
			}
		}
	}
}

// FuzzInspectReference: Inspect returns what the inspection of before (inspectref_test.go)
// returned, the same Info or an error of the same category.
func FuzzInspectReference(f *testing.F) {
	for name, data := range referenceSeeds(f) {
		f.Add(name, data)
	}
	f.Fuzz(compareInspect)
}

func errCategory(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, errs.ErrTooLarge):
		return "too large"
	case errors.Is(err, errs.ErrInvalid):
		return "invalid"
	}
	return "other: " + err.Error()
}

func compareInspect(t *testing.T, filename string, data []byte) {
	ctx := context.Background()
	got, err := Inspect(ctx, filename, bytes.NewReader(data), int64(len(data)))
	want, werr := refInspect(ctx, filename, bytes.NewReader(data), int64(len(data)))
	if errCategory(err) != errCategory(werr) {
		t.Fatalf("Inspect: %v; before: %v", err, werr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Inspect: %s; before: %s", dump(got), dump(want))
	}
}

func dump(i *Info) string {
	if i == nil {
		return "nil"
	}
	return fmt.Sprintf("%+v %+v %q", i.Dist, *i.Metadata, i.ImportNames)
}

// TestInspectReferenceMachineWheels compares on the wheels bundled with the installed
// interpreters (pip, setuptools, the test suites' wheels).
func TestInspectReferenceMachineWheels(t *testing.T) {
	var files []string
	for _, pat := range []string{"lib/python*/ensurepip/_bundled/*.whl", "lib/python*/test/*.whl", "lib/python*/test/wheeldata/*.whl"} {
		files = append(files, testdist.GlobPrefixes(pat)...)
	}
	m, _ := filepath.Glob("/usr/share/python-wheels/*.whl")
	files = append(files, m...)
	if len(files) == 0 {
		testdist.Missing(t, "no bundled wheels in %v", testdist.PythonPrefixes())
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		compareInspect(t, filepath.Base(f), data)
	}
	t.Logf("%d wheels compared", len(files))
}
