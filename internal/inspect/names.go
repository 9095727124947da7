package inspect

import (
	"bytes"
	"maps"
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
	for {
		p, rest, more := strings.Cut(s, ".")
		if !isIdentifier(p) {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
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
	budget := maxDottedNames
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
		// Below a namespace folder (depth > 0), at most maxSubpackages names each and
		// maxDottedNames in all; the top level is bounded by the archive's member cap.
		n := 0
		room := func() bool {
			if depth == 0 {
				return true
			}
			if n >= maxSubpackages || budget <= 0 {
				return false
			}
			n++
			budget--
			return true
		}
		for _, f := range t.files {
			stem := moduleStem(f)
			if stem == "" || stem == "__init__" || stem == "__main__" {
				continue
			}
			if depth == 0 && skip != nil && skip(stem, false) {
				continue
			}
			if room() {
				out = append(out, prefix+stem)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(t.dirs)) {
			c := t.dirs[name]
			if !isIdentifier(name) || name == "__pycache__" {
				continue
			}
			if depth == 0 && skip != nil && skip(name, true) {
				continue
			}
			if depth == 0 || c.isPackage() && room() || !c.isPackage() {
				visit(c, prefix+name, depth+1)
			}
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

// Bounds on the dotted names withSubpackages records for one file.
const (
	maxSubpackages = 128  // children recorded below one namespace
	maxDottedNames = 512  // dotted names in all
	maxInitRead    = 4096 // an __init__.py read to see whether it declares a namespace
)

// ptree is a folder of a wheel's installed files, with the member names of its
// files.
type ptree struct {
	dirs  map[string]*ptree
	files map[string]archives.Member
}

// add records the file m at the slash path p below t.
func (t *ptree) add(p string, m archives.Member) {
	for {
		dir, rest, ok := strings.Cut(p, "/")
		if !ok {
			break
		}
		p = rest
		if t.dirs == nil {
			t.dirs = map[string]*ptree{}
		}
		c := t.dirs[dir]
		if c == nil {
			c = &ptree{}
			t.dirs[dir] = c
		}
		t = c
	}
	if t.files == nil {
		t.files = map[string]archives.Member{}
	}
	t.files[p] = m
}

// hasPython reports whether the folder or one below it (a few levels down) holds a
// Python module.
func (t *ptree) hasPython(depth int) bool {
	for f := range t.files {
		if moduleStem(f) != "" {
			return true
		}
	}
	if depth >= maxNamespaceDepth {
		return false
	}
	for _, c := range t.dirs {
		if c.hasPython(depth + 1) {
			return true
		}
	}
	return false
}

// ownModules reports whether the folder holds a module other than __init__.
func (t *ptree) ownModules() bool {
	for f := range t.files {
		if stem := moduleStem(f); stem != "" && stem != "__init__" {
			return true
		}
	}
	return false
}

// isNamespace reports whether the package folder t (dotted name) is a namespace
// package: it has no __init__.py (PEP 420), the wheel's namespace_packages.txt
// lists it (pkg_resources), or its __init__.py, at most maxInitRead bytes, calls
// pkgutil's extend_path or pkg_resources' declare_namespace.
func isNamespace(a archives.Archive, t *ptree, dotted string, declared map[string]bool) bool {
	if declared[dotted] {
		return true
	}
	init, ok := t.files["__init__.py"]
	if !ok {
		for f := range t.files {
			if moduleStem(f) == "__init__" {
				return false // compiled or extension __init__: a regular package
			}
		}
		return true
	}
	if init.Size > maxInitRead {
		return false
	}
	b, err := a.ReadFile(init.Name)
	if err != nil {
		return false
	}
	return bytes.Contains(b, []byte("extend_path")) || bytes.Contains(b, []byte("declare_namespace"))
}

// withSubpackages adds to the import names of a wheel (top, from top_level.txt or
// its file list) the dotted names below each one that is a namespace package
// (isNamespace), so that the index can tell which of the projects sharing the
// namespace walt provides walt.client: the modules and packages of the namespace,
// and below a child that is a namespace itself (walt.client, for the walt-client-g5k
// plugin) its own, to maxNamespaceDepth components. It reads the member list and the
// namespace's own small __init__.py, nothing else.
func withSubpackages(top []string, a archives.Archive, distInfo string) []string {
	// Only the folders of the top-level names are looked into: the tree holds those.
	var firsts map[string]bool // when there are many top-level names
	if len(top) > 8 {
		firsts = make(map[string]bool, len(top))
		for _, name := range top {
			first, _, _ := strings.Cut(name, ".")
			firsts[first] = true
		}
	}
	inTop := func(first string) bool {
		if firsts != nil {
			return firsts[first]
		}
		for _, name := range top {
			if f, _, _ := strings.Cut(name, "."); f == first {
				return true
			}
		}
		return false
	}
	root := &ptree{}
	dataDir := strings.TrimSuffix(distInfo, ".dist-info") + ".data/"
	for _, m := range archives.MemberList(a) {
		if m.Dir {
			continue
		}
		p := m.Name
		if rest, ok := strings.CutPrefix(p, dataDir); ok {
			scheme, sub, _ := strings.Cut(rest, "/")
			if scheme != "purelib" && scheme != "platlib" {
				continue
			}
			p = sub
		}
		first, _, ok := strings.Cut(p, "/")
		if !ok || strings.HasSuffix(first, ".dist-info") || !inTop(first) {
			continue
		}
		root.add(p, m)
	}
	declared := map[string]bool{}
	// namespace_packages.txt is read only when it is small enough to be used.
	if ns := distInfo + "/namespace_packages.txt"; archives.Has(a, ns) {
		if m, err := archives.Lookup(a, ns); err == nil && m.Size <= maxInitRead {
			if b, err := a.ReadFile(ns); err == nil && len(b) <= maxInitRead {
				for _, l := range strings.Fields(string(b)) {
					declared[l] = true
				}
			}
		}
	}
	out := append([]string(nil), top...)
	budget := maxDottedNames
	// visit records the names below the namespace t.
	var visit func(t *ptree, dotted string, depth int)
	visit = func(t *ptree, dotted string, depth int) {
		if depth >= maxNamespaceDepth {
			return
		}
		n := 0
		record := func(name string) bool {
			if n >= maxSubpackages || budget <= 0 {
				return false
			}
			n++
			budget--
			out = append(out, dotted+"."+name)
			return true
		}
		for _, f := range slices.Sorted(maps.Keys(t.files)) {
			if stem := moduleStem(f); stem != "" && stem != "__init__" && stem != "__main__" {
				record(stem)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(t.dirs)) {
			c := t.dirs[name]
			if !isIdentifier(name) || name == "__pycache__" || !c.hasPython(depth) {
				continue
			}
			child := dotted + "." + name
			if !isNamespace(a, c, child, declared) {
				record(name)
				continue
			}
			// A nested namespace is this project's only if it has modules of its own:
			// walt-client-g5k's walt/client/ holds only g5k/, so it provides
			// walt.client.g5k, not walt.client.
			if c.ownModules() && !record(name) {
				continue
			}
			visit(c, child, depth+1)
		}
	}
	for _, name := range top {
		t := root
		for rest := name; t != nil; {
			p, after, more := strings.Cut(rest, ".")
			t = t.dirs[p]
			if !more {
				break
			}
			rest = after
		}
		if t != nil && isNamespace(a, t, name, declared) {
			visit(t, name, strings.Count(name, ".")+1)
		}
	}
	return cleanImportNames(out)
}
