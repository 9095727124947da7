package index

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/names"
)

// Merged views and the dependency-confusion guard.
//
// A distribution may serve an ordered list of sources (devpi's bases, Artifactory's
// virtual repositories). One rule decides what it serves, here and nowhere else; the
// project list, project pages (simple and PyPI JSON), file serving and import lookups all
// go through it:
//
//   - The first source that KNOWS a project owns it: a source knows a project when some
//     version of its repository up to the one served held files of that name (it keeps
//     the name after the files are removed). The owner's files are served, and the
//     project is hidden entirely in every later source. So an internal name can never be
//     replaced by a public one: put the hosted repository first, and an upstream's
//     acme-utils 99.0 is not even listed beside the internal acme-utils 1.0, nor after
//     the internal one's files are removed; a pull-through later in the list never asks
//     its upstream for a name an earlier source knows.
//   - A project on the distribution's AllowShadow list is merged instead: the files of
//     every source that holds it, the earlier source's winning for a filename both hold.
//
// Serials. Repository serials come from one counter shared by every repository, so each
// change of any source gets a serial higher than every serial before it. A merged
// project's serial is the highest serial of the project in the sources that own it (for
// a merged name, every source that knows it): any change to what is served raises it.
// The project list's serial is the highest of the sources' own. Both only move back when
// the distribution itself is changed (a pin moved back, sources replaced), as a plain
// distribution's do when repinned.

// Source is one source of a merged view.
type Source struct {
	Repository string
	Pinned     *int // nil serves the latest version
	// PullThrough names the remote this source fetches projects from when they are first
	// asked for (into Repository), refreshed after TTL; "" serves Repository as it is.
	PullThrough string
	TTL         time.Duration
}

// Bounds of a merged view.
const (
	MaxSources     = 8
	MaxAllowShadow = 1000
	// DefaultPullTTL is how long a pulled project page is served before it is refreshed
	// from the upstream; MinPullTTL and MaxPullTTL bound what may be asked.
	DefaultPullTTL = 10 * time.Minute
	MinPullTTL     = time.Second
	MaxPullTTL     = 30 * 24 * time.Hour
)

// viewSource is a source resolved to the repository row and version served.
type viewSource struct {
	Source
	repoID  int64
	version int
}

// srcsOut converts stored sources.
func srcsOut(ss []metastore.DistributionSource) []Source {
	if ss == nil {
		return nil
	}
	out := make([]Source, len(ss))
	for i, s := range ss {
		out[i] = Source{Repository: s.Repository, PullThrough: s.PullRemote, TTL: s.PullTTL}
		if s.Pinned != nil {
			p := *s.Pinned
			out[i].Pinned = &p
		}
	}
	return out
}

