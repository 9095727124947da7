package osv

import (
	"slices"
	"strconv"
	"strings"

	"github.com/pydepot/pydepot/internal/versions"
)

// Affects reports whether version v of project (normalized) is affected by the record:
// one of the record's entries for project lists v or has a range that includes it.
// Withdrawn records are matched like the others; callers decide what withdrawn means.
func (r *Record) Affects(project string, v versions.Version) bool {
	k := versionKey(v)
	for i := range r.Affected {
		a := &r.Affected[i]
		if a.Package == project && a.includes(v, k) {
			return true
		}
	}
	return false
}

// FixedIn returns the versions that fix the record for project, in PEP 440 order, once
// each: the fixed events of its ranges, as PyPI's JSON API gives them.
func (r *Record) FixedIn(project string) []string {
	var fixed []versions.Version
	for _, a := range r.Affected {
		if a.Package != project {
			continue
		}
		for _, rg := range a.Ranges {
			for _, e := range rg.Events {
				if e.Kind != Fixed {
					continue
				}
				if v, err := versions.Parse(e.Version); err == nil {
					fixed = append(fixed, v)
				}
			}
		}
	}
	sortVersions(fixed)
	out := make([]string, 0, len(fixed))
	for i, v := range fixed {
		if i == 0 || !v.Equal(fixed[i-1]) {
			out = append(out, v.String())
		}
	}
	return out
}

func (a *Affected) includes(v versions.Version, key string) bool {
	if a.Versions != "" && strings.Contains(a.Versions, " "+key+" ") {
		return true
	}
	for _, rg := range a.Ranges {
		if rg.Includes(v) {
			return true
		}
	}
	return false
}

// Includes evaluates an ECOSYSTEM range as the OSV schema does: walking the events in
// PEP 440 order, an introduced at or below v makes it affected, a fixed at or below v or
// a last_affected below v makes it not; and when the range has limit events, v must be
// below one of them.
func (rg Range) Includes(v versions.Version) bool {
	affected, limited, belowLimit := false, false, false
	for _, e := range rg.Events {
		var ev versions.Version
		if e.Version != "0" || e.Kind != Introduced {
			var err error
			if ev, err = versions.Parse(e.Version); err != nil {
				continue // Parse checked every event; a stored record is not edited by hand
			}
		}
		switch e.Kind {
		case Introduced:
			if ev.IsZero() || v.Compare(ev) >= 0 {
				affected = true
			}
		case Fixed:
			if v.Compare(ev) >= 0 {
				affected = false
			}
		case LastAffected:
			if v.Compare(ev) > 0 {
				affected = false
			}
		case Limit:
			limited = true
			if v.Compare(ev) < 0 {
				belowLimit = true
			}
		}
	}
	return affected && (!limited || belowLimit)
}

// versionKey is a string equal for two versions exactly when PEP 440 says they are equal
// (trailing zeros of the release dropped: "1.0" and "1.0.0" have one key), so that the
// explicit versions lists are matched by string comparison.
func versionKey(v versions.Version) string {
	var b strings.Builder
	if e := v.Epoch(); e != 0 {
		b.WriteString(strconv.Itoa(e))
		b.WriteByte('!')
	}
	rel := v.Release()
	for len(rel) > 1 && rel[len(rel)-1] == 0 {
		rel = rel[:len(rel)-1]
	}
	for i, n := range rel {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(n))
	}
	if l, n := v.Pre(); l != "" {
		b.WriteString(l)
		b.WriteString(strconv.Itoa(n))
	}
	if n, ok := v.Post(); ok {
		b.WriteString(".post")
		b.WriteString(strconv.Itoa(n))
	}
	if n, ok := v.Dev(); ok {
		b.WriteString(".dev")
		b.WriteString(strconv.Itoa(n))
	}
	if l := v.Local(); l != "" {
		b.WriteByte('+')
		b.WriteString(l)
	}
	return b.String()
}

func sortVersions(vs []versions.Version) {
	slices.SortFunc(vs, versions.Version.Compare)
}
