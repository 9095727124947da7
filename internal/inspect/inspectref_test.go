package inspect

// The inspection this package did before it was made cheaper for small wheels (one
// reading of the member list, no error for a missing file, no tree of what the
// namespaces do not hold): FuzzInspectReference checks that Inspect returns what this
// returns, on every input.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/pydepot/pydepot/internal/archives"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/metadata"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/versions"
)

// refInspect opens the archive named filename through the archives package, finds the metadata
// file (NAME-VERSION.dist-info/METADATA for wheels; NAME-VERSION/PKG-INFO for sdists), parses it and
// checks that its name and version agree with the file name. The members it reads are
// capped (see MaxRecordSize); then every member is read once through the archive caps
// (archives.Verify), so a corrupt or lying archive is refused here. It stops with ctx's
// error once ctx is done. Errors wrap errs.ErrInvalid or errs.ErrTooLarge and say what is
// wrong.
func refInspect(ctx context.Context, filename string, r io.ReaderAt, size int64) (*Info, error) {
	return refInspectLimits(ctx, filename, r, size, archives.DefaultLimits())
}

// refInspectLimits is refInspect with explicit archive limits.
func refInspectLimits(ctx context.Context, filename string, r io.ReaderAt, size int64, lim archives.Limits) (*Info, error) {
	d, err := filenames.Parse(filename)
	if err != nil {
		return nil, err
	}
	var a archives.Archive
	switch {
	case d.Kind == filenames.KindWheel || d.Ext == ".zip":
		a, err = archives.OpenZip(r, size, lim)
	default:
		a, err = archives.OpenTarGz(ctx, r, size, lim)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	defer a.Close()
	// The few members read for the metadata first, each within its cap, so that an
	// oversized RECORD is refused before anything is inflated.
	info := &Info{Dist: d}
	if d.Kind == filenames.KindWheel {
		err = refInspectWheel(ctx, info, a)
	} else {
		err = refInspectSdist(info, a)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	// Then every member once: CRCs and real sizes are checked, not only the headers.
	if err := archives.Verify(ctx, a); err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	return info, nil
}

func refInvalidf(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), errs.ErrInvalid)
}

