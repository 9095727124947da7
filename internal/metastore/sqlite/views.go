package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// attachSources fills the Sources and AllowShadow of ds (by base path) from their tables:
// two queries for any number of distributions, none of whose rows a plain distribution has.
func (q queries) attachSources(ctx context.Context, ds []*metastore.Distribution, base string) error {
	where, args := "", []any{}
	if base != "" {
		where, args = " WHERE s.base_path = ?", []any{base}
	}
	byBase := make(map[string]*metastore.Distribution, len(ds))
	for _, d := range ds {
		byBase[d.BasePath] = d
	}
	rows, err := q.q.QueryContext(ctx, `SELECT s.base_path, s.repository_id, r.name, s.pinned, s.pull_remote, s.pull_ttl_seconds
		FROM distribution_sources s JOIN repositories r ON r.id = s.repository_id`+where+` ORDER BY s.base_path, s.position`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var b string
		var src metastore.DistributionSource
		var pinned sql.NullInt64
		var ttl int64
		if err := rows.Scan(&b, &src.RepositoryID, &src.Repository, &pinned, &src.PullRemote, &ttl); err != nil {
			return err
		}
		if pinned.Valid {
			p := int(pinned.Int64)
			src.Pinned = &p
		}
		src.PullTTL = time.Duration(ttl) * time.Second
		if d := byBase[b]; d != nil {
			d.Sources = append(d.Sources, src)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	arows, err := q.q.QueryContext(ctx, `SELECT s.base_path, s.project FROM distribution_allow_shadow s`+where+` ORDER BY s.base_path, s.project`, args...)
	if err != nil {
		return err
	}
	defer arows.Close()
	for arows.Next() {
		var b, p string
		if err := arows.Scan(&b, &p); err != nil {
			return err
		}
		if d := byBase[b]; d != nil {
			d.AllowShadow = append(d.AllowShadow, p)
		}
	}
	return arows.Err()
}

// saveSources replaces the sources and allow-shadow rows of d.
func (q queries) saveSources(ctx context.Context, d *metastore.Distribution) error {
	if _, err := q.q.ExecContext(ctx, `DELETE FROM distribution_sources WHERE base_path = ?`, d.BasePath); err != nil {
		return err
	}
	if _, err := q.q.ExecContext(ctx, `DELETE FROM distribution_allow_shadow WHERE base_path = ?`, d.BasePath); err != nil {
		return err
	}
	for i, s := range d.Sources {
		if _, err := q.q.ExecContext(ctx, `INSERT INTO distribution_sources (base_path, position, repository_id, pinned, pull_remote, pull_ttl_seconds)
			VALUES (?, ?, ?, ?, ?, ?)`, d.BasePath, i, s.RepositoryID, pinArg(s.Pinned), s.PullRemote, int64(s.PullTTL/time.Second)); err != nil {
			return err
		}
	}
	for _, p := range d.AllowShadow {
		if _, err := q.q.ExecContext(ctx, `INSERT INTO distribution_allow_shadow (base_path, project) VALUES (?, ?) ON CONFLICT DO NOTHING`, d.BasePath, p); err != nil {
			return err
		}
	}
	return nil
}

// ProjectSerial implements metastore.ViewReader: a serial of the project in a version up
// to version means some version held (or dropped) its files.
func (q queries) ProjectSerial(ctx context.Context, repoID int64, version int, project string) (int64, error) {
	var serial sql.NullInt64
	err := q.q.QueryRowContext(ctx, `SELECT MAX(s.serial) FROM serials s JOIN projects p ON p.id = s.project_id
		WHERE p.name = ? AND s.repository_id = ? AND s.version <= ?`, project, repoID, version).Scan(&serial)
	return serial.Int64, err
}

// KnownProjects implements metastore.ViewReader.
func (q queries) KnownProjects(ctx context.Context, repoID int64, version int) ([]metastore.ProjectSummary, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT p.name, s.serial FROM
		(SELECT project_id, MAX(serial) AS serial FROM serials WHERE repository_id = ? AND version <= ? GROUP BY project_id) s
		JOIN projects p ON p.id = s.project_id ORDER BY p.name`, repoID, version)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metastore.ProjectSummary
	for rows.Next() {
		var p metastore.ProjectSummary
		if err := rows.Scan(&p.Name, &p.Serial); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// BlockRules implements metastore.ViewReader.
func (q queries) BlockRules(ctx context.Context, repoID int64) ([]metastore.BlockRule, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT rule, project, version, filename, created_at FROM blocklist WHERE repository_id = ? ORDER BY rule`, repoID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metastore.BlockRule
	for rows.Next() {
		r := metastore.BlockRule{RepositoryID: repoID}
		var created int64
		if err := rows.Scan(&r.Rule, &r.Project, &r.Version, &r.Filename, &created); err != nil {
			return nil, err
		}
		r.CreatedAt = fromMicros(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

// AddBlockRule implements metastore.ViewWriter.
func (q queries) AddBlockRule(ctx context.Context, r *metastore.BlockRule) error {
	var n int
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM blocklist WHERE repository_id = ?`, r.RepositoryID).Scan(&n); err != nil {
		return err
	}
	if n >= metastore.MaxBlockRules {
		return fmt.Errorf("the blocklist holds %d rules, at most %d: %w", n, metastore.MaxBlockRules, errs.ErrTooLarge)
	}
	_, err := q.q.ExecContext(ctx, `INSERT INTO blocklist (repository_id, rule, project, version, filename, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		r.RepositoryID, r.Rule, r.Project, r.Version, r.Filename, micros(r.CreatedAt))
	if isUnique(err) {
		return fmt.Errorf("rule %q is already in the blocklist: %w", r.Rule, errs.ErrConflict)
	}
	return err
}

// DeleteBlockRule implements metastore.ViewWriter.
func (q queries) DeleteBlockRule(ctx context.Context, repoID int64, rule string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM blocklist WHERE repository_id = ? AND rule = ?`, repoID, rule)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("rule %q is not in the blocklist: %w", rule, errs.ErrNotFound)
	}
	return nil
}

// SetFilePresence implements metastore.ViewWriter.
func (q queries) SetFilePresence(ctx context.Context, fileID int64, presence string) error {
	if presence != metastore.PresenceStored && presence != metastore.PresenceRemote {
		return fmt.Errorf("presence %q: %w", presence, errs.ErrInvalid)
	}
	res, err := q.q.ExecContext(ctx, `UPDATE files SET presence = ? WHERE id = ?`, presence, fileID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("file row %d: %w", fileID, errs.ErrNotFound)
	}
	return nil
}
