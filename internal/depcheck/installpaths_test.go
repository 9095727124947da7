package depcheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// installPath matches a hard-coded interpreter install path: anything under a pyenv
// root's versions folder, and any path in root's home folder (which holds pyenv on one
// machine only).
var installPath = regexp.MustCompile(`\.pyenv/(versions|shims|plugins)\b|(^|[\s"'=:])/root(/|$)`)

// allowedInstallPaths are the files that may name such a path, each with why.
var allowedInstallPaths = map[string]string{
	// Product code: discovery's documented fallback root when PYENV_ROOT is unset (a
	// change of behaviour is for its own issue, not for the tests).
	"internal/interpreters/discover.go": "discovery's default pyenv root",
	// Product code: root's home named as a place of secrets (/root/.ssh) and of
	// persistence a package must not write to, not as where an interpreter lives.
	"internal/tracereport/rules.go": "root's home as a secrets and persistence location",
}

// TestNoHardCodedInstallPaths checks every Go file of the module, tests included: tests
// find interpreters by version (testdist.Python, testdist.PythonPrefixes), never by the
// place one machine installed them, so that they run on any machine with those versions.
func TestNoHardCodedInstallPaths(t *testing.T) {
	allowed := func(rel string) bool { _, ok := allowedInstallPaths[rel]; return ok }
	forGoFiles(t, true, 100, allowed, func(fset *token.FileSet, f *ast.File) {
		for _, lit := range installPathLiterals(f) {
			t.Errorf("%s: hard-coded install path %s: find the interpreter by version (testdist.Python, testdist.PythonPrefixes)",
				fset.Position(lit.Pos()), lit.Value)
		}
	})
}

// installPathLiterals returns the string literals of f that hold an install path.
func installPathLiterals(f *ast.File) []*ast.BasicLit {
	var out []*ast.BasicLit
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil && installPath.MatchString(s) {
				out = append(out, lit)
			}
		}
		return true
	})
	return out
}

// TestInstallPathLiteralsFindsThem keeps the check honest on testdata/installpaths.go.txt:
// it reports each hard-coded path (pyenv's versions anywhere, root's home), in either
// kind of string literal, on exactly the lines that end in "want N", N times.
func TestInstallPathLiteralsFindsThem(t *testing.T) {
	name := filepath.Join("testdata", "installpaths.go.txt")
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]int{}
	for i, line := range strings.Split(string(src), "\n") {
		if _, n, ok := strings.Cut(line, "// want "); ok {
			want[i+1], _ = strconv.Atoi(n)
		}
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]int{}
	for _, lit := range installPathLiterals(f) {
		got[fset.Position(lit.Pos()).Line]++
	}
	if len(want) < 4 || !maps.Equal(got, want) {
		t.Errorf("reported per line %v, want %v", got, want)
	}
}
