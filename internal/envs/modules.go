package envs

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pydepot/pydepot/internal/analyze"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/stdlib"
)

// mapModules turns the import names of a cctools JSON ("modules") into requirements
// when it has no "requirements": the target interpreter's standard library is dropped,
// and the others are mapped as pydepot analyze maps them (the index's import lookup,
// then analyze's built-in table, then the name itself). When the JSON has both lists,
// the requirements are used, and a disagreement between the two is reported.
func (c *creator) mapModules(ctx context.Context) error {
	s := c.spec
	if len(s.Modules) == 0 {
		return nil
	}
	std, err := c.stdlib()
	if err != nil {
		return err
	}
	table := analyze.BuiltinTable()
	var ix analyze.Index
	if len(c.urls) > 0 {
		if h, err := analyze.NewHTTPIndex(withToken(c.urls[0], c.o.Index.Token), c.hc); err == nil {
			ix = h
		}
	}
	var dists, dropped, guessed []string
	seen := map[string]bool{}
	indexDown := false
	for _, m := range s.Modules {
		if std.Contains(m) || m == "__main__" {
			dropped = append(dropped, m)
			continue
		}
		for _, key := range table.Key(m, nil) {
			dist, confirmed := "", false
			if ix != nil && !indexDown {
				// the index finds the longest dotted prefix it knows (walt.client)
				q := key
				if strings.Count(m, ".") > strings.Count(key, ".") {
					q = m
				}
				_, cands, err := ix.ImportCandidates(ctx, q)
				switch {
				case err != nil:
					c.log.Warn("the index cannot say which project provides an import; using the built-in table", "module", key, "error", err)
					indexDown = true
				case len(cands) > 0:
					dist, confirmed = pickCandidate(q, cands, table), true
					if len(cands) > 1 {
						c.log.Info("several projects provide an import", "module", key, "candidates", strings.Join(cands, ", "), "chosen", dist)
					}
				}
			}
			if dist == "" {
				dist, confirmed = table.Lookup(key)
			}
			if dist == "" {
				dist = strings.ReplaceAll(key, ".", "-")
			}
			if !confirmed {
				guessed = append(guessed, key)
			}
			if n := names.Normalize(dist); !seen[n] {
				seen[n] = true
				dists = append(dists, dist)
			}
		}
	}
	if len(dropped) > 0 {
		c.log.Info("modules of the standard library need no distribution", "python", std.Version(), "modules", strings.Join(dropped, ", "))
	}
	if len(guessed) > 0 {
		c.log.Info("no mapping confirmed these imports; their distribution names are guesses", "imports", strings.Join(guessed, ", "))
	}
	if !s.ModulesOnly {
		var reqNames, mapped []string
		for _, r := range s.Requirements {
			reqNames = append(reqNames, r.NormalizedName())
		}
		for _, d := range dists {
			mapped = append(mapped, names.Normalize(d))
		}
		onlyMods, onlyReqs := sortedDiff(mapped, reqNames), sortedDiff(reqNames, mapped)
		if len(onlyMods) > 0 || len(onlyReqs) > 0 {
			c.log.Warn("the spec's modules and requirements disagree; using its requirements",
				"spec", s.Source, "modules_not_required", strings.Join(onlyMods, ", "), "required_not_imported", strings.Join(onlyReqs, ", "))
		}
		return nil
	}
	s.Requirements = slices.Clip(s.Requirements)
	for _, d := range dists {
		r, err := requirements.Parse(d)
		if err != nil {
			return fmt.Errorf("spec %s: module mapped to %q: %w", s.Source, d, err)
		}
		s.Requirements = append(s.Requirements, r)
	}
	c.log.Info("modules mapped to distributions", "modules", strings.Join(s.Modules, ", "), "requirements", strings.Join(dists, ", "))
	return nil
}

// pickCandidate chooses among the projects that provide an import as analyze does: the
// one named like the import or one of its dotted prefixes (walt.client -> walt-client),
// or like the built-in table's answer for them, else the first (logged by the caller).
func pickCandidate(q string, cands []string, table *analyze.Table) string {
	var want []string
	parts := strings.Split(q, ".")
	for i := len(parts); i > 0; i-- {
		p := strings.Join(parts[:i], ".")
		want = append(want, names.Normalize(strings.ReplaceAll(p, ".", "-")))
		if d, ok := table.Lookup(p); ok {
			want = append(want, names.Normalize(d))
		}
	}
	for _, w := range want {
		for _, c := range cands {
			if names.Normalize(c) == w {
				return c
			}
		}
	}
	return cands[0]
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
