// Package lint is the Go-side check of the pyflakes class that a check's lint step runs
// when pyflakes is not in the wheelhouse, on internal/pysource's statements:
//   - a syntax error in a module (medium: the module cannot be imported);
//   - an import at module level whose name is never used in the file (low);
//   - a module-level import that rebinds a name imported before and not used between
//     (low);
//   - `from x import *` (info: it hides which names the module uses).
//
// Undefined names are left out: the statement parser does not read expressions, so
// the scopes of comprehensions, lambdas, globals and class bodies cannot be told apart
// soundly, and a guess would report names that are defined.
//
// A name counts as used when it appears as a name anywhere in the file outside import
// statements (or as a string of __all__), so the check errs towards silence. __init__.py
// files are not checked for unused imports (they re-export), nor __future__ imports.
// Bounds: the number of files, the size of one file (larger ones are skipped with an
// info finding), the total bytes and the findings, as internal/scan.
package lint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/pysource"
)

// Limits bound one run.
type Limits struct {
	Files     int
	FileBytes int64
	Bytes     int64
	Findings  int
}

// DefaultLimits are the bounds Dir uses.
var DefaultLimits = Limits{Files: 50000, FileBytes: 8 << 20, Bytes: 512 << 20, Findings: 500}

var errStop = errors.New("lint bound reached")

// Dir lints the .py files of an unpacked sdist or wheel with DefaultLimits.
func Dir(ctx context.Context, root string) ([]checkreport.Finding, error) {
	return DefaultLimits.Dir(ctx, root)
}

// Dir lints the .py files under root within l. A bound reached ends the run with an
// info finding; an unreadable root or an ended ctx is an error.
func (l Limits) Dir(ctx context.Context, root string) ([]checkreport.Finding, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("lint: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("lint: %s is not a folder: %w", root, errs.ErrInvalid)
	}
	var out []checkreport.Finding
	var files int
	var total int64
	add := func(sev checkreport.Severity, format string, a ...any) error {
		if len(out) >= l.Findings {
			out = append(out, checkreport.Finding{Task: checkreport.StepLint, Kind: checkreport.Lint,
				Severity: checkreport.Info, Detail: fmt.Sprintf("lint stopped: more than %d findings", l.Findings)})
			return errStop
		}
		out = append(out, checkreport.Finding{Task: checkreport.StepLint, Kind: checkreport.Lint, Severity: sev, Detail: fmt.Sprintf(format, a...)})
		return nil
	}
	werr := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if files++; files > l.Files {
			return add(checkreport.Info, "lint stopped: more than %d files", l.Files)
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(path, ".py") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > l.FileBytes {
			return add(checkreport.Info, "%s: not linted: %d bytes, over %d", rel, info.Size(), l.FileBytes)
		}
		if total += info.Size(); total > l.Bytes {
			return add(checkreport.Info, "lint stopped: more than %d bytes of source", l.Bytes)
		}
		src, err := readCapped(path, l.FileBytes)
		if err != nil {
			return err
		}
		if int64(len(src)) > l.FileBytes { // grew since its stat
			return add(checkreport.Info, "%s: not linted: over %d bytes", rel, l.FileBytes)
		}
		for _, p := range File(rel, src) {
			if err := add(p.Severity, "%s", p.Detail); err != nil {
				return err
			}
		}
		return nil
	})
	if werr != nil && !errors.Is(werr, errStop) {
		return nil, fmt.Errorf("lint %s: %w", root, werr)
	}
	return out, nil
}

// File lints one module's source; rel names it in the findings.
func File(rel string, src []byte) []checkreport.Finding {
	var out []checkreport.Finding
	add := func(sev checkreport.Severity, line int, format string, a ...any) {
		out = append(out, checkreport.Finding{Task: checkreport.StepLint, Kind: checkreport.Lint, Severity: sev,
			Detail: fmt.Sprintf("%s:%d: %s", rel, line, fmt.Sprintf(format, a...))})
	}
	m, err := pysource.Parse(src)
	var se *pysource.SyntaxError
	if errors.As(err, &se) {
		add(checkreport.Medium, se.Line, "syntax error: %s", se.Msg)
		return out // names after a syntax error are not trustworthy
	}
	// uses[name] lists the lines where name appears outside import statements.
	uses := map[string][]int{}
	var walk func([]*pysource.Stmt)
	note := func(toks []pysource.Token) {
		for i, t := range toks {
			if t.Kind == pysource.Name && (i == 0 || toks[i-1].Text != ".") {
				uses[t.Text] = append(uses[t.Text], int(t.Line))
			}
		}
	}
	walk = func(body []*pysource.Stmt) {
		for _, s := range body {
			if s.Import == nil {
				note(s.Tokens)
				if s.Name != "" {
					uses[s.Name] = append(uses[s.Name], s.Line) // def/class rebinds: pyflakes reports that apart
				}
			}
			for _, d := range s.Decorators {
				note(d)
			}
			for _, c := range s.Clauses {
				note(c.Header)
				walk(c.Body)
			}
		}
	}
	walk(m.Body)
	exported := allNames(m.Body)
	type bound struct {
		name, what string
		line       int
	}
	var imports []bound
	for _, s := range m.Body {
		imp := s.Import
		if imp == nil {
			continue
		}
		if imp.From && imp.Level == 0 && imp.Module == "__future__" {
			continue
		}
		for _, a := range imp.Names {
			switch {
			case a.Name == "*":
				add(checkreport.Info, s.Line, "from %s%s import *: the names it brings are unknown", strings.Repeat(".", imp.Level), imp.Module)
			case a.As != "":
				imports = append(imports, bound{a.As, a.Name, s.Line})
			case imp.From:
				imports = append(imports, bound{a.Name, a.Name, s.Line})
			default:
				top, _, _ := strings.Cut(a.Name, ".")
				imports = append(imports, bound{top, a.Name, s.Line})
			}
		}
	}
	usedBetween := func(name string, from, to int) bool {
		for _, l := range uses[name] {
			if l >= from && (to < 0 || l <= to) {
				return true
			}
		}
		return false
	}
	init := strings.HasSuffix(rel, "__init__.py")
	for i, b := range imports {
		next := -1
		for _, c := range imports[i+1:] {
			if c.name == b.name {
				next = c.line
				break
			}
		}
		switch {
		case next >= 0 && next != b.line && !usedBetween(b.name, b.line, next):
			add(checkreport.Low, next, "redefinition of unused %s from line %d", b.name, b.line)
		case next < 0 && !init && !exported[b.name] && !usedBetween(b.name, b.line, -1):
			add(checkreport.Low, b.line, "%s imported but unused", b.what)
		}
	}
	return out
}

// allNames returns the string items of a module-level __all__ = [...] / (...) / += ....
func allNames(body []*pysource.Stmt) map[string]bool {
	out := map[string]bool{}
	for _, s := range body {
		if len(s.Tokens) < 2 || s.Tokens[0].Text != "__all__" {
			continue
		}
		for _, t := range s.Tokens[1:] {
			if t.Kind == pysource.String {
				if v, ok := pysource.StringValue(t.Text); ok {
					out[v] = true
				}
			}
		}
	}
	return out
}

// readCapped reads at most limit+1 bytes of the file at path.
func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}
