package osv

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/versions"
)

// LinkBase is where a record's Link points: osv.dev's page of the id, as PyPI links.
const LinkBase = "https://osv.dev/vulnerability/"

// BatchSize is the most records one import transaction writes, so that a large dump does
// not hold the database's single writer for long.
const BatchSize = 500

// Vulnerability is one record matched against a project version, in the shape PyPI's
// JSON API serves (see JSON).
type Vulnerability struct {
	ID        string
	Aliases   []string
	Summary   string
	Details   string
	FixedIn   []string // the versions that fix it, PEP 440 order
	Link      string
	Withdrawn *time.Time
	// Severity is the record's level; "" when it gives none.
	Severity checkreport.Severity
}

// Service matches against, and imports into, the OSV records of a metadata store.
type Service struct {
	store  metastore.Store
	limits Limits
}

// New returns the service over store; zero fields of lim take DefaultLimits.
func New(store metastore.Store, lim Limits) *Service {
	return &Service{store: store, limits: lim.withDefaults()}
}

// Match returns the records (withdrawn ones included, marked) that affect version of
// project, sorted by ID. project is normalized here; a version that is not PEP 440 is
// matched by nothing (the error wraps errs.ErrInvalid).
func (s *Service) Match(ctx context.Context, project, version string) ([]Vulnerability, error) {
	v, err := versions.Parse(version)
	if err != nil {
		return nil, err
	}
	project = names.Normalize(project)
	rows, err := s.store.ProjectVulns(ctx, project)
	if err != nil {
		return nil, fmt.Errorf("read the vulnerabilities of %s: %w", project, err)
	}
	out := []Vulnerability{}
	for _, row := range rows {
		var r Record
		if err := json.Unmarshal(row.Record, &r); err != nil {
			return nil, fmt.Errorf("stored vulnerability %s: %w", row.ID, err)
		}
		if !r.Affects(project, v) {
			continue
		}
		out = append(out, Vulnerability{
			ID: r.ID, Aliases: r.Aliases, Summary: r.Summary, Details: r.Details,
			FixedIn: r.FixedIn(project), Link: LinkBase + r.ID, Withdrawn: r.Withdrawn, Severity: r.Severity,
		})
	}
	return out, nil
}

// ImportStats counts what an import did.
type ImportStats struct {
	Files     int // record files read
	Added     int // records new to the database
	Updated   int // records replaced (modified or withdrawn since)
	Unchanged int // records stored already, as they are
	Ignored   int // records with no PyPI package (nothing to match)
	Withdrawn int // of the records read, those withdrawn
	// Invalid counts the invalid records skipped (ImportOptions.SkipInvalid), and
	// InvalidExamples names the first few with their errors.
	Invalid         int
	InvalidExamples []string
}

// ImportOptions tune an import.
type ImportOptions struct {
	// SkipInvalid skips invalid records (counting them) instead of refusing the dump:
	// for a large public dump in which one old record is malformed. The bounds on sizes
	// and counts still stop the import.
	SkipInvalid bool
}

// maxInvalidExamples is how many skipped records ImportStats names.
const maxInvalidExamples = 5

// Import loads the records of src, a zip (the OSV dump all.zip) or a folder of *.json
// records. Every record is parsed first: an invalid one is an error naming its file, and
// then nothing is stored. The records are then written by ID, replacing those stored, in
// transactions of at most BatchSize records; a failure there leaves the batches before it
// stored (each record whole) and the error says how many, and importing again finishes.
func (s *Service) Import(ctx context.Context, src string) (ImportStats, error) {
	return s.ImportWith(ctx, src, ImportOptions{})
}

