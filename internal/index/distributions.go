package index

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

func distOut(d *metastore.Distribution) *Distribution {
	out := &Distribution{BasePath: d.BasePath, Repository: d.Repository, Public: d.Public, CreatedAt: d.CreatedAt,
		RequireChecks: d.RequireChecks, Sources: srcsOut(d.Sources), AllowShadow: slices.Clone(d.AllowShadow)}
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
	if d.Pinned != nil {
		if err := versionExists(ctx, tx, r, *d.Pinned, errs.ErrInvalid); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// serverAdmin stands for the server itself in CreateDistribution and UpdateDistribution,
// which in-process callers use without a token: it may do what a global admin token may.
var serverAdmin = &Token{Name: "server", Scope: ScopeAdmin}

// CreateDistribution implements API: CreateDistributionAs on behalf of the server itself.
func (s *Service) CreateDistribution(ctx context.Context, d Distribution) (*Distribution, error) {
	return s.CreateDistributionAs(ctx, serverAdmin, d)
}

// CreateDistributionAs implements API. by must be admin on d's repository, and on the
// repository of every distribution whose base path lies under or above d's (ErrForbidden
// otherwise); the repository must exist; ErrConflict when the base path is taken.
func (s *Service) CreateDistributionAs(ctx context.Context, by *Token, d Distribution) (*Distribution, error) {
	if err := CheckBasePath(d.BasePath); err != nil {
		return nil, err
	}
	if len(d.Sources) == 0 {
		if err := mayAdminister(by, d.Repository); err != nil {
			return nil, err
		}
	} else if by == nil {
		return nil, mayAdminister(by, "")
	}
	var out *Distribution
	err := s.store.InTx(ctx, func(tx metastore.Tx) error {
		d := d
		d.Sources = slices.Clone(d.Sources)
		srcs, allow, err := s.checkSources(ctx, tx, by, &d)
		if err != nil {
			return err
		}
		r, err := checkTarget(ctx, tx, d)
		if err != nil {
			return err
		}
		if err := checkNesting(ctx, tx, by, d.BasePath, r.Name); err != nil {
			return err
		}
		row := &metastore.Distribution{BasePath: d.BasePath, RepositoryID: r.ID, Repository: r.Name, Pinned: d.Pinned, Public: d.Public, CreatedAt: s.now(),
			RequireChecks: d.RequireChecks, Sources: srcs, AllowShadow: allow}
		if err := tx.CreateDistribution(ctx, row); err != nil {
			return err
		}
		out = distOut(row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("distribution created", "base", d.BasePath, "repository", out.Repository, "sources", len(out.Sources), "by", by.Name)
	return out, nil
}

// mayAdminister demands that by is admin on repo.
func mayAdminister(by *Token, repo string) error {
	if by == nil {
		return fmt.Errorf("changing distributions needs an admin token: %w", errs.ErrUnauthorized)
	}
	if !Allowed(by, ActionAdminDistribution, repo) {
		return fmt.Errorf("token %q (scope %s) is not admin on repository %s: %w", by.Name, by.Scope, repo, errs.ErrForbidden)
	}
	return nil
}

// checkNesting refuses base serving repo when base lies under or above the base path of
// a distribution that serves another repository, unless by is admin on that repository
// too: nesting puts one distribution's URLs inside another's, which only someone who
// administers both may decide. The message names the other base path (routing shows it
// exists anyway) but not its repository.
func checkNesting(ctx context.Context, tx metastore.Tx, by *Token, base, repo string) error {
	ds, err := tx.Distributions(ctx)
	if err != nil {
		return err
	}
	for _, d := range ds {
		var where string
		switch {
		case d.BasePath == base || d.Repository == repo:
			continue
		case strings.HasPrefix(base, d.BasePath+"/"):
			where = "under"
		case strings.HasPrefix(d.BasePath, base+"/"):
			where = "above"
		default:
			continue
		}
		if !Allowed(by, ActionAdminDistribution, d.Repository) {
			return fmt.Errorf("base path %s lies %s distribution %s, which serves a repository token %q is not admin on: %w",
				base, where, d.BasePath, by.Name, errs.ErrForbidden)
		}
	}
	return nil
}

// UpdateDistribution implements API: UpdateDistributionAs on behalf of the server itself.
func (s *Service) UpdateDistribution(ctx context.Context, base string, d Distribution) (*Distribution, error) {
	return s.UpdateDistributionAs(ctx, serverAdmin, base, d)
}

// UpdateDistributionAs implements API: d.Repository ("" keeps the current one), d.Pinned,
// d.Public and d.RequireChecks replace the stored values; d.BasePath is ignored. d.Sources nil keeps a
// merged view's sources, its first becoming d.Repository and d.Pinned; empty (not nil)
// makes the distribution serve d.Repository alone; otherwise it replaces them (and
// d.Repository, when given, must be the first). d.AllowShadow nil keeps the list. by must
// be admin on the current repository and on every new one; a new repository is checked
// for nesting as in CreateDistributionAs.
func (s *Service) UpdateDistributionAs(ctx context.Context, by *Token, base string, d Distribution) (*Distribution, error) {
	if by == nil {
		return nil, mayAdminister(by, "")
	}
	var out *Distribution
	err := s.store.InTx(ctx, func(tx metastore.Tx) error {
		d := d
		cur, err := tx.Distribution(ctx, base)
		if err != nil {
			return err
		}
		if err := mayAdminister(by, cur.Repository); err != nil {
			return err
		}
		switch {
		case d.Sources == nil && cur.Sources != nil:
			d.Sources = srcsOut(cur.Sources)
			if d.Repository != "" && d.Repository != d.Sources[0].Repository {
				d.Sources[0] = Source{Repository: d.Repository}
			}
			d.Sources[0].Pinned = d.Pinned
			d.Repository = ""
		case d.Sources != nil && len(d.Sources) == 0:
			d.Sources = nil
		default:
			d.Sources = slices.Clone(d.Sources)
		}
		if d.AllowShadow == nil && d.Sources != nil {
			d.AllowShadow = cur.AllowShadow
		}
		if d.Repository == "" && d.Sources == nil {
			d.Repository = cur.Repository
		}
		srcs, allow, err := s.checkSources(ctx, tx, by, &d)
		if err != nil {
			return err
		}
		if err := mayAdminister(by, d.Repository); err != nil {
			return err
		}
		r, err := checkTarget(ctx, tx, d)
		if err != nil {
			return err
		}
		if r.ID != cur.RepositoryID {
			if err := checkNesting(ctx, tx, by, base, r.Name); err != nil {
				return err
			}
		}
		cur.RepositoryID, cur.Repository, cur.Pinned, cur.Public = r.ID, r.Name, d.Pinned, d.Public
		cur.RequireChecks = d.RequireChecks
		cur.Sources, cur.AllowShadow = srcs, allow
		if err := tx.UpdateDistribution(ctx, cur); err != nil {
			return err
		}
		out = distOut(cur)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("distribution updated", "base", base, "repository", out.Repository, "sources", len(out.Sources), "by", by.Name)
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
