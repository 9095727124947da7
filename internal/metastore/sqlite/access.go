package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

const distCols = `d.base_path, d.repository_id, r.name, d.pinned, d.public, d.created_at, d.require_checks`

func scanDist(sc interface{ Scan(...any) error }) (*metastore.Distribution, error) {
	var d metastore.Distribution
	var pinned sql.NullInt64
	var created int64
	if err := sc.Scan(&d.BasePath, &d.RepositoryID, &d.Repository, &pinned, &d.Public, &created, &d.RequireChecks); err != nil {
		return nil, err
	}
	if pinned.Valid {
		p := int(pinned.Int64)
		d.Pinned = &p
	}
	d.CreatedAt = fromMicros(created)
	return &d, nil
}

func pinArg(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// Distribution implements metastore.DistributionReader.
func (q queries) Distribution(ctx context.Context, base string) (*metastore.Distribution, error) {
	d, err := scanDist(q.q.QueryRowContext(ctx, `SELECT `+distCols+` FROM distributions d JOIN repositories r ON r.id = d.repository_id
		WHERE d.base_path = ?`, base))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("distribution %q: %w", base, errs.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return d, q.attachSources(ctx, []*metastore.Distribution{d}, base)
}

// Distributions implements metastore.DistributionReader.
func (q queries) Distributions(ctx context.Context) ([]metastore.Distribution, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT `+distCols+` FROM distributions d JOIN repositories r ON r.id = d.repository_id
		ORDER BY d.base_path`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ds []*metastore.Distribution
	for rows.Next() {
		d, err := scanDist(rows)
		if err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if err := q.attachSources(ctx, ds, ""); err != nil {
		return nil, err
	}
	out := make([]metastore.Distribution, len(ds))
	for i, d := range ds {
		out[i] = *d
	}
	return out, nil
}

// CreateDistribution implements metastore.DistributionWriter.
func (q queries) CreateDistribution(ctx context.Context, d *metastore.Distribution) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO distributions (base_path, repository_id, pinned, public, created_at, require_checks) VALUES (?, ?, ?, ?, ?, ?)`,
		d.BasePath, d.RepositoryID, pinArg(d.Pinned), d.Public, micros(d.CreatedAt), d.RequireChecks)
	if isUnique(err) {
		return fmt.Errorf("distribution %q already exists: %w", d.BasePath, errs.ErrConflict)
	}
	if err != nil {
		return err
	}
	return q.saveSources(ctx, d)
}

// UpdateDistribution implements metastore.DistributionWriter.
func (q queries) UpdateDistribution(ctx context.Context, d *metastore.Distribution) error {
	res, err := q.q.ExecContext(ctx, `UPDATE distributions SET repository_id = ?, pinned = ?, public = ?, require_checks = ? WHERE base_path = ?`,
		d.RepositoryID, pinArg(d.Pinned), d.Public, d.RequireChecks, d.BasePath)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("distribution %q: %w", d.BasePath, errs.ErrNotFound)
	}
	return q.saveSources(ctx, d)
}

// DeleteDistribution implements metastore.DistributionWriter.
func (q queries) DeleteDistribution(ctx context.Context, base string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM distributions WHERE base_path = ?`, base)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("distribution %q: %w", base, errs.ErrNotFound)
	}
	return nil
}

const tokenCols = `id, name, scope, repository, hash, created_at`

func scanToken(sc interface{ Scan(...any) error }) (*metastore.Token, error) {
	var t metastore.Token
	var created int64
	if err := sc.Scan(&t.ID, &t.Name, &t.Scope, &t.Repository, &t.Hash, &created); err != nil {
		return nil, err
	}
	t.CreatedAt = fromMicros(created)
	return &t, nil
}

// TokenByHash implements metastore.TokenReader.
func (q queries) TokenByHash(ctx context.Context, hash []byte) (*metastore.Token, error) {
	t, err := scanToken(q.q.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM tokens WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("token: %w", errs.ErrNotFound)
	}
	return t, err
}

// Tokens implements metastore.TokenReader.
func (q queries) Tokens(ctx context.Context) ([]metastore.Token, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT `+tokenCols+` FROM tokens ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metastore.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// CreateToken implements metastore.TokenWriter.
func (q queries) CreateToken(ctx context.Context, t *metastore.Token) error {
	err := q.q.QueryRowContext(ctx, `INSERT INTO tokens (name, scope, repository, hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		t.Name, t.Scope, t.Repository, t.Hash, micros(t.CreatedAt)).Scan(&t.ID)
	if isUnique(err) {
		return fmt.Errorf("token already exists: %w", errs.ErrConflict)
	}
	return err
}

// DeleteToken implements metastore.TokenWriter.
func (q queries) DeleteToken(ctx context.Context, id int64) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM tokens WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("token %d: %w", id, errs.ErrNotFound)
	}
	return nil
}
