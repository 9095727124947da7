package analyze

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/pysource"
)

// MissingSourceError is a SOURCE that cannot be read (the CLI exits 2 for it, as
// cctools does for a missing script). It wraps errs.ErrNotFound.
type MissingSourceError struct {
	Path string
	Err  error // from os.Stat
}

func (e *MissingSourceError) Error() string {
	return fmt.Sprintf("source %s: no such file or folder", e.Path)
}

func (e *MissingSourceError) Unwrap() []error { return []error{errs.ErrNotFound, e.Err} }

// skipDirs are folders a project walk does not enter.
var skipDirs = map[string]bool{
	"__pycache__": true, "node_modules": true, "site-packages": true, "build": true,
	"dist": true, "venv": true, "env": true,
}

// Bounds on what one analysis reads: a source file's size, the files reached by
// following local imports (per SOURCE), and the bytes read in all.
const (
	maxFileSize   = 16 << 20
	maxFollowed   = 5000
	maxTotalBytes = 1 << 30
)

// file is one source read and parsed.
type file struct {
	path     string // as given or found by the walk; "-" for stdin
	src      []byte
	imports  []pysource.Import
	funcs    []string // names of its defs
	err      error    // a syntax error: the imports are best effort
	py2      []pysource.Py2Hint
	followed bool            // reached by following a local import, not given or walked
	local    map[string]bool // names local to this file beyond its root's (a project file's own folder)
}

// root is one SOURCE argument: its files and the module names local to it. Each
// source's local modules are its own: a module beside one script is not local to
// another script in another folder.
type root struct {
	files []*file
	local map[string]bool
	dirs  []string // where its absolute local imports are found (sys.path[0] and src/)
	py2   bool     // Python 2 target: `import x` inside a package may mean the sibling x
}

// implicitSibling reports whether, in Python 2 (implicit relative imports), an
// absolute import of top in file f is its own package's module top.
func implicitSibling(f *file, top string) bool {
	if f.path == "-" {
		return false
	}
	dir := filepath.Dir(f.path)
	return exists(filepath.Join(dir, "__init__.py")) &&
		(isFile(filepath.Join(dir, top+".py")) || isFile(filepath.Join(dir, top, "__init__.py")))
}

