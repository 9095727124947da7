package analyze

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/testdist"
)

// installedSiteDirs are the site-packages of every interpreter (testdist.PythonPrefixes)
// and Debian's dist-packages folders, found by globbing (no version is assumed).
func installedSiteDirs(t *testing.T) []string {
	t.Helper()
	dirs := testdist.GlobPrefixes(filepath.Join("lib", "python*", "site-packages"))
	for _, pat := range []string{
		"/usr/lib/python3/dist-packages",
		"/usr/local/lib/python3*/dist-packages",
	} {
		m, _ := filepath.Glob(pat)
		dirs = append(dirs, m...)
	}
	if len(dirs) == 0 {
		t.Fatal("no site-packages or dist-packages on this machine")
	}
	return dirs
}

// skipImport tells the import names a mismatch check leaves out: private modules
// (_cffi_backend), and the top-level tests/docs folders some distributions ship by
// mistake; nobody imports them as a dependency.
func skipImport(n string) bool {
	switch n {
	case "tests", "test", "testing", "docs", "doc", "examples", "benchmarks", "scripts":
		return true
	}
	return strings.HasPrefix(n, "_")
}

// TestTableCoversInstalled reads the top-level import names (top_level.txt, else
// RECORD) of every distribution installed on the machine; wherever the import name
// is not the distribution's name, the built-in table must map it to that
// distribution (namespace packages by their dotted key). It reports how many
// mismatching names the table covers.
func TestTableCoversInstalled(t *testing.T) {
	table := BuiltinTable()
	// Deliberate choices of the table that a provider on this machine contradicts.
	deliberate := map[string]string{"py": "pytest ships a py.py shim; the py project is the library"}
	var shared []string
	mismatches := map[string]map[string]string{} // key -> normalized dist -> dist name
	for _, dir := range installedSiteDirs(t) {
		in := ReadInstalled([]string{dir})
		for imp, dists := range in.Imports {
			top, _, dotted := strings.Cut(imp, ".")
			if skipImport(top) || !validModule(imp) {
				continue
			}
			if !dotted && len(dists) > 1 && !table.namespaces[imp] {
				if _, ok := table.Lookup(imp); !ok {
					// Shared by several projects: a namespace, or one must be chosen.
					shared = append(shared, imp+" in "+dir+": "+strings.Join(dists, ", "))
				}
			}
			for _, nd := range dists {
				keys := table.Key(imp, nil)
				if len(keys) != 1 || keys[0] != imp {
					continue // not the key this import is mapped under
				}
				if dotted && !table.namespaces[top] && !table.namespaces[imp[:strings.LastIndexByte(imp, '.')]] {
					continue
				}
				if table.namespaces[imp] {
					continue // the namespace itself is shared
				}
				if names.Normalize(strings.ReplaceAll(imp, ".", "-")) == nd {
					continue // the fallback guesses it right
				}
				if mismatches[imp] == nil {
					mismatches[imp] = map[string]string{}
				}
				mismatches[imp][nd] = in.Dists[nd].Name
			}
		}
	}
	var missing []string
	covered := 0
	for imp, dists := range mismatches {
		got, ok := table.Lookup(imp)
		if ok && dists[names.Normalize(got)] != "" {
			covered++
			continue
		}
		if _, ok := deliberate[imp]; ok {
			continue
		}
		var ds []string
		for _, d := range dists {
			ds = append(ds, d)
		}
		sort.Strings(ds)
		missing = append(missing, imp+" = "+strings.Join(ds, " | ")+" (table: "+got+")")
	}
	sort.Strings(missing)
	t.Logf("the built-in table covers %d mismatching import names of the installed distributions", covered)
	if len(shared) > 0 {
		t.Errorf("top-level names shared by several installed projects, neither a namespace nor mapped:\n%s", strings.Join(shared, "\n"))
	}
	if len(missing) > 0 {
		t.Errorf("%d import names of installed distributions are not mapped to them:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

// TestMappingFixes: distutils is setuptools once it left the standard library
// (3.12), and mpl_toolkits is matplotlib's unless a plugin (basemap) is named.
func TestMappingFixes(t *testing.T) {
	src := "import distutils.core\nfrom mpl_toolkits.mplot3d import Axes3D\nimport mpl_toolkits\nfrom mpl_toolkits import basemap\nimport mpl_toolkits.axes_grid\n"
	for python, want := range map[string]string{
		"3.11": "basemap,matplotlib",
		"3.12": "basemap,matplotlib,setuptools",
		"3.13": "basemap,matplotlib,setuptools",
	} {
		got, err := Run(context.Background(), Options{Sources: []string{"-"}, Python: python, Stdin: strings.NewReader(src)})
		if err != nil {
			t.Fatal(err)
		}
		if r := strings.Join(got.Requirements, ","); r != want || len(got.Unresolved) != 0 {
			t.Errorf("%s: requirements %s (unresolved %v), want %s", python, r, got.Unresolved, want)
		}
	}
}
