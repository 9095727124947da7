package interpreters

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/pydepot/pydepot/internal/errs"
)

// Options tell discovery where to look. The zero value uses the defaults.
type Options struct {
	PATH      string   // search path; "" means $PATH
	PyenvRoot string   // "" means $PYENV_ROOT, else /root/.pyenv and $HOME/.pyenv
	ExtraDirs []string // searched last; nil means /usr/bin and /usr/local/bin
	Getenv    func(string) string
	// CacheDir, when set, remembers each interpreter's answer (see QueryCached).
	CacheDir string
}

func (o Options) getenv(k string) string {
	if o.Getenv != nil {
		return o.Getenv(k)
	}
	return os.Getenv(k)
}

var nameRE = regexp.MustCompile(`^python3(\.\d+)?$`)

// Candidates lists the interpreter executables discovery would query, in preference
// order, deduplicated by real path, without running them.
func Candidates(o Options) []string {
	var dirs []string
	path := o.PATH
	if path == "" {
		path = o.getenv("PATH")
	}
	dirs = append(dirs, filepath.SplitList(path)...)
	roots := []string{o.PyenvRoot}
	if o.PyenvRoot == "" {
		roots = []string{o.getenv("PYENV_ROOT"), "/root/.pyenv"}
		if h := o.getenv("HOME"); h != "" {
			roots = append(roots, filepath.Join(h, ".pyenv"))
		}
	}
	for _, r := range roots {
		if r == "" {
			continue
		}
		vs, _ := filepath.Glob(filepath.Join(r, "versions", "*", "bin"))
		sort.Sort(sort.Reverse(sort.StringSlice(vs)))
		dirs = append(dirs, vs...)
	}
	extra := o.ExtraDirs
	if extra == nil {
		extra = []string{"/usr/bin", "/usr/local/bin"}
	}
	dirs = append(dirs, extra...)

	seen := map[string]bool{}
	var out []string
	for _, d := range dirs {
		if d == "" || strings.Contains(d, "/shims") {
			continue
		}
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		// python3.N before python3, higher N first
		var names []string
		for _, e := range ents {
			if nameRE.MatchString(e.Name()) {
				names = append(names, e.Name())
			}
		}
		sort.Slice(names, func(i, j int) bool { return nameLess(names[i], names[j]) })
		for _, n := range names {
			p := filepath.Join(d, n)
			st, err := os.Stat(p)
			if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
				continue
			}
			real, err := filepath.EvalSymlinks(p)
			if err != nil || seen[real] {
				continue
			}
			seen[real] = true
			out = append(out, p)
		}
	}
	return out
}

// nameLess orders python3.12 < python3.9 < python3 (specific and newer first).
func nameLess(a, b string) bool {
	ma, mb := minorOf(a), minorOf(b)
	if ma != mb {
		return ma > mb
	}
	return a < b
}

func minorOf(name string) int {
	_, v, ok := strings.Cut(name, "python3.")
	if !ok {
		return -1
	}
	n := 0
	for _, c := range v {
		n = n*10 + int(c-'0')
	}
	return n
}

// DefaultPath returns the interpreter the documentation names as the default: the
// first python3 on PATH (o.PATH, else $PATH). It may be a pyenv shim, which Query
// runs so that it reports the interpreter it stands for. The error wraps
// errs.ErrNotFound.
func DefaultPath(o Options) (string, error) {
	path := o.PATH
	if path == "" {
		path = o.getenv("PATH")
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue // the current folder is never searched
		}
		p := filepath.Join(dir, "python3")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			if abs, err := filepath.Abs(p); err == nil {
				return abs, nil
			}
			return p, nil
		}
	}
	return "", fmt.Errorf("no python3 on PATH: %w", errs.ErrNotFound)
}

