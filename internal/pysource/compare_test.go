package pysource

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// refRecord is one line of testdata/ref_imports.py's output.
type refRecord struct {
	Path    string  `json:"path"`
	Error   *string `json:"error"`
	Imports [][]any `json:"imports"`
}

// runReference runs the ast-based reference finder once over all paths.
func runReference(t testing.TB, python string, paths []string) map[string]refRecord {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("reference interpreter %s: %v", python, err)
	}
	cmd := exec.Command(python, "testdata/ref_imports.py")
	cmd.Stdin = strings.NewReader(strings.Join(paths, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s ref_imports.py: %v\n%s", python, err, stderr.String())
	}
	recs := map[string]refRecord{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var r refRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("reference output: %v", err)
		}
		recs[r.Path] = r
	}
	return recs
}

// key renders an import the way the reference does, for comparing sorted lists.
func key(i Import) string {
	names := i.Names
	if names == nil {
		names = []string{}
	}
	funcs := i.Functions
	if funcs == nil {
		funcs = []string{}
	}
	b, _ := json.Marshal([]any{i.Line, i.Module, i.Level, names, i.Dynamic, funcs, i.Optional, i.TypeChecking})
	return string(b)
}

func refKeys(r refRecord) []string {
	var out []string
	for _, imp := range r.Imports {
		b, _ := json.Marshal(imp)
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out
}

func goKeys(t testing.TB, path string) ([]string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, perr := Parse(src)
	var out []string
	for _, i := range Imports(m) {
		out = append(out, key(i))
	}
	sort.Strings(out)
	return out, perr
}

// sampleFiles returns every stride-th .py file under the roots, in sorted order.
func sampleFiles(t testing.TB, want int, roots ...string) []string {
	t.Helper()
	var all []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.Type().IsRegular() && strings.HasSuffix(p, ".py") {
				all = append(all, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(all)
	if len(all) < want {
		t.Fatalf("only %d .py files under %v", len(all), roots)
	}
	stride := len(all) / want
	var out []string
	for i := 0; i < len(all) && len(out) < want; i += stride {
		out = append(out, all[i])
	}
	return out
}

func compareWithReference(t *testing.T, python string, paths []string) (compared int) {
	recs := runReference(t, python, paths)
	for _, p := range paths {
		r, ok := recs[p]
		if !ok {
			t.Errorf("%s: no reference record", p)
			continue
		}
		got, perr := goKeys(t, p)
		if r.Error != nil {
			continue // not valid Python for this interpreter: nothing to compare
		}
		compared++
		if perr != nil {
			t.Errorf("%s: Go parser reports %v on a file CPython parses", p, perr)
		}
		want := refKeys(r)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: imports differ\n go: %s\nast: %s", p, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
		}
	}
	return compared
}

// TestAgainstCPythonAST compares Imports with CPython 3.11's ast on real files.
func TestAgainstCPythonAST(t *testing.T) {
	py := testdist.PythonInfo(t, "3.11")
	paths := sampleFiles(t, 600, py.Stdlib, "/usr/lib/python3/dist-packages")
	n := compareWithReference(t, py.Path, paths)
	if n < 300 {
		t.Errorf("compared only %d files, want at least 300", n)
	}
	t.Logf("compared %d of %d sampled files with CPython 3.11's ast", n, len(paths))
}

// TestEdgeCases compares the hand-written edge cases with CPython 3.13's ast (which
// reads PEP 701 f-strings and type statements).
func TestEdgeCases(t *testing.T) {
	paths, _ := filepath.Glob("testdata/edge/*.py")
	if len(paths) == 0 {
		t.Fatal("no testdata/edge/*.py")
	}
	for i, p := range paths {
		paths[i], _ = filepath.Abs(p)
	}
	n := compareWithReference(t, testdist.Python(t, "3.13"), paths)
	if n != len(paths) {
		t.Errorf("CPython 3.13 parsed %d of %d edge-case files; every one must be valid", n, len(paths))
	}
}

func ExampleImports() {
	src := []byte(`import os, yaml
try:
    import ujson as json
except ImportError:
    import json
def main():
    from sklearn.svm import SVC
`)
	m, _ := Parse(src)
	for _, i := range Imports(m) {
		fmt.Println(i.Line, i.Module, i.Names, i.Functions, i.Optional)
	}
	// Output:
	// 1 os [] [] false
	// 1 yaml [] [] false
	// 3 ujson [] [] true
	// 5 json [] [] false
	// 7 sklearn.svm [SVC] [main] false
}
