package analyze

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/pysource"
	"github.com/pydepot/pydepot/internal/stdlib"
)

// Options says what to analyze and how.
type Options struct {
	Sources  []string  // files, folders (projects) and "-" (Stdin)
	Stdin    io.Reader // read for "-"
	TopLevel bool      // only imports outside of any def
	Function string    // only imports inside defs with this name (and defs nested in them)
	// Mappings are the --pkg-mapping pairs: import name (or dotted namespace key)
	// to distribution. They come first.
	Mappings map[string]string
	Extra    []string // distributions added to the requirements as given
	// Target is the interpreter whose version decides the standard library and
	// whose environment --pin reads. Python is used when Target is nil: a "3.X"
	// version without an interpreter (Result.Python is then "3.X").
	Target *Interpreter
	Python string
	Index  Index  // nil: no index
	Table  *Table // nil: BuiltinTable()
	Pin    bool   // pin requirements to the versions installed in Target
	Logger *slog.Logger
}

// Result is the JSON document analyze writes. python and modules are the keys of
// cctools' python_package_analyze.
type Result struct {
	Python       string   `json:"python"`
	Modules      []string `json:"modules"`
	Optional     []string `json:"optional"`
	Requirements []string `json:"requirements"`
	Unresolved   []string `json:"unresolved"`
	// Candidates lists, for each import under Unresolved that several projects
	// provide, the projects it could be; the first was taken.
	Candidates map[string][]string `json:"candidates,omitempty"`
	Sources    []string            `json:"sources"`
	Local      []string            `json:"local"`
}

// Run analyzes the sources.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.TopLevel && o.Function != "" {
		return nil, fmt.Errorf("--toplevel and --function exclude each other: %w", errs.ErrInvalid)
	}
	log, version, std, table, err := prepare(o)
	if err != nil {
		return nil, err
	}
	if len(o.Sources) == 0 {
		o.Sources = []string{"-"}
	}
	roots, err := collect(o.Sources, o.Stdin)
	if err != nil {
		return nil, err
	}
	ps := newParser()
	var given []*file
	for _, r := range roots {
		given = append(given, r.files...)
	}
	if err := ps.parseAll(given); err != nil {
		return nil, err
	}
	for _, f := range given {
		if abs, err := filepath.Abs(f.path); err == nil && f.path != "-" {
			ps.done[abs] = f
		}
	}
	keep := func(imp pysource.Import, followed bool) bool {
		if followed {
			return !imp.TypeChecking && (!o.TopLevel || len(imp.Functions) == 0)
		}
		return wanted(imp, o)
	}
	for _, r := range roots {
		r.py2 = strings.HasPrefix(version, "2.")
		warn, err := ps.follow(r, keep)
		if err != nil {
			return nil, err
		}
		if warn != "" {
			log.Warn(warn, "limit", maxFollowed)
		}
	}
	if o.Function != "" && !defines(given, o.Function) {
		return nil, fmt.Errorf("--function %s: no function of that name in the sources: %w", o.Function, errs.ErrNotFound)
	}

	res := &Result{Python: version}
	required, optional, localUsed := map[string]bool{}, map[string]bool{}, map[string]bool{}
	queries := map[string]map[string]bool{} // key -> the dotted names imported under it
	listed := map[string]bool{}
	for _, r := range roots {
		for _, f := range r.files {
			if !listed[f.path] {
				listed[f.path] = true
				res.Sources = append(res.Sources, f.path)
				if f.err != nil {
					log.Warn("source is not valid Python; its imports are a best guess", "file", f.path, "error", f.err)
				}
				warnPython2(log, f, version)
			}
			siblings := relativeSiblings(f.imports)
			for _, imp := range f.imports {
				if !keep(imp, f.followed) {
					continue
				}
				if imp.Level > 0 {
					continue // relative: local by definition
				}
				if !validModule(imp.Module) {
					log.Debug("ignoring an import of a name that is not a module name", "file", f.path, "line", imp.Line, "name", imp.Module)
					continue
				}
				top := imp.Top()
				if std.Contains(top) || top == "__main__" {
					continue
				}
				if r.local[top] || f.local[top] || siblings[top] || r.py2 && implicitSibling(f, top) {
					localUsed[top] = true
					continue
				}
				for _, key := range table.Key(imp.Module, imp.Names) {
					for _, q := range queryNames(key, imp) {
						if queries[key] == nil {
							queries[key] = map[string]bool{}
						}
						queries[key][q] = true
					}
					if imp.Optional {
						optional[key] = true
					} else {
						required[key] = true
					}
				}
			}
		}
	}
	res.Local = sortedKeys(localUsed)
	if err := mapImports(ctx, o, table, log, required, optional, queries, res); err != nil {
		return nil, err
	}
	return res, nil
}

// prepare reads the options Run and MapModules share: the logger, the target's
// version and standard library, and the mapping table.
func prepare(o Options) (*slog.Logger, string, *stdlib.Set, *Table, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	version := o.Python
	if o.Target != nil {
		version = o.Target.Version
	}
	std, err := stdlib.For(version)
	if err != nil {
		return nil, "", nil, nil, err
	}
	if o.Pin && o.Target == nil {
		return nil, "", nil, nil, fmt.Errorf("--pin needs an interpreter of Python %s to read its installed versions: %w", version, errs.ErrNotFound)
	}
	table := o.Table
	if table == nil {
		table = BuiltinTable()
	}
	return log, version, std, table, nil
}

