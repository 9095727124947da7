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

// file is one source read and parsed.
type file struct {
	path    string // as given or found by the walk; "-" for stdin
	src     []byte
	imports []pysource.Import
	funcs   []string // names of its defs
	err     error    // a syntax error: the imports are best effort
}

// collect expands the SOURCE arguments: "-" is stdin, a directory is every .py file
// under it (hidden folders, virtual environments and build outputs left out).
func collect(sources []string, stdin io.Reader) ([]*file, []string, error) {
	var files []*file
	var projects []string
	for _, s := range sources {
		if s == "-" {
			if stdin == nil {
				return nil, nil, fmt.Errorf("source -: no standard input: %w", errs.ErrInvalid)
			}
			b, err := io.ReadAll(stdin)
			if err != nil {
				return nil, nil, fmt.Errorf("reading standard input: %w", err)
			}
			files = append(files, &file{path: "-", src: b})
			continue
		}
		st, err := os.Stat(s)
		if err != nil {
			return nil, nil, &MissingSourceError{Path: s, Err: err}
		}
		if !st.IsDir() {
			files = append(files, &file{path: s})
			continue
		}
		projects = append(projects, s)
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
				files = append(files, &file{path: p})
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("walking %s: %w", s, err)
		}
	}
	return files, projects, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// parseAll reads and parses the files in parallel.
func parseAll(files []*file) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	next := make(chan *file)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range next {
				if f.src == nil {
					b, err := os.ReadFile(f.path)
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = fmt.Errorf("reading %s: %w", f.path, err)
						}
						mu.Unlock()
						continue
					}
					f.src = b
				}
				m, err := pysource.Parse(f.src)
				f.imports, f.funcs, f.err = pysource.Imports(m), pysource.FunctionNames(m), err
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

// localNames returns the module names that are local to the analyzed code: for a
// script, the modules and packages in its folder; for a file inside a package, the
// top-level package that encloses it; for a project folder, its top-level modules and
// packages (and those under src/).
func localNames(files []*file, projects []string) map[string]bool {
	local := map[string]bool{}
	listed := map[string]bool{}
	list := func(dir string) {
		if listed[dir] {
			return
		}
		listed[dir] = true
		for _, n := range moduleNames(dir) {
			local[n] = true
		}
	}
	for _, p := range projects {
		list(p)
		if src := filepath.Join(p, "src"); exists(src) && !exists(filepath.Join(src, "__init__.py")) {
			list(src)
		}
	}
	for _, f := range files {
		if f.path == "-" {
			continue
		}
		dir := filepath.Dir(f.path)
		if !exists(filepath.Join(dir, "__init__.py")) {
			list(dir)
			continue
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			continue
		}
		top := abs
		for exists(filepath.Join(filepath.Dir(top), "__init__.py")) && filepath.Dir(top) != top {
			top = filepath.Dir(top)
		}
		local[filepath.Base(top)] = true
	}
	return local
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

func hasPython(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".py") {
			return true
		}
	}
	return false
}
