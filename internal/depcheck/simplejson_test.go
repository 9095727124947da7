package depcheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSimpleJSONShapeOnce: the PEP 691 JSON shape is written in internal/simplejson
// only; the server, the simple index client and the test index use its types. A struct
// tag of the shape anywhere else is a second copy that can drift.
func TestSimpleJSONShapeOnce(t *testing.T) {
	root := filepath.Join("..", "..")
	marks := []string{`json:"core-metadata`, `json:"api-version`, `json:"requires-python`}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "simplejson") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range marks {
			if strings.Contains(string(b), m) {
				t.Errorf("%s writes the PEP 691 JSON shape (%s`); use internal/simplejson's types", path, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