// refSplitNameVersion splits "name-version" at its last "-".
func refSplitNameVersion(s string) (string, string, bool) {
	i := strings.LastIndexByte(s, '-')
	if i <= 0 || i == len(s)-1 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// refMatches reports whether "name-version" denotes d's project and version.
func refMatches(nameVersion string, d filenames.Dist) bool {
	n, v, ok := refSplitNameVersion(nameVersion)
	if !ok || names.Normalize(n) != names.Normalize(d.Name) {
		return false
	}
	pv, err := versions.Parse(v)
	return err == nil && pv.Compare(d.Version) == 0
}

func refTopDir(name string) string {
	top, _, _ := strings.Cut(name, "/")
	return top
}

func refInspectWheel(ctx context.Context, info *Info, a archives.Archive) error {
	d := info.Dist
	var dirs []string
	seen := map[string]bool{}
	for _, m := range a.Members() {
		top := refTopDir(m.Name)
		if strings.HasSuffix(top, ".dist-info") && !seen[top] && (m.Dir || strings.Contains(m.Name, "/")) {
			seen[top] = true
			dirs = append(dirs, top)
		}
	}
	switch len(dirs) {
	case 0:
		return refInvalidf("wheel has no .dist-info directory")
	case 1:
	default:
		return refInvalidf("wheel has %d .dist-info directories (%s); it must have exactly one", len(dirs), strings.Join(dirs, ", "))
	}
	distInfo := dirs[0]
	if !refMatches(strings.TrimSuffix(distInfo, ".dist-info"), d) {
		return refInvalidf("wheel's %s does not match the file name's project %s version %s", distInfo, d.Name, d.Version)
	}
	if err := refReadMetadata(info, a, distInfo+"/METADATA"); err != nil {
		return err
	}
	// RECORD is capped even when top_level.txt makes reading it unnecessary.
	if err := refCheckRecordSize(a, distInfo+"/RECORD"); err != nil {
		return err
	}
	if tl, err := refReadTopLevel(a, distInfo+"/top_level.txt"); err != nil {
		return err
	} else if len(tl) > 0 {
		info.ImportNames = refWithSubpackages(tl, a, distInfo)
		return nil
	}
	paths, err := refRecordPaths(ctx, a, distInfo+"/RECORD")
	if err != nil {
		return err
	}
	if paths == nil {
		for _, m := range a.Members() {
			if !m.Dir {
				paths = append(paths, m.Name)
			}
		}
	}
	dataDir := strings.TrimSuffix(distInfo, ".dist-info") + ".data/"
	var installed []string
	for _, p := range paths {
		if rest, ok := strings.CutPrefix(p, dataDir); ok {
			// NAME.data/purelib/... and platlib/... install at the top level.
			scheme, sub, _ := strings.Cut(rest, "/")
			if scheme != "purelib" && scheme != "platlib" {
				continue
			}
			p = sub
		}
		if strings.HasSuffix(refTopDir(p), ".dist-info") {
			continue
		}
		installed = append(installed, p)
	}
	info.ImportNames = refWithSubpackages(refTopLevelNames(installed, nil), a, distInfo)
	if len(info.ImportNames) == 0 {
		info.ImportNames = refCleanImportNames(info.Metadata.ImportNames)
	}
	return nil
}

// refReadMetadata reads, parses and checks the metadata file at name.
func refReadMetadata(info *Info, a archives.Archive, name string) error {
	d := info.Dist
	raw, err := archives.ReadFileMax(a, name, metadata.MaxSize)
	if errors.Is(err, errs.ErrNotFound) {
		return refInvalidf("archive has no %s", name)
	}
	if err != nil {
		return err
	}
	md, err := metadata.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if names.Normalize(md.Name) != names.Normalize(d.Name) {
		return refInvalidf("filename says project %s but metadata says %s", d.Name, md.Name)
	}
	mv, err := versions.Parse(md.Version)
	if err != nil {
		return refInvalidf("metadata version %q: %v", md.Version, err)
	}
	if mv.Compare(d.Version) != 0 {
		return refInvalidf("filename says version %s but metadata says %s", d.Version, md.Version)
	}
	info.Metadata = md
	info.MetadataBytes = raw
	return nil
}

// refReadTopLevel returns the names listed in a top_level.txt (at most MaxTopLevelSize
// bytes), nil when there is none.
func refReadTopLevel(a archives.Archive, name string) ([]string, error) {
	b, err := archives.ReadFileMax(a, name, MaxTopLevelSize)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		out = append(out, strings.ReplaceAll(strings.TrimSpace(l), "/", "."))
	}
	return refCleanImportNames(out), nil
}

// refCheckRecordSize refuses a RECORD over MaxRecordSize from its declared size.
func refCheckRecordSize(a archives.Archive, name string) error {
	if m, err := archives.Lookup(a, name); err == nil && m.Size > MaxRecordSize {
		return fmt.Errorf("%s is %d bytes, over the limit of %d bytes for a RECORD: %w", name, m.Size, MaxRecordSize, errs.ErrTooLarge)
	}
	return nil
}

// refRecordPaths returns the paths listed in a wheel's RECORD, nil when there is none. RECORD
// is streamed: at most MaxRecordSize bytes, lines of at most MaxRecordLine bytes.
func refRecordPaths(ctx context.Context, a archives.Archive, name string) ([]string, error) {
	if err := refCheckRecordSize(a, name); err != nil {
		return nil, err
	}
	rc, err := a.Open(name)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	lr := &io.LimitedReader{R: rc, N: MaxRecordSize + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 4096), MaxRecordLine)
	out := []string{}
	for n := 1; sc.Scan(); n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		l := strings.TrimRight(sc.Text(), "\r")
		if l == "" {
			continue
		}
		p := l
		if strings.HasPrefix(l, `"`) {
			// a quoted CSV field: "a,b.py",sha256=...,12
			if end := strings.Index(l[1:], `"`); end >= 0 {
				p = strings.ReplaceAll(l[1:1+end], `""`, `"`)
			}
		} else if i := strings.IndexByte(l, ','); i >= 0 {
			p = l[:i]
		}
		out = append(out, p)
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return nil, fmt.Errorf("%s has a line over the limit of %d bytes: %w", name, MaxRecordLine, errs.ErrInvalid)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if lr.N == 0 { // MaxRecordSize+1 bytes were read
		return nil, fmt.Errorf("%s is over the limit of %d bytes for a RECORD: %w", name, MaxRecordSize, errs.ErrTooLarge)
	}
	return out, nil
}

