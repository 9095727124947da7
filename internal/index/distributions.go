package index

import (
	"context"
	"fmt"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

func distOut(d *metastore.Distribution) *Distribution {
	out := &Distribution{BasePath: d.BasePath, Repository: d.Repository, Public: d.Public, CreatedAt: d.CreatedAt}
	if d.Pinned != nil {
		p := *d.Pinned
		out.Pinned = &p
	}
	return out
}

// checkTarget resolves the repository and pin of d inside tx.
func checkTarget(ctx context.Context, tx metastore.Tx, d Distribution) (*metastore.Repository, error) {
	r, err := tx.Repository(ctx, d.Repository)
	if err != nil {
		return nil, err
	}
	if d.Pinned != nil && (*d.Pinned < 0 || *d.Pinned > r.Latest) {
		return nil, fmt.Errorf("repository %s has no version %d (latest is %d): %w", r.Name, *d.Pinned, r.Latest, errs.ErrInvalid)
	}
	return r, nil
}

// CreateDistribution implements API. The repository must exist; ErrConflict when the base
// path is taken.
func (s *Service) CreateDistribution(ctx context.Context, d Distribution) (*Distribution, error) {
	if !ValidBasePath(d.BasePath) {
		return nil, fmt.Errorf("base path %q: use up to four '/'-separated lower-case names, not starting with a reserved word: %w", d.BasePath, errs.ErrInvalid)
	}
	var out *Distribution
	err := s.store.InTx(ctx, func(tx metastore.Tx) error {
		r, err := checkTarget(ctx, tx, d)
		if err != nil {
			return err
		}
		row := &metastore.Distribution{BasePath: d.BasePath, RepositoryID: r.ID, Repository: r.Name, Pinned: d.Pinned, Public: d.Public, CreatedAt: s.now()}
		if err := tx.CreateDistribution(ctx, row); err != nil {
			return err
		}
		out = distOut(row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("distribution created", "base", d.BasePath, "repository", d.Repository)
	return out, nil
}

// UpdateDistribution implements API: d.Repository ("" keeps the current one), d.Pinned
// and d.Public replace the stored values; d.BasePath is ignored.
func (s *Service) UpdateDistribution(ctx context.Context, base string, d Distribution) (*Distribution, error) {
	var out *Distribution
	err := s.store.InTx(ctx, func(tx metastore.Tx) error {
		cur, err := tx.Distribution(ctx, base)
		if err != nil {
			return err
		}
		if d.Repository == "" {
			d.Repository = cur.Repository
		}
		r, err := checkTarget(ctx, tx, d)
		if err != nil {
			return err
		}
		cur.RepositoryID, cur.Repository, cur.Pinned, cur.Public = r.ID, r.Name, d.Pinned, d.Public
		if err := tx.UpdateDistribution(ctx, cur); err != nil {
			return err
		}
		out = distOut(cur)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("distribution updated", "base", base, "repository", out.Repository)
	return out, nil
}

// Distribution implements API.
func (s *Service) Distribution(ctx context.Context, base string) (*Distribution, error) {
	d, err := s.store.Distribution(ctx, base)
	if err != nil {
		return nil, err
	}
	return distOut(d), nil
}

// Distributions implements API.
func (s *Service) Distributions(ctx context.Context) ([]Distribution, error) {
	ds, err := s.store.Distributions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Distribution, len(ds))
	for i := range ds {
		out[i] = *distOut(&ds[i])
	}
	return out, nil
}

// DeleteDistribution implements API.
func (s *Service) DeleteDistribution(ctx context.Context, base string) error {
	err := s.store.InTx(ctx, func(tx metastore.Tx) error { return tx.DeleteDistribution(ctx, base) })
	if err == nil {
		s.log.Info("distribution deleted", "base", base)
	}
	return err
}
