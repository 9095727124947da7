package index

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// The lifecycle of a repository's versions: comparing two (Diff) and reclaiming old ones
// (Retain), after which `pydepot gc` frees the blobs only they referenced.

// versionExists reports, as an error wrapping category, a version of r that does not
// exist: beyond the latest, or reclaimed by Retain.
func versionExists(ctx context.Context, rd metastore.Reader, r *metastore.Repository, n int, category error) error {
	if n < 0 || n > r.Latest {
		return fmt.Errorf("repository %s has no version %d (latest is %d): %w", r.Name, n, r.Latest, category)
	}
	if _, err := rd.Version(ctx, r.ID, n); errors.Is(err, errs.ErrNotFound) {
		return fmt.Errorf("repository %s has no version %d any more (reclaimed by 'pydepot repo retain'): %w", r.Name, n, category)
	} else if err != nil {
		return err
	}
	return nil
}

// MaxDiffFiles is the most files (and project attribute rows) in which two versions may
// differ for Diff to answer; more is ErrTooLarge.
const MaxDiffFiles = 100_000

// DiffFile is a file added or removed between two versions.
type DiffFile struct {
	Filename, Project, Version, SHA256 string
	Size                               int64
}

// YankChange is a file both versions hold with another yank state.
type YankChange struct {
	Filename, Project, Version string
	WasYanked                  bool
	WasReason                  string
	Yanked                     bool
	Reason                     string
}

// Attributes are what a version says about a project besides its files.
type Attributes struct {
	DisplayName, Status, StatusReason string
}

// AttributeChange is a project both versions have attributes for, with other ones (a
// project new to one of them shows in its files instead).
type AttributeChange struct {
	Project       string
	Before, After Attributes
}

// VersionDiff is what changed from version From to version To (either may be the
// larger): Added are in To and not From, Removed in From and not To.
type VersionDiff struct {
	Repository string
	From, To   int
	Added      []DiffFile
	Removed    []DiffFile
	Yanks      []YankChange
	Attributes []AttributeChange
}

// Diff compares versions a and b of repo. ErrNotFound when either does not exist (or was
// reclaimed); ErrTooLarge when they differ in more than MaxDiffFiles files.
func (s *Service) Diff(ctx context.Context, repo string, a, b int) (*VersionDiff, error) {
	r, err := s.store.Repository(ctx, repo)
	if err != nil {
		return nil, err
	}
	for _, n := range []int{a, b} {
		if err := versionExists(ctx, s.store, r, n, errs.ErrNotFound); err != nil {
			return nil, err
		}
	}
	out := &VersionDiff{Repository: r.Name, From: a, To: b}
	if a == b {
		return out, nil
	}
	lo, hi := min(a, b), max(a, b)
	gone, came, err := s.store.ContentDelta(ctx, r.ID, lo, hi, MaxDiffFiles)
	if err != nil {
		return nil, err
	}
	goneAttrs, cameAttrs, err := s.store.AttributeDelta(ctx, r.ID, lo, hi, MaxDiffFiles)
	if err != nil {
		return nil, err
	}
	if a > b { // from the later version back to the earlier
		gone, came, goneAttrs, cameAttrs = came, gone, cameAttrs, goneAttrs
	}
	was := make(map[int64]*metastore.File, len(gone))
	for i := range gone {
		was[gone[i].ID] = &gone[i]
	}
	for i := range came {
		f := &came[i]
		old, ok := was[f.ID]
		if !ok {
			out.Added = append(out.Added, diffFile(f))
			continue
		}
		delete(was, f.ID)
		if old.Yanked != f.Yanked || old.YankReason != f.YankReason {
			out.Yanks = append(out.Yanks, YankChange{Filename: f.Filename, Project: f.Project, Version: f.Version,
				WasYanked: old.Yanked, WasReason: old.YankReason, Yanked: f.Yanked, Reason: f.YankReason})
		}
	}
	for i := range gone {
		if _, ok := was[gone[i].ID]; ok {
			out.Removed = append(out.Removed, diffFile(&gone[i]))
		}
	}
	out.Attributes = attributeChanges(goneAttrs, cameAttrs)
	return out, nil
}

func diffFile(f *metastore.File) DiffFile {
	return DiffFile{Filename: f.Filename, Project: f.Project, Version: f.Version, SHA256: f.SHA256, Size: f.Size}
}