// refIsIdentifier reports whether s is a Python identifier.
func refIsIdentifier(s string) bool {
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

// refIsDotted reports whether s is a dotted sequence of identifiers.
func refIsDotted(s string) bool {
	for _, p := range strings.Split(s, ".") {
		if !refIsIdentifier(p) {
			return false
		}
	}
	return true
}

// refCleanImportNames trims, drops what is not a dotted identifier, dedupes and sorts.
func refCleanImportNames(in []string) []string {
	var out []string
	for _, s := range in {
		// PEP 794 allows "; private" after the name.
		s, _, _ = strings.Cut(s, ";")
		s = strings.TrimSpace(s)
		if refIsDotted(s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out) // not a search per name: RECORD may list 100,000 modules
}

// refModuleStem returns the module name of a Python file name: "m.py" -> "m",
// "m.cpython-311-x86_64-linux-gnu.so" -> "m", "m.pyd" -> "m"; "" for other files.
func refModuleStem(file string) string {
	stem, ext, ok := strings.Cut(file, ".")
	if !ok || !refIsIdentifier(stem) {
		return ""
	}
	switch {
	case ext == "py", ext == "pyc", ext == "so", ext == "pyd",
		strings.HasSuffix(ext, ".so"), strings.HasSuffix(ext, ".pyd"):
		return stem
	}
	return ""
}

type refTree struct {
	dirs  map[string]*refTree
	files []string
}

func (t *refTree) add(parts []string) {
	if len(parts) == 1 {
		t.files = append(t.files, parts[0])
		return
	}
	if t.dirs == nil {
		t.dirs = map[string]*refTree{}
	}
	c := t.dirs[parts[0]]
	if c == nil {
		c = &refTree{}
		t.dirs[parts[0]] = c
	}
	c.add(parts[1:])
}

func (t *refTree) isPackage() bool {
	for _, f := range t.files {
		if refModuleStem(f) == "__init__" {
			return true
		}
	}
	return false
}

// refTopLevelNames returns the importable top-level packages and modules among the slash
// paths of files, following namespace packages (directories without __init__) to their
// dotted subpackages. skip, when set, excludes top-level entries by name.
func refTopLevelNames(paths []string, skip func(name string, dir bool) bool) []string {
	root := &refTree{}
	for _, p := range paths {
		root.add(strings.Split(p, "/"))
	}
	var out []string
	budget := maxDottedNames
	var visit func(t *refTree, dotted string, depth int)
	visit = func(t *refTree, dotted string, depth int) {
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
			stem := refModuleStem(f)
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
			if !refIsIdentifier(name) || name == "__pycache__" {
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
	return refCleanImportNames(out)
}

// refSdistSkip lists top-level entries of a source refTree that are not what the project
// installs.
var refSdistSkipDirs = map[string]bool{
	"tests": true, "test": true, "testing": true, "docs": true, "doc": true, "examples": true,
	"example": true, "benchmarks": true, "benchmark": true, "bench": true, "build": true,
	"dist": true, "scripts": true, "tools": true, "ci": true, "src": true,
}

var refSdistSkipModules = map[string]bool{
	"setup": true, "conftest": true, "noxfile": true, "toxfile": true, "tasks": true,
	"fabfile": true, "versioneer": true, "runtests": true, "run_tests": true,
}

func refSdistSkip(name string, dir bool) bool {
	if dir {
		return refSdistSkipDirs[name]
	}
	return refSdistSkipModules[name]
}

func refInspectSdist(info *Info, a archives.Archive) error {
	d := info.Dist
	var found []string
	root := ""
	for _, m := range a.Members() {
		top, rest, ok := strings.Cut(m.Name, "/")
		if ok && rest == "PKG-INFO" && !m.Dir {
			found = append(found, top)
			if refMatches(top, d) {
				root = top
			}
		}
	}
	if root == "" {
		if len(found) == 0 {
			return refInvalidf("sdist has no NAME-VERSION/PKG-INFO")
		}
		return refInvalidf("sdist's %s/PKG-INFO does not match the file name's project %s version %s", found[0], d.Name, d.Version)
	}
	if err := refReadMetadata(info, a, root+"/PKG-INFO"); err != nil {
		return err
	}
	if names := refCleanImportNames(info.Metadata.ImportNames); len(names) > 0 {
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
			tl, err := refReadTopLevel(a, root+"/"+r)
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
	if names := refTopLevelNames(src, refSdistSkip); len(names) > 0 {
		info.ImportNames = names
		return nil
	}
	info.ImportNames = refTopLevelNames(rel, refSdistSkip)
	return nil
}

// refPtree is a folder of a wheel's installed files, with the member names of its
// files.
type refPtree struct {
	dirs  map[string]*refPtree
	files map[string]archives.Member
}

func (t *refPtree) add(parts []string, m archives.Member) {
	for _, p := range parts[:len(parts)-1] {
		if t.dirs == nil {
			t.dirs = map[string]*refPtree{}
		}
		c := t.dirs[p]
		if c == nil {
			c = &refPtree{}
			t.dirs[p] = c
		}
		t = c
	}
	if t.files == nil {
		t.files = map[string]archives.Member{}
	}
	t.files[parts[len(parts)-1]] = m
}

// hasPython reports whether the folder or one below it (a few levels down) holds a
// Python module.
func (t *refPtree) hasPython(depth int) bool {
	for f := range t.files {
		if refModuleStem(f) != "" {
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
func (t *refPtree) ownModules() bool {
	for f := range t.files {
		if stem := refModuleStem(f); stem != "" && stem != "__init__" {
			return true
		}
	}
	return false
}

// refIsNamespace reports whether the package folder t (dotted name) is a namespace
// package: it has no __init__.py (PEP 420), the wheel's namespace_packages.txt
// lists it (pkg_resources), or its __init__.py, at most maxInitRead bytes, calls
// pkgutil's extend_path or pkg_resources' declare_namespace.
func refIsNamespace(a archives.Archive, t *refPtree, dotted string, declared map[string]bool) bool {
	if declared[dotted] {
		return true
	}
	init, ok := t.files["__init__.py"]
	if !ok {
		for f := range t.files {
			if refModuleStem(f) == "__init__" {
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

// refWithSubpackages adds to the import names of a wheel (top, from top_level.txt or
// its file list) the dotted names below each one that is a namespace package
// (refIsNamespace), so that the index can tell which of the projects sharing the
// namespace walt provides walt.client: the modules and packages of the namespace,
// and below a child that is a namespace itself (walt.client, for the walt-client-g5k
// plugin) its own, to maxNamespaceDepth components. It reads the member list and the
// namespace's own small __init__.py, nothing else.
func refWithSubpackages(top []string, a archives.Archive, distInfo string) []string {
	root := &refPtree{}
	dataDir := strings.TrimSuffix(distInfo, ".dist-info") + ".data/"
	for _, m := range a.Members() {
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
		if strings.HasSuffix(refTopDir(p), ".dist-info") || !strings.Contains(p, "/") {
			continue
		}
		root.add(strings.Split(p, "/"), m)
	}
	declared := map[string]bool{}
	if b, err := a.ReadFile(distInfo + "/namespace_packages.txt"); err == nil && len(b) <= maxInitRead {
		for _, l := range strings.Fields(string(b)) {
			declared[l] = true
		}
	}
	out := append([]string(nil), top...)
	budget := maxDottedNames
	// visit records the names below the namespace t.
	var visit func(t *refPtree, dotted string, depth int)
	visit = func(t *refPtree, dotted string, depth int) {
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
			if stem := refModuleStem(f); stem != "" && stem != "__init__" && stem != "__main__" {
				record(stem)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(t.dirs)) {
			c := t.dirs[name]
			if !refIsIdentifier(name) || name == "__pycache__" || !c.hasPython(depth) {
				continue
			}
			child := dotted + "." + name
			if !refIsNamespace(a, c, child, declared) {
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
		for _, p := range strings.Split(name, ".") {
			if t = t.dirs[p]; t == nil {
				break
			}
		}
		if t != nil && refIsNamespace(a, t, name, declared) {
			visit(t, name, strings.Count(name, ".")+1)
		}
	}
	return refCleanImportNames(out)
}