// ImportWith is Import with options.
func (s *Service) ImportWith(ctx context.Context, src string, opts ImportOptions) (ImportStats, error) {
	var st ImportStats
	if err := walkRecords(ctx, src, s.limits, func(name string, data []byte) error {
		st.Files++
		if _, err := Parse(data); err != nil {
			if !opts.SkipInvalid {
				return fmt.Errorf("%s: %w", name, err)
			}
			if st.Invalid++; len(st.InvalidExamples) < maxInvalidExamples {
				st.InvalidExamples = append(st.InvalidExamples, fmt.Sprintf("%s: %v", name, err))
			}
		}
		return nil
	}); err != nil {
		return ImportStats{}, err
	}
	var batch []metastore.Vuln
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var add, upd, same int
		err := s.store.InTx(ctx, func(tx metastore.Tx) error {
			add, upd, same = 0, 0, 0
			for i := range batch {
				added, changed, err := tx.PutVuln(ctx, &batch[i])
				if err != nil {
					return fmt.Errorf("store %s: %w", batch[i].ID, err)
				}
				switch {
				case added:
					add++
				case changed:
					upd++
				default:
					same++
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("%d records stored before the failure: %w", st.Added+st.Updated+st.Unchanged, err)
		}
		st.Added, st.Updated, st.Unchanged = st.Added+add, st.Updated+upd, st.Unchanged+same
		batch = batch[:0]
		return nil
	}
	files := 0
	err := walkRecords(ctx, src, s.limits, func(name string, data []byte) error {
		if files++; files > st.Files {
			return fmt.Errorf("%s changed during the import (more records than at first): %w", src, errs.ErrConflict)
		}
		r, err := Parse(data)
		if err != nil {
			if opts.SkipInvalid {
				return nil // counted by the first pass
			}
			return fmt.Errorf("%s: %w", name, err) // changed since the first pass
		}
		if r.Withdrawn != nil {
			st.Withdrawn++
		}
		if len(r.Affected) == 0 {
			st.Ignored++
			return nil
		}
		body, err := json.Marshal(r)
		if err != nil {
			return err
		}
		batch = append(batch, metastore.Vuln{ID: r.ID, Modified: r.Modified, Withdrawn: r.Withdrawn, Projects: r.Projects(), Record: body})
		if len(batch) >= BatchSize {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return st, err
}

// Findings turns matched vulnerabilities into findings of the vulns step: one per record
// not withdrawn, of kind vulnerability, at the record's severity (medium when it gives
// none).
func Findings(vulns []Vulnerability) []checkreport.Finding {
	var out []checkreport.Finding
	for _, v := range vulns {
		if v.Withdrawn != nil {
			continue
		}
		sev := v.Severity
		if sev.Rank() < 0 {
			sev = checkreport.Medium
		}
		detail := v.ID
		if len(v.Aliases) > 0 {
			detail += " (" + strings.Join(v.Aliases, ", ") + ")"
		}
		if v.Summary != "" {
			detail += ": " + v.Summary
		}
		if len(v.FixedIn) > 0 {
			detail += "; fixed in " + strings.Join(v.FixedIn, ", ")
		} else {
			detail += "; no fixed version"
		}
		out = append(out, checkreport.Finding{Task: checkreport.StepVulns, Kind: checkreport.Vulnerability, Severity: sev, Detail: detail})
	}
	return out
}

// FileFindings is the vulns step for one distribution file: the findings (see Findings) of
// the records affecting the project and version its name gives. When the database holds
// no record at all, the one finding is an info one saying so, so that a report never
// reads "no known vulnerability" from a database nobody loaded. A file name that is not a
// distribution's is an error wrapping errs.ErrInvalid.
func (s *Service) FileFindings(ctx context.Context, filename string) ([]checkreport.Finding, error) {
	d, err := filenames.Parse(filename)
	if err != nil {
		return nil, err
	}
	n, err := s.store.VulnCount(ctx)
	if err != nil {
		return nil, fmt.Errorf("count the vulnerability records: %w", err)
	}
	if n == 0 {
		return []checkreport.Finding{{Task: checkreport.StepVulns, Kind: checkreport.Vulnerability, Severity: checkreport.Info,
			Detail: "the local OSV database is empty, nothing was matched (load it with 'pydepot osv import')"}}, nil
	}
	vulns, err := s.Match(ctx, d.Project(), d.Version.String())
	if err != nil {
		return nil, err
	}
	return Findings(vulns), nil
}

// JSON is one entry of `vulnerabilities` in PyPI's JSON API.
type JSON struct {
	ID        string   `json:"id"`
	Aliases   []string `json:"aliases"`
	Link      string   `json:"link"`
	Source    string   `json:"source"`
	Summary   *string  `json:"summary"`
	Details   string   `json:"details"`
	FixedIn   []string `json:"fixed_in"`
	Withdrawn *string  `json:"withdrawn"`
}

// ToJSON gives vulns in the JSON API's shape (lists never null, as on PyPI).
func ToJSON(vulns []Vulnerability) []JSON {
	out := make([]JSON, 0, len(vulns))
	for _, v := range vulns {
		j := JSON{ID: v.ID, Aliases: v.Aliases, Link: v.Link, Source: "osv", Details: v.Details, FixedIn: v.FixedIn}
		if j.Aliases == nil {
			j.Aliases = []string{}
		}
		if j.FixedIn == nil {
			j.FixedIn = []string{}
		}
		if v.Summary != "" {
			s := v.Summary
			j.Summary = &s
		}
		if v.Withdrawn != nil {
			w := v.Withdrawn.UTC().Format(time.RFC3339)
			j.Withdrawn = &w
		}
		out = append(out, j)
	}
	return out
}
