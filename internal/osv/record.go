package osv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/versions"
)

// Ecosystem is the OSV ecosystem name of PyPI.
const Ecosystem = "PyPI"

// Caps inside one record. A real record has a few affected entries, a few ranges of two
// or three events and at most a few thousand versions; these are far above that and keep
// one record's evaluation linear in its size.
const (
	MaxAffected = 1000
	MaxRanges   = 1000
	MaxEvents   = 10_000
	MaxVersions = 100_000
	MaxAliases  = 1000
	maxIDLen    = 128
)

// Event kinds of an ECOSYSTEM range.
const (
	Introduced   = "introduced"
	Fixed        = "fixed"
	LastAffected = "last_affected"
	Limit        = "limit"
)

// Record is a parsed OSV record as the database keeps it (its JSON form is what the store
// holds).
type Record struct {
	ID        string     `json:"id"`
	Modified  time.Time  `json:"modified"`
	Withdrawn *time.Time `json:"withdrawn,omitempty"`
	Aliases   []string   `json:"aliases,omitempty"`
	Summary   string     `json:"summary,omitempty"`
	Details   string     `json:"details,omitempty"`
	// Severity is the record's level when it gives one (see severityOf); "" otherwise.
	Severity checkreport.Severity `json:"severity,omitempty"`
	// Affected holds the PyPI entries only.
	Affected []Affected `json:"affected"`
}

// Affected is one affected PyPI package of a record.
type Affected struct {
	Package string  `json:"package"` // PEP 503 normalized
	Ranges  []Range `json:"ranges,omitempty"`
	// Versions are the record's explicit versions as keys (see versionKey), each
	// followed by a space and the first preceded by one (" 1 1.1 2.0rc1 "), so that
	// matching is one substring search and reading a stored record decodes one string,
	// not thousands. Versions that are not PEP 440 (legacy releases) are dropped: no file
	// of this index has them.
	Versions string `json:"versions,omitempty"`
}

// Range is one ECOSYSTEM range, its events in PEP 440 order.
type Range struct {
	Events []Event `json:"events"`
}

// Event is one event of a range: Kind is Introduced, Fixed, LastAffected or Limit;
// Version is canonical PEP 440, or "0" for an introduced at the very start.
type Event struct {
	Kind    string `json:"kind"`
	Version string `json:"version"`
}

// ListedVersions returns the keys of the entry's explicit versions.
func (a *Affected) ListedVersions() []string { return strings.Fields(a.Versions) }

// Projects returns the normalized names of the packages the record affects, sorted, once
// each.
func (r *Record) Projects() []string {
	var out []string
	for _, a := range r.Affected {
		out = append(out, a.Package)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// raw is the part of the OSV schema that is read.
type raw struct {
	ID        string          `json:"id"`
	Modified  string          `json:"modified"`
	Withdrawn string          `json:"withdrawn"`
	Aliases   []string        `json:"aliases"`
	Summary   string          `json:"summary"`
	Details   string          `json:"details"`
	Severity  []rawSeverity   `json:"severity"`
	Affected  []rawAffected   `json:"affected"`
	DBSpec    json.RawMessage `json:"database_specific"`
}

type rawSeverity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

type rawAffected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
	} `json:"package"`
	Ranges   []rawRange      `json:"ranges"`
	Versions []string        `json:"versions"`
	Severity []rawSeverity   `json:"severity"`
	DBSpec   json.RawMessage `json:"database_specific"`
	EcoSpec  json.RawMessage `json:"ecosystem_specific"`
}

type rawRange struct {
	Type   string              `json:"type"`
	Events []map[string]string `json:"events"`
}

func invalidf(format string, a ...any) error {
	return fmt.Errorf(format+": %w", append(a, errs.ErrInvalid)...)
}

// Parse parses one OSV record. It keeps the PyPI entries and their ECOSYSTEM ranges; a
// record with no PyPI entry parses with an empty Affected. Errors wrap errs.ErrInvalid
// and say what is wrong (the caller names the file).
func Parse(data []byte) (*Record, error) {
	var in raw
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&in); err != nil {
		return nil, invalidf("not an OSV record: %v", err)
	}
	if dec.More() {
		return nil, invalidf("not an OSV record: data after the JSON object")
	}
	if err := checkID(in.ID); err != nil {
		return nil, err
	}
	r := &Record{ID: in.ID, Summary: in.Summary, Details: in.Details}
	var err error
	if in.Modified != "" {
		if r.Modified, err = parseTime(in.Modified); err != nil {
			return nil, invalidf("%s: modified: %v", in.ID, err)
		}
	}
	if in.Withdrawn != "" {
		w, err := parseTime(in.Withdrawn)
		if err != nil {
			return nil, invalidf("%s: withdrawn: %v", in.ID, err)
		}
		r.Withdrawn = &w
	}
	if len(in.Aliases) > MaxAliases {
		return nil, invalidf("%s: %d aliases, over the limit of %d", in.ID, len(in.Aliases), MaxAliases)
	}
	r.Aliases = in.Aliases
	if len(in.Affected) > MaxAffected {
		return nil, invalidf("%s: %d affected entries, over the limit of %d", in.ID, len(in.Affected), MaxAffected)
	}
	sevs := [][]rawSeverity{in.Severity}
	specs := []json.RawMessage{in.DBSpec}
	for i := range in.Affected {
		a, keep, err := parseAffected(&in.Affected[i])
		if err != nil {
			return nil, fmt.Errorf("%s: affected[%d]: %w", in.ID, i, err)
		}
		if keep {
			r.Affected = append(r.Affected, a)
			sevs = append(sevs, in.Affected[i].Severity)
			specs = append(specs, in.Affected[i].DBSpec, in.Affected[i].EcoSpec)
		}
	}
	r.Severity = severityOf(r.ID, specs, sevs)
	return r, nil
}

