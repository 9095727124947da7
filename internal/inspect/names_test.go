package inspect

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/names"
)

const pkgutilInit = "__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n"

// TestNamespaceImportNames: below a namespace package (pkgutil, pkg_resources or
// PEP 420 style) the dotted names are recorded, nested namespaces too; a regular
// package records only its own name.
func TestNamespaceImportNames(t *testing.T) {
	di := "walt_client-8.0.dist-info/"
	base := []file{
		{name: di + "METADATA", body: meta("walt-client", "8.0")},
		{name: di + "top_level.txt", body: "walt\n"},
	}
	tests := []struct {
		name  string
		files []file
		want  []string
	}{
		{"pkgutil, nested namespace", []file{
			{name: "walt/__init__.py", body: pkgutilInit},
			{name: "walt/client/__init__.py", body: pkgutilInit},
			{name: "walt/client/main.py"},
			{name: "walt/client/cli/__init__.py", body: strings.Repeat("x = 1\n", 10)},
			{name: "walt/client/cli/deep.py"},
		}, []string{"walt", "walt.client", "walt.client.cli", "walt.client.main"}},
		{"plugin inside a nested namespace", []file{
			{name: "walt/__init__.py", body: pkgutilInit},
			{name: "walt/client/__init__.py", body: pkgutilInit},
			{name: "walt/client/g5k/__init__.py"},
		}, []string{"walt", "walt.client.g5k"}},
		{"pkg_resources", []file{
			{name: "walt/__init__.py", body: "try:\n    __import__('pkg_resources').declare_namespace(__name__)\nexcept ImportError:\n    pass\n"},
			{name: "walt/client/__init__.py", body: "import os\n"},
			{name: "walt/client/x.py"},
		}, []string{"walt", "walt.client"}},
		{"namespace_packages.txt", []file{
			{name: di + "namespace_packages.txt", body: "walt\n"},
			{name: "walt/__init__.py", body: "# a namespace\n"},
			{name: "walt/client/__init__.py"},
		}, []string{"walt", "walt.client"}},
		{"PEP 420", []file{
			{name: "walt/client/__init__.py"},
			{name: "walt/client/x.py"},
			{name: "walt/data/readme.txt"},
		}, []string{"walt", "walt.client"}},
		{"regular package", []file{
			{name: "walt/__init__.py", body: "def main(): pass\n"},
			{name: "walt/client/__init__.py"},
		}, []string{"walt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := inspectBytes("walt_client-8.0-py3-none-any.whl", zipOf(t, append(base, tt.files...)...))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(info.ImportNames, tt.want) {
				t.Errorf("import names %q, want %q", info.ImportNames, tt.want)
			}
		})
	}
}

// TestNamespaceImportNamesBounded: a namespace with thousands of children records
// at most maxSubpackages of them, and a file at most maxDottedNames in all.
func TestNamespaceImportNamesBounded(t *testing.T) {
	files := []file{{name: "wide-1.0.dist-info/METADATA", body: meta("wide", "1.0")}}
	for i := range 40 {
		for j := range 200 {
			files = append(files, file{name: fmt.Sprintf("ns%d/m%d.py", i, j)})
		}
	}
	info, err := inspectBytes("wide-1.0-py3-none-any.whl", zipOf(t, files...))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(info.ImportNames); n > maxDottedNames+40 {
		t.Errorf("%d import names recorded, want at most %d", n, maxDottedNames+40)
	}
	perNS := map[string]int{}
	for _, n := range info.ImportNames {
		top, _, _ := strings.Cut(n, ".")
		perNS[top]++
	}
	for ns, n := range perNS {
		if n > maxSubpackages+1 {
			t.Errorf("%s: %d names", ns, n)
		}
	}
}

// FuzzSameProject: sameProject is the equality of names.Normalize.
func FuzzSameProject(f *testing.F) {
	f.Add("bench_project-00042", "Bench.Project__00042")
	f.Add("a-b", "a--b")
	f.Add("a_", "A.")
	f.Add("\u212aey", "key")
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := sameProject(a, b), names.Normalize(a) == names.Normalize(b); got != want {
			t.Fatalf("sameProject(%q, %q) = %v, want %v", a, b, got, want)
		}
	})
}
