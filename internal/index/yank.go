package index

import (
	"context"

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
	c := Change{Kind: ChangeUnyank, Project: project, Version: version}
	if yanked {
		c.Kind, c.Reason = ChangeYank, reason
	}
	ar, err := s.Apply(ctx, repo, "", []Change{c})
	if err != nil {
		return nil, err
	}
	cr := ar.Results[0]
	return &YankResult{
		Repository: repo, Project: names.Normalize(project), Version: want.String(), Yanked: yanked,
		Files: cr.Files, Changed: cr.Matched, Reason: cr.Reason, RepositoryVersion: ar.Version,
	}, nil
}