// checkSources validates and normalizes the sources and allow-shadow list of d inside tx,
// returning the rows to store: nil sources for a distribution of one plain repository.
// d.Repository and d.Pinned become the first source's. A pull-through source whose
// repository does not exist gets it created, which needs a token that may create
// repositories. by must be admin on every source's repository.
func (s *Service) checkSources(ctx context.Context, tx metastore.Tx, by *Token, d *Distribution) ([]metastore.DistributionSource, []string, error) {
	if len(d.Sources) == 0 {
		if len(d.AllowShadow) > 0 {
			return nil, nil, fmt.Errorf("an allow-shadow list needs a distribution of several sources: %w", errs.ErrInvalid)
		}
		d.Sources, d.AllowShadow = nil, nil
		return nil, nil, nil
	}
	if len(d.Sources) > MaxSources {
		return nil, nil, fmt.Errorf("%d sources, at most %d: %w", len(d.Sources), MaxSources, errs.ErrInvalid)
	}
	if d.Repository != "" && d.Repository != d.Sources[0].Repository {
		return nil, nil, fmt.Errorf("repository %s is not the first source (%s): give one or the other: %w", d.Repository, d.Sources[0].Repository, errs.ErrInvalid)
	}
	rows := make([]metastore.DistributionSource, len(d.Sources))
	pull := false
	for i := range d.Sources {
		src := &d.Sources[i]
		for j := range i {
			if d.Sources[j].Repository == src.Repository {
				return nil, nil, fmt.Errorf("repository %s is given twice as a source: %w", src.Repository, errs.ErrInvalid)
			}
		}
		if src.PullThrough != "" {
			pull = true
			if !validName(src.PullThrough) {
				return nil, nil, fmt.Errorf("pull-through remote %q: not a remote name: %w", src.PullThrough, errs.ErrInvalid)
			}
			if src.TTL == 0 {
				src.TTL = DefaultPullTTL
			}
			if src.TTL < MinPullTTL || src.TTL > MaxPullTTL {
				return nil, nil, fmt.Errorf("pull-through TTL %s: must be between %s and %s: %w", src.TTL, MinPullTTL, MaxPullTTL, errs.ErrInvalid)
			}
			if src.Pinned != nil {
				return nil, nil, fmt.Errorf("pull-through source %s cannot be pinned: it changes as projects are pulled: %w", src.Repository, errs.ErrInvalid)
			}
			if rc, ok := s.refresher.(RemoteChecker); ok {
				if err := rc.CheckRemote(ctx, src.PullThrough); err != nil {
					return nil, nil, fmt.Errorf("pull-through from remote %s: %w", src.PullThrough, err)
				}
			}
			if err := s.ensurePullRepository(ctx, tx, by, src.Repository); err != nil {
				return nil, nil, err
			}
		} else if src.TTL != 0 {
			return nil, nil, fmt.Errorf("source %s: a TTL is for pull-through sources: %w", src.Repository, errs.ErrInvalid)
		}
		if err := mayAdminister(by, src.Repository); err != nil {
			return nil, nil, err
		}
		r, err := checkTarget(ctx, tx, Distribution{Repository: src.Repository, Pinned: src.Pinned})
		if err != nil {
			return nil, nil, fmt.Errorf("source %d: %w", i+1, err)
		}
		rows[i] = metastore.DistributionSource{RepositoryID: r.ID, Repository: r.Name, Pinned: src.Pinned, PullRemote: src.PullThrough, PullTTL: src.TTL}
	}
	d.Repository, d.Pinned = d.Sources[0].Repository, d.Sources[0].Pinned
	if len(d.Sources) == 1 && !pull {
		if len(d.AllowShadow) > 0 {
			return nil, nil, fmt.Errorf("an allow-shadow list needs a distribution of several sources: %w", errs.ErrInvalid)
		}
		d.Sources, d.AllowShadow = nil, nil
		return nil, nil, nil
	}
	if len(d.AllowShadow) > MaxAllowShadow {
		return nil, nil, fmt.Errorf("%d allow-shadow names, at most %d: %w", len(d.AllowShadow), MaxAllowShadow, errs.ErrInvalid)
	}
	var allow []string
	for _, n := range d.AllowShadow {
		if !names.Valid(n) {
			return nil, nil, fmt.Errorf("allow-shadow %q: not a project name: %w", n, errs.ErrInvalid)
		}
		allow = append(allow, names.Normalize(n))
	}
	slices.Sort(allow)
	d.AllowShadow = slices.Compact(allow)
	return rows, d.AllowShadow, nil
}

// ensurePullRepository creates the repository a pull-through fills when it is missing.
func (s *Service) ensurePullRepository(ctx context.Context, tx metastore.Tx, by *Token, name string) error {
	if _, err := tx.Repository(ctx, name); !errors.Is(err, errs.ErrNotFound) {
		return err
	}
	if !ValidRepositoryName(name) {
		return fmt.Errorf("repository name %q: %w", name, errs.ErrInvalid)
	}
	if !Allowed(by, ActionAdminRepository, "") {
		return fmt.Errorf("repository %s does not exist, and token %q may not create it: %w", name, by.Name, errs.ErrForbidden)
	}
	_, err := tx.CreateRepository(ctx, name, "pulled through on request", s.now())
	return err
}

// resolve reads the repository and version of every source of d (d may be stale: the
// current rows are read).
func (s *Service) resolve(ctx context.Context, d *Distribution) ([]viewSource, error) {
	out := make([]viewSource, len(d.Sources))
	for i, src := range d.Sources {
		r, err := s.store.Repository(ctx, src.Repository)
		if err != nil {
			return nil, err
		}
		n := r.Latest
		if src.Pinned != nil {
			if *src.Pinned < 0 || *src.Pinned > r.Latest {
				return nil, fmt.Errorf("repository %s has no version %d: %w", r.Name, *src.Pinned, errs.ErrNotFound)
			}
			n = *src.Pinned
		}
		out[i] = viewSource{Source: src, repoID: r.ID, version: n}
	}
	return out, nil
}