// mapImports maps the import keys found (required, optional; queries are the dotted
// names imported under each key) to distributions and fills res's Modules,
// Optional, Requirements, Unresolved and Candidates, then adds o.Extra. Run and
// MapModules share it, so that a cctools "modules" list is mapped exactly as the
// imports of sources are. Its error is the index's refusal (a missing or refused token).
func mapImports(ctx context.Context, o Options, table *Table, log *slog.Logger, required, optional map[string]bool, queries map[string]map[string]bool, res *Result) error {
	for k := range required {
		delete(optional, k)
	}
	r := &resolver{o: o, table: table, log: log, cache: map[string]indexAnswer{}}
	if o.Pin {
		r.installed = ReadInstalled(o.Target.Path)
	}
	seen := map[string]bool{}
	addReq := func(req, name string) {
		if n := names.Normalize(name); !seen[n] {
			seen[n] = true
			res.Requirements = append(res.Requirements, req)
		}
	}
	modules, optMods := map[string]bool{}, map[string]bool{}
	for _, key := range sortedKeys(optional) {
		optMods[key] = true
	}
	var ambiguous []choice
	for _, key := range sortedKeys(required) {
		cs := r.resolveKey(ctx, key, sortedKeys(queries[key]))
		if r.indexErr != nil {
			return r.indexErr
		}
		for _, c := range cs {
			modules[c.module] = true
			switch {
			case len(c.candidates) > 0:
				ambiguous = append(ambiguous, c)
			case !c.resolved:
				res.Unresolved = append(res.Unresolved, c.module)
				addReq(r.pin(c.dist), c.dist)
			default:
				addReq(r.pin(c.dist), c.dist)
			}
		}
	}
	// Several projects provide these names and no rule chose one. A bare import of
	// a shared name (import walt) is met by any of them already required; otherwise
	// the first is taken and the choice is listed under unresolved, with the
	// candidates, never silently.
	for _, c := range ambiguous {
		met := false
		for _, cand := range c.candidates {
			met = met || c.bare && seen[names.Normalize(cand)]
		}
		if met {
			continue
		}
		res.Unresolved = append(res.Unresolved, c.module)
		if res.Candidates == nil {
			res.Candidates = map[string][]string{}
		}
		res.Candidates[c.module] = c.candidates
		log.Warn("several projects provide an import and none is named like it; taking the first (use --pkg-mapping IMPORT=DIST to choose)",
			"module", c.module, "taken", c.dist, "candidates", strings.Join(c.candidates, ", "))
		addReq(r.pin(c.dist), c.dist)
	}
	res.Modules = sortedKeys(modules)
	for m := range modules {
		delete(optMods, m)
	}
	res.Optional = sortedKeys(optMods)
	sort.Strings(res.Unresolved)
	if len(res.Unresolved) > 0 {
		log.Info("no mapping confirmed these imports; their distribution names are guesses (use --pkg-mapping IMPORT=DIST to correct one)",
			"imports", strings.Join(res.Unresolved, ", "))
	}
	for _, e := range o.Extra {
		addReq(e, requirementName(e))
	}
	sort.SliceStable(res.Requirements, func(i, j int) bool {
		return names.Normalize(requirementName(res.Requirements[i])) < names.Normalize(requirementName(res.Requirements[j]))
	})
	res.fillEmpty()
	return nil
}

func (r *Result) fillEmpty() {
	for _, l := range []*[]string{&r.Modules, &r.Optional, &r.Requirements, &r.Unresolved, &r.Sources, &r.Local} {
		if *l == nil {
			*l = []string{}
		}
	}
}

// relativeSiblings returns the modules a file imports relatively from its own
// package (`from .x import y`, `from . import x`). Code generated by ANTLR and others
// imports the same sibling absolutely as a fallback for running as a script
// (`if "." in __name__: from .x import y` / `else: from x import y`); that absolute
// import is local too.
func relativeSiblings(imports []pysource.Import) map[string]bool {
	var out map[string]bool
	for _, imp := range imports {
		if imp.Level != 1 {
			continue
		}
		if out == nil {
			out = map[string]bool{}
		}
		if imp.Module != "" {
			out[imp.Top()] = true
			continue
		}
		for _, n := range imp.Names {
			out[n] = true
		}
	}
	return out
}

func defines(files []*file, name string) bool {
	for _, f := range files {
		for _, fn := range f.funcs {
			if fn == name {
				return true
			}
		}
	}
	return false
}

// wanted applies --toplevel, --function and the TYPE_CHECKING rule.
func wanted(imp pysource.Import, o Options) bool {
	if imp.TypeChecking {
		return false
	}
	if o.TopLevel {
		return len(imp.Functions) == 0
	}
	if o.Function != "" {
		for _, f := range imp.Functions {
			if f == o.Function {
				return true
			}
		}
		return false
	}
	return true
}

func validModule(m string) bool {
	for _, p := range strings.Split(m, ".") {
		if !isIdentifier(p) {
			return false
		}
	}
	return true
}

// requirementName returns the distribution name at the start of a requirement string.
func requirementName(req string) string {
	for i, c := range req {
		if !(c == '-' || c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return req[:i]
		}
	}
	return req
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// pin adds ==version for a distribution installed in the target environment.
func (r *resolver) pin(dist string) string {
	if r.installed == nil {
		return dist
	}
	d, ok := r.installed.Dists[names.Normalize(dist)]
	if !ok || d.Version == "" {
		r.log.Warn("cannot pin: the distribution is not installed in the target interpreter", "distribution", dist)
		return dist
	}
	return d.Name + "==" + d.Version
}

// warnPython2 says when a file looks like Python 2 and the target is Python 3: its
// imports are read with a Python 3 parser, and the environment will not run it.
func warnPython2(log *slog.Logger, f *file, version string) {
	if len(f.py2) == 0 || strings.HasPrefix(version, "2.") {
		return
	}
	h := f.py2[0]
	log.Warn("source looks like Python 2 (the target is Python "+version+"); its imports are a best guess and it will not run as is",
		"file", f.path, "line", h.Line, "found", h.What)
}