// attributeChanges pairs by project the attribute rows one version has and the other
// lacks (both sorted by project) and keeps the pairs that differ.
func attributeChanges(before, after []metastore.AttributeRow) []AttributeChange {
	attrs := func(a metastore.AttributeRow) Attributes {
		return Attributes{DisplayName: a.DisplayName, Status: a.Status, StatusReason: a.StatusReason}
	}
	var out []AttributeChange
	for i, j := 0, 0; i < len(before) && j < len(after); {
		switch {
		case before[i].Project < after[j].Project:
			i++
		case after[j].Project < before[i].Project:
			j++
		default:
			if before[i].ProjectAttributes != after[j].ProjectAttributes {
				out = append(out, AttributeChange{Project: after[j].Project, Before: attrs(before[i]), After: attrs(after[j])})
			}
			i, j = i+1, j+1
		}
	}
	return out
}

// RetainOptions says what Retain keeps.
type RetainOptions struct {
	// Keep is how many of the latest versions stay (at least 1: the latest always does).
	Keep int
	// DryRun reports what would go and changes nothing.
	DryRun bool
}

// RetainReport says what Retain reclaimed (with DryRun: would reclaim).
type RetainReport struct {
	Repository string
	Latest     int
	DryRun     bool
	// Kept are the versions that stay, ascending: version 0, every version a
	// distribution pins (also in Pinned), and the last Keep.
	Kept    []int
	Pinned  []int
	Removed []int // the versions reclaimed, ascending
	// Files are the file rows no kept version holds, now forgotten (their filenames may
	// be uploaded again), FileBytes their total size.
	Files     int
	FileBytes int64
	Examples  []string // up to five of their filenames
	// Blobs are the digests (bodies and metadata files) that nothing references any
	// more: `pydepot gc` removes them once older than its grace period. BlobBytes is the
	// size of the bodies among them.
	Blobs     int
	BlobBytes int64
}

// errDryRun rolls a dry run's transaction back.
var errDryRun = errors.New("dry run")

