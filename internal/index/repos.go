package index

import (
	"context"
	"fmt"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

func repoOut(r *metastore.Repository) *Repository {
	return &Repository{Name: r.Name, Description: r.Description, Latest: r.Latest, CreatedAt: r.CreatedAt, CheckOnUpload: r.CheckOnUpload}
}

// CreateRepository implements API.
func (s *Service) CreateRepository(ctx context.Context, name, description string) (*Repository, error) {
	if !ValidRepositoryName(name) {
		return nil, fmt.Errorf("repository name %q: use lower-case letters, digits, '.', '_' and '-': %w", name, errs.ErrInvalid)
	}
	var out *Repository
	err := s.store.InTx(ctx, func(tx metastore.Tx) error {
		r, err := tx.CreateRepository(ctx, name, description, s.now())
		if err != nil {
			return err
		}
		out = repoOut(r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("repository created", "repository", name)
	return out, nil
}

// Repository implements API.
func (s *Service) Repository(ctx context.Context, name string) (*Repository, error) {
	r, err := s.store.Repository(ctx, name)
	if err != nil {
		return nil, err
	}
	return repoOut(r), nil
}

// Repositories implements API.
func (s *Service) Repositories(ctx context.Context) ([]Repository, error) {
	rs, err := s.store.Repositories(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Repository, len(rs))
	for i := range rs {
		out[i] = *repoOut(&rs[i])
	}
	return out, nil
}

func versionOut(repo string, v *metastore.Version) RepositoryVersion {
	return RepositoryVersion{Repository: repo, Number: v.Number, CreatedAt: v.CreatedAt, Message: v.Message, Files: v.Files}
}

// Versions implements API.
func (s *Service) Versions(ctx context.Context, repo string) ([]RepositoryVersion, error) {
	r, err := s.store.Repository(ctx, repo)
	if err != nil {
		return nil, err
	}
	vs, err := s.store.Versions(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	out := make([]RepositoryVersion, len(vs))
	for i := range vs {
		out[i] = versionOut(r.Name, &vs[i])
	}
	return out, nil
}

// Rollback implements API. A rollback to the latest version changes nothing and makes
// no version: it returns the latest version.
func (s *Service) Rollback(ctx context.Context, repo string, to int) (*RepositoryVersion, error) {
	if to < 0 {
		r, err := s.store.Repository(ctx, repo)
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("repository %s has no version %d (latest is %d): %w", repo, to, r.Latest, errs.ErrNotFound)
	}
	ar, err := s.Apply(ctx, repo, "", []Change{{Kind: ChangeRollback, To: to}})
	if err != nil {
		return nil, err
	}
	r, err := s.store.Repository(ctx, repo)
	if err != nil {
		return nil, err
	}
	v, err := s.store.Version(ctx, r.ID, ar.Version)
	if err != nil {
		return nil, err
	}
	if ar.Made {
		s.log.Info("repository rolled back", "repository", repo, "to", to, "version", ar.Version)
	}
	out := versionOut(r.Name, v)
	return &out, nil
}
