package analyze

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/pysource"
)

// Bounds on the dotted names asked for one import.
const (
	maxQueryDepth = 4  // components of a dotted name asked
	maxQueryNames = 16 // names of one from-import asked as submodules
)

// queryNames returns the names under which an import is looked up to find the
// projects providing key, longest (most precise) first as the index matches them:
// the imported module itself (walt.client for `from walt.client import X`), and for
// a from-import of a top-level package the names it imports, which may be
// subpackages of a namespace (`from walt import client`). A key of the built-in
// namespace table (google.cloud.storage) is asked as it is.
func queryNames(key string, imp pysource.Import) []string {
	top := imp.Top()
	if key != top {
		return []string{key}
	}
	parts := strings.Split(imp.Module, ".")
	if len(parts) > maxQueryDepth {
		parts = parts[:maxQueryDepth]
	}
	if len(parts) > 1 || len(imp.Names) == 0 {
		return []string{strings.Join(parts, ".")}
	}
	var out []string
	for _, n := range imp.Names {
		if len(out) == maxQueryNames {
			break
		}
		if n != "*" && isIdentifier(n) {
			out = append(out, top+"."+n)
		}
	}
	if len(out) == 0 {
		out = []string{top}
	}
	return out
}

// choice is the distribution chosen for an import name.
type choice struct {
	module   string // the import name listed under modules
	dist     string
	resolved bool // a mapping confirmed it (else dist is a guess)
	// candidates are the projects that provide module when several do and no rule
	// chose one (dist is then the first); bare when the import is of that very name
	// (import walt), which any of them satisfies.
	candidates []string
	bare       bool
}

type indexAnswer struct {
	match    string
	projects []string
}

// resolver maps import keys to distributions.
type resolver struct {
	o         Options
	table     *Table
	log       *slog.Logger
	installed *Installed
	indexDown bool
	// indexErr is a refusal by the index (no token, or one it does not accept): Run
	// returns it, as the answers would otherwise silently be the built-in table's.
	indexErr error
	cache    map[string]indexAnswer // index answers by name asked
}

// resolveKey maps an import key to distributions: --pkg-mapping; else each dotted
// name imported under it (qs), longest first, through the installed environment
// (with --pin) or the index, which may tell apart the projects sharing a namespace
// (walt.client -> walt-client, walt.common -> walt-common); else the built-in table;
// else the name itself (dots become dashes: google.cloud.storage ->
// google-cloud-storage), reported as unresolved. When every answer names one
// project, the key is the module listed; else each dotted name that matched is.
func (r *resolver) resolveKey(ctx context.Context, key string, qs []string) []choice {
	top, _, _ := strings.Cut(key, ".")
	if d, ok := r.o.Mappings[key]; ok {
		return []choice{{module: key, dist: d, resolved: true}}
	}
	if d, ok := r.o.Mappings[top]; ok {
		return []choice{{module: key, dist: d, resolved: true}}
	}
	if len(qs) == 0 {
		qs = []string{key}
	}
	var out []choice
	seen := map[string]bool{}
	for _, q := range qs {
		if c, ok := r.mapped(key, q); ok {
			if !seen[c.module] {
				seen[c.module] = true
				out = append(out, c)
			}
			continue
		}
		match, cands, display := r.lookup(ctx, q)
		if len(cands) == 0 {
			continue
		}
		if match == "" || len(match) < len(key) && strings.HasPrefix(key, match+".") {
			match = key // an older server says no match; a shallower one is the key's
		}
		c := r.choose(q, match, cands, display)
		if !seen[c.module] {
			seen[c.module] = true
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		if d, ok := r.table.Lookup(key); ok {
			return []choice{{module: key, dist: d, resolved: true}}
		}
		return []choice{{module: key, dist: strings.ReplaceAll(key, ".", "-")}}
	}
	one := true
	for _, c := range out {
		one = one && len(c.candidates) == 0 && names.Normalize(c.dist) == names.Normalize(out[0].dist)
	}
	if one {
		return []choice{{module: key, dist: out[0].dist, resolved: true}}
	}
	return out
}

// mapped finds a --pkg-mapping for a dotted name deeper than key (walt.client=...),
// the longest prefix of q first.
func (r *resolver) mapped(key, q string) (choice, bool) {
	parts := strings.Split(q, ".")
	for i := len(parts); i > 0; i-- {
		p := strings.Join(parts[:i], ".")
		if len(p) <= len(key) {
			break
		}
		if d, ok := r.o.Mappings[p]; ok {
			return choice{module: p, dist: d, resolved: true}, true
		}
	}
	return choice{}, false
}

// lookup asks the installed environment (with --pin) or the index which projects
// provide q: the longest dotted prefix of q they know and its projects, and a
// function giving a project's display name.
func (r *resolver) lookup(ctx context.Context, q string) (string, []string, func(string) string) {
	if r.installed != nil {
		parts := strings.Split(q, ".")
		for i := len(parts); i > 0; i-- {
			m := strings.Join(parts[:i], ".")
			if ds := r.installed.Imports[m]; len(ds) > 0 {
				return m, ds, func(n string) string { return r.installed.Dists[n].Name }
			}
		}
	}
	if r.o.Index == nil || r.indexDown {
		return "", nil, nil
	}
	ans, ok := r.cache[q]
	if !ok {
		m, cands, err := r.o.Index.ImportCandidates(ctx, q)
		if err != nil && (errors.Is(err, errs.ErrUnauthorized) || errors.Is(err, errs.ErrForbidden)) {
			r.indexErr = err
			r.indexDown = true
			return "", nil, nil
		}
		if err != nil {
			r.log.Warn("the index cannot say which project provides an import; falling back to the built-in table", "module", q, "error", err)
			r.indexDown = true
			return "", nil, nil
		}
		ans = indexAnswer{match: m, projects: cands}
		r.cache[q] = ans
	}
	return ans.match, ans.projects, func(n string) string { return n }
}

// choose picks among the projects providing match (a prefix of q): the only one;
// else the one named like q or one of its prefixes down to match, or like the
// built-in table's answer for them (walt.common -> walt-common, even from an index
// that records only walt); else none: the choice is left to the caller, with the
// candidates.
func (r *resolver) choose(q, match string, cands []string, display func(string) string) choice {
	if len(cands) == 1 {
		return choice{module: match, dist: display(cands[0]), resolved: true}
	}
	byName := map[string]string{}
	for _, c := range cands {
		byName[names.Normalize(c)] = c
	}
	parts := strings.Split(q, ".")
	for i := len(parts); i > 0; i-- {
		p := strings.Join(parts[:i], ".")
		if len(p) < len(match) {
			break
		}
		want := []string{names.Normalize(strings.ReplaceAll(p, ".", "-"))}
		if d, ok := r.table.Lookup(p); ok {
			want = append(want, names.Normalize(d))
		}
		for _, w := range want {
			if c, ok := byName[w]; ok {
				return choice{module: p, dist: display(c), resolved: true}
			}
		}
	}
	var ds []string
	for _, c := range cands {
		ds = append(ds, display(c))
	}
	module := match
	if q != match {
		// The index knows only the shared name: the import is one level below it.
		module = strings.Join(parts[:strings.Count(match, ".")+2], ".")
	}
	return choice{module: module, dist: ds[0], candidates: ds, bare: q == match}
}
