package index

import (
	"context"
	"fmt"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/versions"
)

// YankResult says what a yank or an unyank did.
type YankResult struct {
	Repository string
	Project    string // normalized
	Version    string // canonical, as asked
	Files      int    // files of the release in the latest version
	// Changed counts the files whose state changed. 0 means that the release already
	// was in the state asked for: nothing was changed and no version made.
	Changed           int
	Yanked            bool   // the release's state now
	Reason            string // its yank reason now ("" when not yanked)
	RepositoryVersion int    // the version made, or the latest when nothing changed
}

// Yank implements API: YankRelease with reason given (possibly empty).
func (s *Service) Yank(ctx context.Context, repo, project, version, reason string) error {
	_, err := s.YankRelease(ctx, repo, project, version, &reason)
	return err
}

// Unyank implements API.
func (s *Service) Unyank(ctx context.Context, repo, project, version string) error {
	_, err := s.UnyankRelease(ctx, repo, project, version)
	return err
}

// YankRelease implements API. reason nil keeps the reason of files already yanked (and
// gives the others that reason); a non-nil reason, even "", replaces it.
func (s *Service) YankRelease(ctx context.Context, repo, project, version string, reason *string) (*YankResult, error) {
	return s.setYanked(ctx, repo, project, version, true, reason)
}

// UnyankRelease implements API.
func (s *Service) UnyankRelease(ctx context.Context, repo, project, version string) (*YankResult, error) {
	return s.setYanked(ctx, repo, project, version, false, nil)
}

// yankTarget is the state file f is to get: what yanking (reason nil = keep) or
// unyanking asks for.
func yankTarget(f *metastore.File, yanked bool, reason *string, kept string) (bool, string) {
	switch {
	case !yanked:
		return false, ""
	case reason != nil:
		return true, *reason
	case f.Yanked:
		return true, f.YankReason
	}
	return true, kept
}

func (s *Service) setYanked(ctx context.Context, repo, project, version string, yanked bool, reason *string) (*YankResult, error) {
	want, err := versions.Parse(version)
	if err != nil {
		return nil, err
	}
	res := &YankResult{Repository: repo, Project: names.Normalize(project), Version: want.String(), Yanked: yanked}
	verb := "unyank"
	if yanked {
		verb = "yank"
	}
	err = s.store.InTx(ctx, func(tx metastore.Tx) error {
		res.Files, res.Changed, res.Reason = 0, 0, ""
		r, err := tx.Repository(ctx, repo)
		if err != nil {
			return err
		}
		all, err := tx.ProjectFilenames(ctx, r.ID, r.Latest, res.Project, releasePrefix(want))
		if err != nil {
			return err
		}
		var files []*metastore.File // the release: PEP 440-equal versions (1.10 == 1.10.0)
		kept := ""
		for i := range all {
			if v, err := versions.Parse(all[i].Version); err == nil && v.Compare(want) == 0 {
				files = append(files, &all[i])
				if all[i].Yanked && kept == "" {
					kept = all[i].YankReason
				}
			}
		}
		if len(files) == 0 {
			return fmt.Errorf("repository %s has no files of %s %s: %w", repo, res.Project, res.Version, errs.ErrNotFound)
		}
		res.Files = len(files)
		var change []*metastore.File
		for _, f := range files {
			y, why := yankTarget(f, yanked, reason, kept)
			if y != f.Yanked || why != f.YankReason {
				change = append(change, f)
			}
			if y {
				res.Reason = why
			}
		}
		res.RepositoryVersion = r.Latest
		if len(change) == 0 {
			return nil // no-op: no version
		}
		now := s.now()
		n, err := tx.BeginVersion(ctx, r.ID, fmt.Sprintf("%s %s %s", verb, res.Project, res.Version), now)
		if err != nil {
			return err
		}
		for _, f := range change {
			y, why := yankTarget(f, yanked, reason, kept)
			if err := tx.SetFileYanked(ctx, r.ID, n, f.ID, y, why); err != nil {
				return err
			}
		}
		res.Changed, res.RepositoryVersion = len(change), n
		return tx.FinishVersion(ctx, r.ID, n, now)
	})
	if err != nil {
		return nil, err
	}
	if res.Changed > 0 {
		s.log.Info("repository changed", "repository", repo, "change", verb, "project", res.Project, "version", res.Version, "files", res.Changed)
	} else {
		s.log.Debug("nothing to change", "repository", repo, "change", verb, "project", res.Project, "version", res.Version)
	}
	return res, nil
}
