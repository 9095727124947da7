package inspect

import (
	"slices"
	"strings"
	"unicode"

	"github.com/pydepot/pydepot/internal/archives"
)

// isIdentifier reports whether s is a Python identifier.
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r)) {
			continue
		}
		return false
	}
	return true
}

// isDotted reports whether s is a dotted sequence of identifiers.
func isDotted(s string) bool {
	for _, p := range strings.Split(s, ".") {
		if !isIdentifier(p) {
			return false
		}
	}
	return true
}

// cleanImportNames trims, drops what is not a dotted identifier, dedupes and sorts.
func cleanImportNames(in []string) []string {
	var out []string
	for _, s := range in {
		// PEP 794 allows "; private" after the name.
		s, _, _ = strings.Cut(s, ";")
		s = strings.TrimSpace(s)
		if isDotted(s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out) // not a search per name: RECORD may list 100,000 modules
}

// moduleStem returns the module name of a Python file name: "m.py" -> "m",
// "m.cpython-311-x86_64-linux-gnu.so" -> "m", "m.pyd" -> "m"; "" for other files.
func moduleStem(file string) string {
	stem, ext, ok := strings.Cut(file, ".")
	if !ok || !isIdentifier(stem) {
		return ""
	}
	switch {
	case ext == "py", ext == "pyc", ext == "so", ext == "pyd",
		strings.HasSuffix(ext, ".so"), strings.HasSuffix(ext, ".pyd"):
		return stem
	}
	return ""
}

type tree struct {
	dirs  map[string]*tree
	files []string
}

func (t *tree) add(parts []string) {
	if len(parts) == 1 {
		t.files = append(t.files, parts[0])
		return
	}
	if t.dirs == nil {
		t.dirs = map[string]*tree{}
	}
	c := t.dirs[parts[0]]
	if c == nil {
		c = &tree{}
		t.dirs[parts[0]] = c
	}
	c.add(parts[1:])
}

func (t *tree) isPackage() bool {
	for _, f := range t.files {
		if moduleStem(f) == "__init__" {
			return true
		}
	}
	return false
}

// maxNamespaceDepth bounds how deep namespace packages are followed.
const maxNamespaceDepth = 4

// topLevelNames returns the importable top-level packages and modules among the slash
// paths of files, following namespace packages (directories without __init__) to their
// dotted subpackages. skip, when set, excludes top-level entries by name.
func topLevelNames(paths []string, skip func(name string, dir bool) bool) []string {
	root := &tree{}
	for _, p := range paths {
		root.add(strings.Split(p, "/"))
	}
	var out []string
	var visit func(t *tree, dotted string, depth int)
	visit = func(t *tree, dotted string, depth int) {
		if depth > 0 && t.isPackage() {
			out = append(out, dotted)
			return
		}
		if depth >= maxNamespaceDepth {
			return
		}
		prefix := ""
		if dotted != "" {
			prefix = dotted + "."
		}
		for _, f := range t.files {
			stem := moduleStem(f)
			if stem == "" || stem == "__init__" || stem == "__main__" {
				continue
			}
			if depth == 0 && skip != nil && skip(stem, false) {
				continue
			}
			out = append(out, prefix+stem)
		}
		for name, c := range t.dirs {
			if !isIdentifier(name) || name == "__pycache__" {
				continue
			}
			if depth == 0 && skip != nil && skip(name, true) {
				continue
			}
			visit(c, prefix+name, depth+1)
		}
	}
	visit(root, "", 0)
	return cleanImportNames(out)
}

// sdistSkip lists top-level entries of a source tree that are not what the project
// installs.
var sdistSkipDirs = map[string]bool{
	"tests": true, "test": true, "testing": true, "docs": true, "doc": true, "examples": true,
	"example": true, "benchmarks": true, "benchmark": true, "bench": true, "build": true,
	"dist": true, "scripts": true, "tools": true, "ci": true, "src": true,
}

var sdistSkipModules = map[string]bool{
	"setup": true, "conftest": true, "noxfile": true, "toxfile": true, "tasks": true,
	"fabfile": true, "versioneer": true, "runtests": true, "run_tests": true,
}

func sdistSkip(name string, dir bool) bool {
	if dir {
		return sdistSkipDirs[name]
	}
	return sdistSkipModules[name]
}

func inspectSdist(info *Info, a archives.Archive) error {
	d := info.Dist
	var found []string
	root := ""
	for _, m := range a.Members() {
		top, rest, ok := strings.Cut(m.Name, "/")
		if ok && rest == "PKG-INFO" && !m.Dir {
			found = append(found, top)
			if matches(top, d) {
				root = top
			}
		}
	}
	if root == "" {
		if len(found) == 0 {
			return invalidf("sdist has no NAME-VERSION/PKG-INFO")
		}
		return invalidf("sdist's %s/PKG-INFO does not match the file name's project %s version %s", found[0], d.Name, d.Version)
	}
	if err := readMetadata(info, a, root+"/PKG-INFO"); err != nil {
		return err
	}
	if names := cleanImportNames(info.Metadata.ImportNames); len(names) > 0 {
		info.ImportNames = names
		return nil
	}
	var rel []string
	for _, m := range a.Members() {
		if r, ok := strings.CutPrefix(m.Name, root+"/"); ok && !m.Dir {
			rel = append(rel, r)
		}
	}
	// setuptools puts NAME.egg-info/top_level.txt in the sdist.
	for _, r := range rel {
		dir, file, _ := strings.Cut(strings.TrimPrefix(r, "src/"), "/")
		if file == "top_level.txt" && strings.HasSuffix(dir, ".egg-info") {
			tl, err := readTopLevel(a, root+"/"+r)
			if err != nil {
				return err
			}
			if len(tl) > 0 {
				info.ImportNames = tl
				return nil
			}
		}
	}
	var src []string
	for _, r := range rel {
		if s, ok := strings.CutPrefix(r, "src/"); ok {
			src = append(src, s)
		}
	}
	if names := topLevelNames(src, sdistSkip); len(names) > 0 {
		info.ImportNames = names
		return nil
	}
	info.ImportNames = topLevelNames(rel, sdistSkip)
	return nil
}