// Default queries the interpreter of DefaultPath.
func Default(ctx context.Context, o Options) (*Interpreter, error) {
	p, err := DefaultPath(o)
	if err != nil {
		return nil, err
	}
	return QueryCached(ctx, p, o.CacheDir)
}

// ordered is Candidates with the default interpreter (DefaultPath) first: when
// several interpreters would do, the python3 on PATH is the one taken.
func ordered(o Options) []string {
	cands := Candidates(o)
	d, err := DefaultPath(o)
	if err != nil {
		return cands
	}
	real, _ := filepath.EvalSymlinks(d)
	out := []string{d}
	for _, c := range cands {
		if r, _ := filepath.EvalSymlinks(c); c != d && (real == "" || r != real) {
			out = append(out, c)
		}
	}
	return out
}

// Discover queries every candidate (two at a time) and returns the working Python 3
// interpreters in preference order, the default interpreter (DefaultPath) first.
// Candidates that fail to answer are left out.
func Discover(ctx context.Context, o Options) []*Interpreter {
	return queryAll(ctx, ordered(o), o.CacheDir)
}

func queryAll(ctx context.Context, paths []string, cacheDir string) []*Interpreter {
	res := make([]*Interpreter, len(paths))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, p := range paths {
		g.Go(func() error {
			in, err := QueryCached(ctx, p, cacheDir)
			if err == nil {
				res[i] = in
			}
			return nil
		})
	}
	_ = g.Wait()
	var out []*Interpreter
	seen := map[string]bool{}
	for _, in := range res {
		if in != nil && !seen[in.RealPath] {
			seen[in.RealPath] = true
			out = append(out, in)
		}
	}
	return out
}

// Find returns the preferred interpreter matching want: "" (any Python 3), "3" , "3.11"
// or "3.11.7". The default interpreter (the first python3 on PATH) comes first when it
// matches. A full version prefers an exact match and falls back to the same
// major.minor. When none matches, the error wraps errs.ErrNotFound and lists what exists,
// e.g. "no Python 3.9 interpreter found; found 3.11.7 (/usr/bin/python3.11), ...".
func Find(ctx context.Context, want string, o Options) (*Interpreter, error) {
	want = strings.TrimSpace(want)
	parts := strings.Split(want, ".")
	mm := want
	if len(parts) > 2 {
		mm = parts[0] + "." + parts[1]
	}
	// Query only the candidates whose file name could match, then the rest if needed.
	var likely, rest []string
	for _, p := range ordered(o) {
		m := minorOf(filepath.Base(p))
		if mm == "" || mm == "3" || m < 0 || fmt.Sprintf("3.%d", m) == mm {
			likely = append(likely, p)
		} else {
			rest = append(rest, p)
		}
	}
	var found []*Interpreter
	var mu sync.Mutex
	pick := func(ins []*Interpreter) *Interpreter {
		mu.Lock()
		found = append(found, ins...)
		mu.Unlock()
		var best *Interpreter
		for _, in := range ins {
			switch {
			case want == "" || want == "3" || in.Version == want:
				return in
			case in.MajorMinor() == mm && best == nil:
				best = in
			}
		}
		return best
	}
	if in := pick(queryAll(ctx, likely, o.CacheDir)); in != nil {
		return in, nil
	}
	// A file name such as python3 may hide any version; python3.N never lies, so the
	// rest are queried only to list them in the error.
	_ = pick(queryAll(ctx, rest, o.CacheDir))
	if len(found) == 0 {
		return nil, fmt.Errorf("no Python %s interpreter found, and no Python 3 at all on PATH, in pyenv or /usr/bin: %w", orAny(want), errs.ErrNotFound)
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].Path < found[j].Path })
	var names []string
	for _, in := range found {
		names = append(names, in.String())
	}
	return nil, fmt.Errorf("no Python %s interpreter found; found %s: %w", want, strings.Join(names, ", "), errs.ErrNotFound)
}

func orAny(s string) string {
	if s == "" {
		return "3"
	}
	return s
}
