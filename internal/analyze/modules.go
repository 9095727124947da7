package analyze

import (
	"context"
	"strings"

	"github.com/pydepot/pydepot/internal/pysource"
)

// MapModules maps a list of import names (the "modules" of a cctools JSON: top-level
// or dotted names such as walt.client) to distributions by the rules Run applies to
// the imports of sources: the target's standard library and __main__ are dropped;
// then --pkg-mapping (o.Mappings), the index (or the installed environment with
// o.Pin), the built-in table and, last, the name itself (reported under
// Unresolved). When several projects provide a name and no rule chooses one, the
// first is taken and the name is listed under Unresolved with its Candidates. Only
// the options about mapping are read (Target or Python, Mappings, Extra, Index,
// Table, Pin, Logger); Sources and Local stay empty.
func MapModules(ctx context.Context, modules []string, o Options) (*Result, error) {
	log, version, std, table, err := prepare(o)
	if err != nil {
		return nil, err
	}
	res := &Result{Python: version}
	required := map[string]bool{}
	queries := map[string]map[string]bool{}
	var dropped []string
	for _, m := range modules {
		if std.Contains(m) || m == "__main__" {
			dropped = append(dropped, m)
			continue
		}
		if !validModule(m) {
			log.Warn("ignoring a module that is not a module name", "name", m)
			continue
		}
		imp := pysource.Import{Module: m}
		for _, key := range table.Key(m, nil) {
			required[key] = true
			if queries[key] == nil {
				queries[key] = map[string]bool{}
			}
			for _, q := range queryNames(key, imp) {
				queries[key][q] = true
			}
		}
	}
	if len(dropped) > 0 {
		log.Info("modules of the standard library need no distribution", "python", std.Version(), "modules", strings.Join(dropped, ", "))
	}
	if err := mapImports(ctx, o, table, log, required, map[string]bool{}, queries, res); err != nil {
		return nil, err
	}
	return res, nil
}
