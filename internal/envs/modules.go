package envs

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pydepot/pydepot/internal/analyze"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/stdlib"
)

// mapModules turns the import names of a cctools JSON ("modules") into requirements
// when it has no "requirements", by analyze's rules (analyze.MapModules: the target
// interpreter's standard library is dropped, then the index's import lookup, the
// built-in table, the name itself; several candidates are reported). When the JSON
// has both lists, the requirements are used, and a disagreement between the two is
// reported.
func (c *creator) mapModules(ctx context.Context) error {
	s := c.spec
	if len(s.Modules) == 0 {
		return nil
	}
	std, err := c.stdlib()
	if err != nil {
		return err
	}
	var ix analyze.Index
	if len(c.urls) > 0 {
		if h, err := analyze.NewHTTPIndex(withToken(c.urls[0], c.o.Index.Token), "", c.hc); err == nil {
			ix = h
		}
	}
	mapped, err := analyze.MapModules(ctx, s.Modules, analyze.Options{Python: std.Version(), Index: ix, Logger: c.log})
	if err != nil {
		return fmt.Errorf("spec %s: modules: %w", s.Source, err)
	}
	var reqs []requirements.Requirement
	for _, d := range mapped.Requirements {
		r, err := requirements.Parse(d)
		if err != nil {
			return fmt.Errorf("spec %s: module mapped to %q: %w", s.Source, d, err)
		}
		reqs = append(reqs, r)
	}
	if !s.ModulesOnly {
		var reqNames, mappedNames []string
		for _, r := range s.Requirements {
			reqNames = append(reqNames, r.NormalizedName())
		}
		for _, r := range reqs {
			mappedNames = append(mappedNames, r.NormalizedName())
		}
		onlyMods, onlyReqs := sortedDiff(mappedNames, reqNames), sortedDiff(reqNames, mappedNames)
		if len(onlyMods) > 0 || len(onlyReqs) > 0 {
			c.log.Warn("the spec's modules and requirements disagree; using its requirements",
				"spec", s.Source, "modules_not_required", strings.Join(onlyMods, ", "), "required_not_imported", strings.Join(onlyReqs, ", "))
		}
		return nil
	}
	s.Requirements = append(slices.Clip(s.Requirements), reqs...)
	c.log.Info("modules mapped to distributions", "modules", strings.Join(s.Modules, ", "), "requirements", strings.Join(mapped.Requirements, ", "))
	return nil
}

// stdlib returns the standard library of the target interpreter; for a version that
// internal/stdlib has no list of, the nearest list it has (logged).
func (c *creator) stdlib() (*stdlib.Set, error) {
	std, err := stdlib.For(c.in.Version)
	if err == nil {
		return std, nil
	}
	known := stdlib.Versions()
	if len(known) == 0 {
		return nil, err
	}
	want := minorOf(c.in.MajorMinor())
	best := known[0]
	for _, k := range known {
		if abs(minorOf(k)-want) < abs(minorOf(best)-want) {
			best = k
		}
	}
	c.log.Warn("no standard library list for this Python; using the nearest one", "python", c.in.Version, "list", best)
	return stdlib.For(best)
}

func minorOf(v string) int {
	_, m, _ := strings.Cut(v, ".")
	m, _, _ = strings.Cut(m, ".")
	n, _ := strconv.Atoi(m)
	return n
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// withToken puts the API token into an index URL as analyze.NewHTTPIndex reads
// credentials (HTTP Basic __token__), unless the URL carries its own.
func withToken(raw, token string) string {
	u, err := url.Parse(raw)
	if err != nil || token == "" || u.User != nil {
		return raw
	}
	u.User = url.UserPassword("__token__", token)
	return u.String()
}