// collect expands the SOURCE arguments: "-" is stdin, a directory is every .py file
// under it (hidden folders, virtual environments and build outputs left out).
func collect(sources []string, stdin io.Reader) ([]*root, error) {
	var roots []*root
	for _, s := range sources {
		if s == "-" {
			if stdin == nil {
				return nil, fmt.Errorf("source -: no standard input: %w", errs.ErrInvalid)
			}
			b, err := io.ReadAll(io.LimitReader(stdin, maxFileSize+1))
			if err != nil {
				return nil, fmt.Errorf("reading standard input: %w", err)
			}
			if len(b) > maxFileSize {
				return nil, fmt.Errorf("standard input is over the %d MiB limit for a source: %w", maxFileSize>>20, errs.ErrTooLarge)
			}
			// Code read from stdin has no folder: only relative imports are local.
			roots = append(roots, &root{files: []*file{{path: "-", src: b}}, local: map[string]bool{}})
			continue
		}
		st, err := os.Stat(s)
		if err != nil {
			return nil, &MissingSourceError{Path: s, Err: err}
		}
		if !st.IsDir() {
			r := &root{files: []*file{{path: s}}, local: map[string]bool{}}
			r.dirs = scriptLocal(s, r.local)
			roots = append(roots, r)
			continue
		}
		r := &root{local: map[string]bool{}, dirs: []string{s}}
		dirLocal := map[string]map[string]bool{} // a file in a project also sees its folder, as a script
		for _, n := range moduleNames(s) {
			r.local[n] = true
		}
		if src := filepath.Join(s, "src"); exists(src) && !exists(filepath.Join(src, "__init__.py")) {
			r.dirs = append(r.dirs, src)
			for _, n := range moduleNames(src) {
				r.local[n] = true
			}
		}
		err = filepath.WalkDir(s, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				n := d.Name()
				if p != s && (strings.HasPrefix(n, ".") || skipDirs[n] || strings.HasSuffix(n, ".egg-info") ||
					exists(filepath.Join(p, "pyvenv.cfg"))) {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() && strings.HasSuffix(p, ".py") {
				dir := filepath.Dir(p)
				if dirLocal[dir] == nil {
					dirLocal[dir] = map[string]bool{}
					scriptLocal(p, dirLocal[dir])
				}
				r.files = append(r.files, &file{path: p, local: dirLocal[dir]})
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("walking %s: %w", s, err)
		}
		roots = append(roots, r)
	}
	return roots, nil
}

// scriptLocal fills local with the names local to a script and returns the folder
// its absolute imports resolve in: for a script, the modules and packages in its
// folder (sys.path[0]); for a file inside a package, the top-level package that
// encloses it, found in the folder above that package.
func scriptLocal(path string, local map[string]bool) []string {
	dir := filepath.Dir(path)
	if !exists(filepath.Join(dir, "__init__.py")) {
		for _, n := range moduleNames(dir) {
			local[n] = true
		}
		return []string{dir}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	top := abs
	for exists(filepath.Join(filepath.Dir(top), "__init__.py")) && filepath.Dir(top) != top {
		top = filepath.Dir(top)
	}
	local[filepath.Base(top)] = true
	return []string{filepath.Dir(top)}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// parser reads and parses files, each path once (several roots may reach the same
// file), within the total byte budget.
type parser struct {
	mu     sync.Mutex
	done   map[string]*file // by absolute path
	budget int64
}

func newParser() *parser { return &parser{done: map[string]*file{}, budget: maxTotalBytes} }

// parseAll reads and parses the files in parallel.
func (ps *parser) parseAll(files []*file) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	next := make(chan *file)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range next {
				if f.src == nil {
					b, err := ps.read(f.path)
					if err != nil {
						fail(err)
						continue
					}
					f.src = b
				}
				m, err := pysource.Parse(f.src)
				f.imports, f.funcs, f.err = pysource.Imports(m), pysource.FunctionNames(m), err
				f.py2 = m.Python2
				f.src = nil
			}
		}()
	}
	for _, f := range files {
		next <- f
	}
	close(next)
	wg.Wait()
	return firstErr
}

func (ps *parser) read(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("%s is over the %d MiB limit for a source file: %w", path, maxFileSize>>20, errs.ErrTooLarge)
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.budget -= int64(len(b)); ps.budget < 0 {
		return nil, fmt.Errorf("the sources are over the %d MiB limit of one analysis: %w", maxTotalBytes>>20, errs.ErrTooLarge)
	}
	return b, nil
}

// follow adds to r the local modules and packages its files import, transitively, as
// ModuleFinder would reach them, without running anything: for `import a.b` the files
// a/__init__.py and a/b/__init__.py or a/b.py; for `from a import x` also a/x.py or
// a/x/__init__.py (x may be a submodule); relative imports from the importing file's
// package. Absolute imports are looked up in the root's folders only when their
// top-level name is local to the root. keep filters the imports that are followed
// (--toplevel, --function) in the files given; the files reached keep all their
// imports but TYPE_CHECKING ones (or, with --toplevel, their top-level ones).
func (ps *parser) follow(r *root, keep func(imp pysource.Import, followed bool) bool) (warn string, err error) {
	seen := map[string]bool{}
	for _, f := range r.files {
		if abs, err := filepath.Abs(f.path); err == nil && f.path != "-" {
			seen[abs] = true
		}
	}
	wave := r.files
	count := 0
	for len(wave) > 0 {
		var next []*file
		for _, f := range wave {
			for _, p := range r.targets(f, keep) {
				abs, err := filepath.Abs(p)
				if err != nil || seen[abs] {
					continue
				}
				seen[abs] = true
				if count++; count > maxFollowed {
					return fmt.Sprintf("stopped following local imports after %d files", maxFollowed), nil
				}
				ps.mu.Lock()
				done := ps.done[abs]
				ps.mu.Unlock()
				if done != nil {
					// Parsed for another root: share the parse, not the root.
					cp := *done
					cp.followed = true
					r.files = append(r.files, &cp)
					next = append(next, &cp)
					continue
				}
				nf := &file{path: p, followed: true}
				next = append(next, nf)
			}
		}
		var fresh []*file
		for _, f := range next {
			if f.imports == nil && f.funcs == nil && f.err == nil {
				fresh = append(fresh, f)
			}
		}
		if err := ps.parseAll(fresh); err != nil {
			return "", err
		}
		for _, f := range fresh {
			abs, _ := filepath.Abs(f.path)
			ps.mu.Lock()
			ps.done[abs] = f
			ps.mu.Unlock()
			r.files = append(r.files, f)
		}
		wave = next
	}
	return "", nil
}

// targets lists the existing local files an import of f may load.
func (r *root) targets(f *file, keep func(pysource.Import, bool) bool) []string {
	var out []string
	for _, imp := range f.imports {
		if !keep(imp, f.followed) || !validModule(imp.Module) && imp.Module != "" {
			continue
		}
		var bases []string // folders the dotted module is resolved in
		if imp.Level > 0 {
			if f.path == "-" {
				continue
			}
			d := filepath.Dir(f.path)
			for range imp.Level - 1 {
				d = filepath.Dir(d)
			}
			bases = []string{d}
		} else if r.py2 && implicitSibling(f, imp.Top()) {
			bases = []string{filepath.Dir(f.path)}
		} else {
			if !r.local[imp.Top()] {
				continue
			}
			bases = r.dirs
		}
		var parts []string
		if imp.Module != "" {
			parts = strings.Split(imp.Module, ".")
		}
		for _, base := range bases {
			d := base
			ok := true
			for i, p := range parts {
				last := i == len(parts)-1
				pkg := filepath.Join(d, p)
				if init := filepath.Join(pkg, "__init__.py"); isFile(init) {
					out = append(out, init)
				} else if last && isFile(pkg+".py") {
					out = append(out, pkg+".py")
					ok = false // a module: its from-names are attributes
					break
				} else if st, err := os.Stat(pkg); err != nil || !st.IsDir() {
					ok = false // not here (or a compiled module)
					break
				}
				d = pkg
			}
			if !ok {
				continue
			}
			for _, n := range imp.Names {
				if n == "*" || !isIdentifier(n) {
					continue
				}
				if init := filepath.Join(d, n, "__init__.py"); isFile(init) {
					out = append(out, init)
				} else if isFile(filepath.Join(d, n+".py")) {
					out = append(out, filepath.Join(d, n+".py"))
				}
			}
		}
	}
	return out
}

// moduleNames lists the importable names in a folder: *.py modules, extension
// modules, packages and namespace folders that hold Python files.
func moduleNames(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		switch {
		case e.IsDir():
			if !isIdentifier(n) {
				continue
			}
			if exists(filepath.Join(dir, n, "__init__.py")) || hasPython(filepath.Join(dir, n)) {
				out = append(out, n)
			}
		case strings.HasSuffix(n, ".py"):
			out = append(out, strings.TrimSuffix(n, ".py"))
		case strings.HasSuffix(n, ".so") || strings.HasSuffix(n, ".pyd"):
			base, _, _ := strings.Cut(n, ".")
			out = append(out, base)
		}
	}
	sort.Strings(out)
	return out
}

// hasPython reports whether a folder holds Python files, directly or in the folders
// below it (a namespace package such as pkg/sub/leaf.py), looking at most a few
// levels and a bounded number of entries deep.
func hasPython(dir string) bool {
	budget := 2000
	var walk func(d string, depth int) bool
	walk = func(d string, depth int) bool {
		entries, err := os.ReadDir(d)
		if err != nil {
			return false
		}
		for _, e := range entries {
			if budget--; budget < 0 {
				return false
			}
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".py") {
				return true
			}
		}
		if depth >= 3 {
			return false
		}
		for _, e := range entries {
			if e.IsDir() && isIdentifier(e.Name()) && walk(filepath.Join(d, e.Name()), depth+1) {
				return true
			}
		}
		return false
	}
	return walk(dir, 0)
}