// checkID accepts the OSV id shape (PYSEC-2021-1, GHSA-xxxx-xxxx-xxxx, MAL-2024-1): it
// goes into URLs and file names, so only letters, digits and "-_.:" are allowed.
func checkID(id string) error {
	if id == "" {
		return invalidf("the record has no id")
	}
	if len(id) > maxIDLen {
		return invalidf("id %.40q... is over %d bytes", id, maxIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.:", c) >= 0) {
			return invalidf("id %q holds %q: an OSV id is letters, digits and -_.:", id, c)
		}
	}
	return nil
}

// parseTime reads an RFC 3339 time (OSV writes them in UTC, "Z").
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

// parseAffected converts one affected entry; keep is false for another ecosystem.
func parseAffected(in *rawAffected) (a Affected, keep bool, err error) {
	// The schema allows "PyPI:suffix" for variants of an ecosystem; PyPI has none, but
	// the prefix is what names it.
	eco, _, _ := strings.Cut(in.Package.Ecosystem, ":")
	if eco != Ecosystem {
		return Affected{}, false, nil
	}
	if !names.Valid(in.Package.Name) {
		return Affected{}, false, invalidf("package name %q is not a valid project name", in.Package.Name)
	}
	a.Package = names.Normalize(in.Package.Name)
	if len(in.Ranges) > MaxRanges {
		return Affected{}, false, invalidf("%d ranges, over the limit of %d", len(in.Ranges), MaxRanges)
	}
	if len(in.Versions) > MaxVersions {
		return Affected{}, false, invalidf("%d versions, over the limit of %d", len(in.Versions), MaxVersions)
	}
	var keys strings.Builder
	for _, s := range in.Versions {
		if v, err := versions.Parse(s); err == nil {
			keys.WriteByte(' ')
			keys.WriteString(versionKey(v))
		}
	}
	if keys.Len() > 0 {
		keys.WriteByte(' ')
		a.Versions = keys.String()
	}
	for j, rr := range in.Ranges {
		if rr.Type != "ECOSYSTEM" {
			continue
		}
		rg, err := parseRange(rr)
		if err != nil {
			return Affected{}, false, fmt.Errorf("ranges[%d]: %w", j, err)
		}
		a.Ranges = append(a.Ranges, rg)
	}
	return a, true, nil
}

// parseRange checks and sorts the events of an ECOSYSTEM range.
func parseRange(rr rawRange) (Range, error) {
	if len(rr.Events) > MaxEvents {
		return Range{}, invalidf("%d events, over the limit of %d", len(rr.Events), MaxEvents)
	}
	type keyed struct {
		Event
		v versions.Version // zero for "0"
	}
	evs := make([]keyed, 0, len(rr.Events))
	introduced := false
	for k, e := range rr.Events {
		if len(e) != 1 {
			return Range{}, invalidf("events[%d] has %d keys, want one of introduced, fixed, last_affected, limit", k, len(e))
		}
		for kind, s := range e {
			switch kind {
			case Introduced, Fixed, LastAffected, Limit:
			default:
				return Range{}, invalidf("events[%d]: unknown event %q", k, kind)
			}
			ev := keyed{Event: Event{Kind: kind, Version: s}}
			if kind == Introduced && s == "0" {
				introduced = true
				evs = append(evs, ev)
				continue
			}
			if kind == Limit && s == "*" {
				continue // the schema's "no limit"
			}
			v, err := versions.Parse(s)
			if err != nil {
				return Range{}, invalidf("events[%d]: %s %q is not a PEP 440 version", k, kind, s)
			}
			ev.v, ev.Version = v, v.String()
			introduced = introduced || kind == Introduced
			evs = append(evs, ev)
		}
	}
	if !introduced {
		return Range{}, invalidf("the range has no introduced event")
	}
	// PEP 440 order; "0" (the zero Version) first. At one version an introduced comes
	// first, so that introduced X, fixed X is the empty range and introduced X,
	// last_affected X holds X alone.
	slices.SortStableFunc(evs, func(a, b keyed) int {
		if c := a.v.Compare(b.v); c != 0 {
			return c
		}
		return kindRank(a.Kind) - kindRank(b.Kind)
	})
	out := Range{Events: make([]Event, len(evs))}
	for i, e := range evs {
		out.Events[i] = e.Event
	}
	return out, nil
}

func kindRank(kind string) int {
	if kind == Introduced {
		return 0
	}
	return 1
}