// Retain reclaims the versions of repo other than version 0, the last opt.Keep and the
// ones a distribution pins: their rows that no kept version holds are deleted in one
// write transaction (safe beside uploads in other processes), so that every kept version
// reads exactly as before and the blobs only reclaimed versions referenced become
// garbage for GC. Version 0 is kept because it costs nothing (it holds no rows) and
// keeps "rollback to 0" (empty the repository) possible. ErrInvalid when Keep < 1.
func (s *Service) Retain(ctx context.Context, repo string, opt RetainOptions) (*RetainReport, error) {
	if opt.Keep < 1 {
		return nil, fmt.Errorf("keep %d versions: keep at least 1 (the latest always stays): %w", opt.Keep, errs.ErrInvalid)
	}
	if nothing, rep, err := s.nothingToRetain(ctx, repo, opt); err != nil || nothing {
		return rep, err
	}
	var rep *RetainReport
	err := s.store.InTx(ctx, func(tx metastore.Tx) error {
		r, err := tx.Repository(ctx, repo)
		if err != nil {
			return err
		}
		rep = &RetainReport{Repository: r.Name, Latest: r.Latest, DryRun: opt.DryRun}
		keepFrom := max(r.Latest-opt.Keep+1, 0)
		ds, err := tx.Distributions(ctx)
		if err != nil {
			return err
		}
		extra := []int{0}
		for i := range ds {
			pins := pinsOf(&ds[i], r.ID)
			rep.Pinned = append(rep.Pinned, pins...)
			extra = append(extra, pins...)
		}
		slices.Sort(rep.Pinned)
		rep.Pinned = slices.Compact(rep.Pinned)
		slices.Sort(extra)
		extra = slices.Compact(extra)
		got, err := tx.ReclaimVersions(ctx, r.ID, keepFrom, extra)
		if err != nil {
			return err
		}
		rep.Removed = got.Versions
		vs, err := tx.Versions(ctx, r.ID)
		if err != nil {
			return err
		}
		for _, v := range vs {
			rep.Kept = append(rep.Kept, v.Number)
		}
		if err := s.countFreed(ctx, tx, got.Files, rep); err != nil {
			return err
		}
		if opt.DryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return nil, err
	}
	if !opt.DryRun && len(rep.Removed) > 0 {
		s.log.Info("repository versions reclaimed", "repository", rep.Repository, "versions", len(rep.Removed),
			"files", rep.Files, "blobs", rep.Blobs, "bytes", rep.BlobBytes)
	}
	return rep, nil
}

// nothingToRetain reports, from reads alone, that retain has no version to reclaim,
// with the report it would make: a retain run often (from cron) then takes no write lock
// from the uploads. A version made meanwhile only waits for the next run.
func (s *Service) nothingToRetain(ctx context.Context, repo string, opt RetainOptions) (bool, *RetainReport, error) {
	r, err := s.store.Repository(ctx, repo)
	if err != nil {
		return false, nil, err
	}
	keepFrom := max(r.Latest-opt.Keep+1, 0)
	ds, err := s.store.Distributions(ctx)
	if err != nil {
		return false, nil, err
	}
	rep := &RetainReport{Repository: r.Name, Latest: r.Latest, DryRun: opt.DryRun}
	for i := range ds {
		rep.Pinned = append(rep.Pinned, pinsOf(&ds[i], r.ID)...)
	}
	slices.Sort(rep.Pinned)
	rep.Pinned = slices.Compact(rep.Pinned)
	vs, err := s.store.Versions(ctx, r.ID)
	if err != nil {
		return false, nil, err
	}
	for _, v := range vs {
		if v.Number < keepFrom && v.Number != 0 && !slices.Contains(rep.Pinned, v.Number) {
			return false, nil, nil
		}
		rep.Kept = append(rep.Kept, v.Number)
	}
	return true, rep, nil
}

// countFreed fills the report's file and blob counts from the file rows ReclaimVersions
// deleted, asking which of their digests anything still references.
func (s *Service) countFreed(ctx context.Context, tx metastore.Tx, files []metastore.File, rep *RetainReport) error {
	sizes := map[string]int64{}
	for _, f := range files {
		rep.Files++
		rep.FileBytes += f.Size
		if len(rep.Examples) < 5 {
			rep.Examples = append(rep.Examples, f.Filename)
		}
		sizes[f.SHA256] = f.Size
		if f.MetadataSHA256 != "" {
			if _, ok := sizes[f.MetadataSHA256]; !ok {
				sizes[f.MetadataSHA256] = 0 // metadata files: counted, size not kept on the row
			}
		}
	}
	shas := make([]string, 0, len(sizes))
	for sha := range sizes {
		shas = append(shas, sha)
	}
	slices.Sort(shas)
	for start := 0; start < len(shas); start += metastore.MaxBatch {
		batch := shas[start:min(start+metastore.MaxBatch, len(shas))]
		used, err := tx.ReferencedBlobs(ctx, batch)
		if err != nil {
			return err
		}
		held := make(map[string]bool, len(used))
		for _, sha := range used {
			held[sha] = true
		}
		for _, sha := range batch {
			if !held[sha] {
				rep.Blobs++
				rep.BlobBytes += sizes[sha]
			}
		}
	}
	return nil
}

// MaxChangelog is the most projects ChangedSince lists at once (PyPI's XML-RPC
// changelog is capped too): the oldest changes come first, and the caller asks again
// from the last serial it got.
const MaxChangelog = 50_000

// ChangedProject is a project that changed after a serial: its latest serial, and
// whether the version served still holds it (Removed: all its files went).
type ChangedProject struct {
	Name, DisplayName string
	Serial            int64
	Removed           bool
}

// ChangedSince lists the projects of the version d serves that got a serial above
// since, oldest first, at most MaxChangelog; its cost is that of the changes, not of the
// repository.
func (s *Service) ChangedSince(ctx context.Context, d *Distribution, since int64) ([]ChangedProject, error) {
	if d != nil && d.Sources != nil {
		return s.mergedChangedSince(ctx, d, since)
	}
	repoID, n, err := s.view(ctx, d)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.ChangedSince(ctx, repoID, n, since, MaxChangelog)
	if err != nil {
		return nil, err
	}
	out := make([]ChangedProject, len(ps))
	for i, p := range ps {
		out[i] = ChangedProject{Name: p.Project, DisplayName: p.DisplayName, Serial: p.Serial, Removed: !p.Held}
	}
	return out, nil
}
