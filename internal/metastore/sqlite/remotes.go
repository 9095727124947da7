package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

const remoteCols = `id, name, url, config, username, password, token, created_at, updated_at`

func scanRemote(sc interface{ Scan(...any) error }) (*metastore.Remote, error) {
	var r metastore.Remote
	var cfg string
	var created, updated int64
	if err := sc.Scan(&r.ID, &r.Name, &r.URL, &cfg, &r.Username, &r.Password, &r.Token, &created, &updated); err != nil {
		return nil, err
	}
	r.Config, r.CreatedAt, r.UpdatedAt = []byte(cfg), fromMicros(created), fromMicros(updated)
	return &r, nil
}

// Remote implements metastore.RemoteReader.
func (q queries) Remote(ctx context.Context, name string) (*metastore.Remote, error) {
	r, err := scanRemote(q.q.QueryRowContext(ctx, `SELECT `+remoteCols+` FROM remotes WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("remote %q: %w", name, errs.ErrNotFound)
	}
	return r, err
}

// Remotes implements metastore.RemoteReader.
func (q queries) Remotes(ctx context.Context) ([]metastore.Remote, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT `+remoteCols+` FROM remotes ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metastore.Remote
	for rows.Next() {
		r, err := scanRemote(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// SyncStates implements metastore.RemoteReader.
func (q queries) SyncStates(ctx context.Context, remoteID, repoID int64, projects []string) ([]metastore.SyncState, error) {
	if len(projects) == 0 {
		return nil, nil
	}
	if len(projects) > metastore.MaxBatch {
		return nil, fmt.Errorf("%d projects in one lookup, at most %d: %w", len(projects), metastore.MaxBatch, errs.ErrInvalid)
	}
	args := []any{remoteID, repoID}
	for _, p := range projects {
		args = append(args, p)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT project, etag, last_modified, serial, mirrored, config, synced_at FROM remote_sync_state
		WHERE remote_id = ? AND repository_id = ? AND project IN (?`+strings.Repeat(", ?", len(projects)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metastore.SyncState
	for rows.Next() {
		s := metastore.SyncState{RemoteID: remoteID, RepositoryID: repoID}
		var at int64
		if err := rows.Scan(&s.Project, &s.ETag, &s.LastModified, &s.Serial, &s.Mirrored, &s.Config, &at); err != nil {
			return nil, err
		}
		s.SyncedAt = fromMicros(at)
		out = append(out, s)
	}
	return out, rows.Err()
}

// SyncedProjects implements metastore.RemoteReader.
func (q queries) SyncedProjects(ctx context.Context, remoteID, repoID int64, fn func(string) error) error {
	after := ""
	for {
		page, err := q.syncedPage(ctx, remoteID, repoID, after)
		if err != nil {
			return err
		}
		for _, p := range page {
			if err := fn(p); err != nil {
				return err
			}
		}
		if len(page) < metastore.MaxBatch {
			return nil
		}
		after = page[len(page)-1]
	}
}

func (q queries) syncedPage(ctx context.Context, remoteID, repoID int64, after string) ([]string, error) {
	return q.strings(ctx, `SELECT project FROM remote_sync_state
		WHERE remote_id = ? AND repository_id = ? AND project > ? ORDER BY project LIMIT ?`, remoteID, repoID, after, metastore.MaxBatch)
}

// CreateRemote implements metastore.RemoteWriter.
func (q queries) CreateRemote(ctx context.Context, r *metastore.Remote) error {
	err := q.q.QueryRowContext(ctx, `INSERT INTO remotes (name, url, config, username, password, token, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, r.Name, r.URL, string(r.Config), r.Username, r.Password, r.Token,
		micros(r.CreatedAt), micros(r.UpdatedAt)).Scan(&r.ID)
	if isUnique(err) {
		return fmt.Errorf("remote %q already exists: %w", r.Name, errs.ErrConflict)
	}
	return err
}

// UpdateRemote implements metastore.RemoteWriter.
func (q queries) UpdateRemote(ctx context.Context, r *metastore.Remote) error {
	res, err := q.q.ExecContext(ctx, `UPDATE remotes SET url = ?, config = ?, username = ?, password = ?, token = ?, updated_at = ?
		WHERE name = ?`, r.URL, string(r.Config), r.Username, r.Password, r.Token, micros(r.UpdatedAt), r.Name)
	return affected(res, err, "remote "+r.Name)
}

// DeleteRemote implements metastore.RemoteWriter.
func (q queries) DeleteRemote(ctx context.Context, name string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM remotes WHERE name = ?`, name)
	return affected(res, err, "remote "+name)
}

func affected(res sql.Result, err error, what string) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("%s: %w", what, errs.ErrNotFound)
	}
	return nil
}

// PutSyncStates implements metastore.RemoteWriter.
func (q queries) PutSyncStates(ctx context.Context, states []metastore.SyncState) error {
	for _, s := range states {
		if _, err := q.q.ExecContext(ctx, `INSERT INTO remote_sync_state
			(remote_id, repository_id, project, etag, last_modified, serial, mirrored, config, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (remote_id, repository_id, project) DO UPDATE SET etag = excluded.etag,
				last_modified = excluded.last_modified, serial = excluded.serial, mirrored = excluded.mirrored,
				config = excluded.config, synced_at = excluded.synced_at`,
			s.RemoteID, s.RepositoryID, s.Project, s.ETag, s.LastModified, s.Serial, s.Mirrored, s.Config, micros(s.SyncedAt)); err != nil {
			return err
		}
	}
	return nil
}

// DeleteSyncStates implements metastore.RemoteWriter.
func (q queries) DeleteSyncStates(ctx context.Context, remoteID, repoID int64, project string) error {
	query, args := `DELETE FROM remote_sync_state WHERE remote_id = ?`, []any{remoteID}
	if repoID != 0 {
		query, args = query+` AND repository_id = ?`, append(args, repoID)
	}
	if project != "" {
		query, args = query+` AND project = ?`, append(args, project)
	}
	_, err := q.q.ExecContext(ctx, query, args...)
	return err
}
