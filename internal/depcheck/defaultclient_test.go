package depcheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sharedClient lists net/http's names that go through http.DefaultClient, which has no
// timeouts.
var sharedClient = map[string]bool{"DefaultClient": true, "Get": true, "Head": true, "Post": true, "PostForm": true}

// TestNoDefaultHTTPClient checks the code of every non-test Go file of the module: a
// command builds one client with timeouts (internal/httpclient) and passes it down, so
// none may use http.DefaultClient or http.Get and its kin.
func TestNoDefaultHTTPClient(t *testing.T) {
	forGoFiles(t, false, 50, nil, func(fset *token.FileSet, f *ast.File) {
		for _, bad := range sharedClientUses(f) {
			t.Errorf("%s: uses http.%s (build one client with internal/httpclient and pass it down)", fset.Position(bad.Pos()), bad.Sel.Name)
		}
	})
}

// forGoFiles parses every Go file of the module (tests too when withTests), except those
// skip (given the path from the module root) leaves out, and hands each to fn; fewer than
// min files means the walk is not rooted at the module, which fails the test.
func forGoFiles(t *testing.T, withTests bool, min int, skip func(rel string) bool, fn func(*token.FileSet, *ast.File)) {
	t.Helper()
	root := filepath.Join("..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found from %s: %v", root, err)
	}
	checked := 0
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || !withTests && strings.HasSuffix(path, "_test.go") {
			return nil
		}
		if rel, _ := filepath.Rel(root, path); skip != nil && skip(filepath.ToSlash(rel)) {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		fn(fset, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < min {
		t.Fatalf("checked only %d Go files; is the walk rooted at the module?", checked)
	}
}

// sharedClientUses returns the selectors of f that name one of sharedClient in net/http,
// under whatever name the file imports it.
func sharedClientUses(f *ast.File) []*ast.SelectorExpr {
	name := ""
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "net/http" {
			name = "http"
			if imp.Name != nil {
				name = imp.Name.Name
			}
		}
	}
	if name == "" {
		return nil
	}
	var out []*ast.SelectorExpr
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == name && sharedClient[sel.Sel.Name] {
				out = append(out, sel)
			}
		}
		return true
	})
	return out
}

// TestSharedClientUsesFindsThem keeps the check honest: it finds each form, also under
// an import alias, and not a method of the same name on another value.
func TestSharedClientUsesFindsThem(t *testing.T) {
	src := `package p
import h "net/http"
var c = h.DefaultClient
func f(x interface{ Get(string) }) { h.Get("u"); h.Post("u", "", nil); x.Get("u") }
`
	f, err := parser.ParseFile(token.NewFileSet(), "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range sharedClientUses(f) {
		got = append(got, s.Sel.Name)
	}
	if strings.Join(got, ",") != "DefaultClient,Get,Post" {
		t.Errorf("found %v, want DefaultClient, Get, Post", got)
	}
}