// owners applies the rule to one project: the indexes of the sources whose files of
// project are served, with the project's highest serial among them (0 and none when no
// source knows it). Without an allow-shadow entry that is the first source that knows it.
func (s *Service) owners(ctx context.Context, d *Distribution, srcs []viewSource, project string) ([]int, int64, error) {
	allow := slices.Contains(d.AllowShadow, project)
	var out []int
	var serial int64
	for i, src := range srcs {
		ps, err := s.store.ProjectSerial(ctx, src.repoID, src.version, project)
		if err != nil {
			return nil, 0, err
		}
		if ps == 0 {
			continue
		}
		out, serial = append(out, i), max(serial, ps)
		if !allow {
			break
		}
	}
	return out, serial, nil
}

// mergedProjects is Projects for a merged view.
func (s *Service) mergedProjects(ctx context.Context, d *Distribution) ([]ProjectSummary, int64, error) {
	srcs, err := s.resolve(ctx, d)
	if err != nil {
		return nil, 0, err
	}
	claimed := map[string]int64{} // known by an earlier source, with its serial there
	at := map[string]int{}        // index in out
	var out []ProjectSummary
	var last int64
	for i, src := range srcs {
		ps, serial, err := s.store.Projects(ctx, src.repoID, src.version)
		if err != nil {
			return nil, 0, err
		}
		last = max(last, serial)
		for _, p := range ps {
			cs, isClaimed := claimed[p.Name]
			if isClaimed && !slices.Contains(d.AllowShadow, p.Name) {
				continue
			}
			if j, ok := at[p.Name]; ok {
				out[j].Serial = max(out[j].Serial, p.Serial)
				continue
			}
			at[p.Name] = len(out)
			out = append(out, ProjectSummary{Name: p.Name, DisplayName: p.DisplayName, Serial: max(p.Serial, cs)})
		}
		if i == len(srcs)-1 {
			break // nothing after the last source to hide
		}
		known, err := s.store.KnownProjects(ctx, src.repoID, src.version)
		if err != nil {
			return nil, 0, err
		}
		for _, k := range known {
			if _, ok := claimed[k.Name]; !ok {
				claimed[k.Name] = k.Serial
			}
			if j, ok := at[k.Name]; ok {
				out[j].Serial = max(out[j].Serial, k.Serial)
			}
		}
	}
	slices.SortFunc(out, func(a, b ProjectSummary) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out, last, nil
}

// mergedProject is Project for a merged view.
func (s *Service) mergedProject(ctx context.Context, d *Distribution, norm string) (*Project, error) {
	srcs, err := s.resolve(ctx, d)
	if err != nil {
		return nil, err
	}
	own, serial, err := s.owners(ctx, d, srcs, norm)
	if err != nil {
		return nil, err
	}
	if len(own) == 0 {
		return nil, fmt.Errorf("project %q: %w", norm, errs.ErrNotFound)
	}
	var out *Project
	seen := map[string]bool{}
	for _, i := range own {
		src := srcs[i]
		p, err := s.store.Project(ctx, src.repoID, src.version, norm)
		if errors.Is(err, errs.ErrNotFound) {
			continue // known, but none of its files in this version
		} else if err != nil {
			return nil, err
		}
		rows, err := s.store.ProjectFiles(ctx, src.repoID, src.version, norm)
		if err != nil {
			return nil, err
		}
		if rows, err = s.quarantine(ctx, d, src.repoID, norm, rows); err != nil {
			return nil, err
		}
		if out == nil {
			out = &Project{Name: p.Name, DisplayName: p.DisplayName, Status: p.Status, StatusReason: p.StatusReason}
		}
		for j := range rows {
			if !seen[rows[j].Filename] {
				seen[rows[j].Filename] = true
				out.Files = append(out.Files, fileOut(&rows[j]))
			}
		}
	}
	if out == nil {
		return nil, fmt.Errorf("project %q belongs to source %s, which serves none of its files (the later sources' project of that name stays hidden unless allowed to shadow it): %w",
			norm, srcs[own[0]].Repository, errs.ErrNotFound)
	}
	out.Serial = serial
	if out.Status == "" {
		out.Status = "active"
	}
	sortFiles(out.Files)
	for _, f := range out.Files {
		if len(out.Versions) == 0 || out.Versions[len(out.Versions)-1] != f.Version {
			out.Versions = append(out.Versions, f.Version)
		}
	}
	return out, nil
}

// mergedFileRow finds filename in a merged view: in the first source holding it, when
// that source owns the file's project.
func (s *Service) mergedFileRow(ctx context.Context, d *Distribution, filename string) (*metastore.File, error) {
	srcs, err := s.resolve(ctx, d)
	if err != nil {
		return nil, err
	}
	for i, src := range srcs {
		f, err := s.store.FileAt(ctx, src.repoID, src.version, filename)
		if errors.Is(err, errs.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		own, _, err := s.owners(ctx, d, srcs, f.Project)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(own, i) {
			break // hidden: an earlier source owns the project
		}
		return f, s.mayServe(ctx, d, f)
	}
	return nil, fmt.Errorf("file %q: %w", filename, errs.ErrNotFound)
}

// mergedImportProviders is ImportProviders for a merged view: the projects providing name
// whose providing source owns them.
func (s *Service) mergedImportProviders(ctx context.Context, d *Distribution, srcs []viewSource, name string) ([]string, error) {
	var out []string
	for i, src := range srcs {
		ps, err := s.store.ImportProviders(ctx, src.repoID, src.version, []string{name})
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if slices.Contains(out, p) {
				continue
			}
			own, _, err := s.owners(ctx, d, srcs, p)
			if err != nil {
				return nil, err
			}
			if slices.Contains(own, i) {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// UploadRepository is the repository an upload through d (its /legacy/ API) goes to: its
// repository, or a merged view's first source. A first source that pulls through from a
// remote takes no uploads (ErrInvalid): what it holds stands for the upstream's.
func UploadRepository(d *Distribution) (string, error) {
	if d.Sources != nil && d.Sources[0].PullThrough != "" {
		return "", fmt.Errorf("distribution %s pulls through from remote %s, whose files its repository %s holds: upload to a hosted repository instead: %w",
			d.BasePath, d.Sources[0].PullThrough, d.Sources[0].Repository, errs.ErrInvalid)
	}
	return d.Repository, nil
}

// pinsOf lists the versions of repository repoID that d pins: its own pin, and a merged
// view's pinned sources (retention keeps them all).
func pinsOf(d *metastore.Distribution, repoID int64) []int {
	var out []int
	if d.RepositoryID == repoID && d.Pinned != nil {
		out = append(out, *d.Pinned)
	}
	for _, src := range d.Sources {
		if src.RepositoryID == repoID && src.Pinned != nil {
			out = append(out, *src.Pinned)
		}
	}
	return out
}

// mergedChangedSince is ChangedSince for a merged view: the changes of each source to the
// projects it owns, each with the serial the merged page gives the project (a change a
// hidden source made does not show: the page it would send a mirror to did not change).
func (s *Service) mergedChangedSince(ctx context.Context, d *Distribution, since int64) ([]ChangedProject, error) {
	srcs, err := s.resolve(ctx, d)
	if err != nil {
		return nil, err
	}
	at := map[string]int{}
	var out []ChangedProject
	for i, src := range srcs {
		ps, err := s.store.ChangedSince(ctx, src.repoID, src.version, since, MaxChangelog)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			own, serial, err := s.owners(ctx, d, srcs, p.Project)
			if err != nil {
				return nil, err
			}
			if !slices.Contains(own, i) {
				continue
			}
			removed := !p.Held && len(own) == 1
			if j, ok := at[p.Project]; ok {
				out[j].Removed = out[j].Removed && removed
				continue
			}
			at[p.Project] = len(out)
			out = append(out, ChangedProject{Name: p.Project, DisplayName: p.DisplayName, Serial: serial, Removed: removed})
		}
	}
	slices.SortStableFunc(out, func(a, b ChangedProject) int { return cmp.Compare(a.Serial, b.Serial) })
	if len(out) > MaxChangelog {
		out = out[:MaxChangelog]
	}
	return out, nil
}
