package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

func scanRepo(sc interface{ Scan(...any) error }) (*metastore.Repository, error) {
	var r metastore.Repository
	var created int64
	if err := sc.Scan(&r.ID, &r.Name, &r.Description, &r.Latest, &created, &r.CheckOnUpload); err != nil {
		return nil, err
	}
	r.CreatedAt = fromMicros(created)
	return &r, nil
}

const repoCols = `id, name, description, latest, created_at, check_on_upload`

// Repository implements metastore.RepositoryReader.
func (q queries) Repository(ctx context.Context, name string) (*metastore.Repository, error) {
	r, err := scanRepo(q.q.QueryRowContext(ctx, `SELECT `+repoCols+` FROM repositories WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("repository %q: %w", name, errs.ErrNotFound)
	}
	return r, err
}

// RepositoryLatest implements metastore.LatestReader: two columns where Repository
// reads six (the driver allocates each column's name on every run).
func (q queries) RepositoryLatest(ctx context.Context, name string) (int64, int, error) {
	var id int64
	var latest int
	err := q.q.QueryRowContext(ctx, `SELECT id, latest FROM repositories WHERE name = ?`, name).Scan(&id, &latest)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, fmt.Errorf("repository %q: %w", name, errs.ErrNotFound)
	}
	return id, latest, err
}

// Repositories implements metastore.RepositoryReader.
func (q queries) Repositories(ctx context.Context) ([]metastore.Repository, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT `+repoCols+` FROM repositories ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metastore.Repository
	for rows.Next() {
		r, err := scanRepo(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

const versionCols = `repository_id, number, created_at, message, files`

func scanVersion(sc interface{ Scan(...any) error }) (*metastore.Version, error) {
	var v metastore.Version
	var created int64
	if err := sc.Scan(&v.RepositoryID, &v.Number, &created, &v.Message, &v.Files); err != nil {
		return nil, err
	}
	v.CreatedAt = fromMicros(created)
	return &v, nil
}

// Versions implements metastore.RepositoryReader.
func (q queries) Versions(ctx context.Context, repoID int64) ([]metastore.Version, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT `+versionCols+` FROM repository_versions WHERE repository_id = ? ORDER BY number`, repoID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metastore.Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

// Version implements metastore.RepositoryReader.
func (q queries) Version(ctx context.Context, repoID int64, number int) (*metastore.Version, error) {
	v, err := scanVersion(q.q.QueryRowContext(ctx, `SELECT `+versionCols+` FROM repository_versions WHERE repository_id = ? AND number = ?`, repoID, number))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("repository version %d: %w", number, errs.ErrNotFound)
	}
	return v, err
}

// CreateRepository implements metastore.RepositoryWriter.
func (q queries) CreateRepository(ctx context.Context, name, description string, now time.Time) (*metastore.Repository, error) {
	var id int64
	err := q.q.QueryRowContext(ctx, `INSERT INTO repositories (name, description, latest, created_at) VALUES (?, ?, 0, ?) RETURNING id`,
		name, description, micros(now)).Scan(&id)
	if isUnique(err) {
		return nil, fmt.Errorf("repository %q already exists: %w", name, errs.ErrConflict)
	}
	if err != nil {
		return nil, err
	}
	if _, err := q.q.ExecContext(ctx, `INSERT INTO repository_versions (repository_id, number, created_at, message, files) VALUES (?, 0, ?, 'create', 0)`,
		id, micros(now)); err != nil {
		return nil, err
	}
	return &metastore.Repository{ID: id, Name: name, Description: description, CreatedAt: fromMicros(micros(now))}, nil
}

// BeginVersion implements metastore.RepositoryWriter.
func (q queries) BeginVersion(ctx context.Context, repoID int64, message string, now time.Time) (int, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `UPDATE repositories SET latest = latest + 1 WHERE id = ? RETURNING latest`, repoID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("repository %d: %w", repoID, errs.ErrNotFound)
	}
	if err != nil {
		return 0, err
	}
	_, err = q.q.ExecContext(ctx, `INSERT INTO repository_versions (repository_id, number, created_at, message, files)
		SELECT repository_id, ?, ?, ?, files FROM repository_versions WHERE repository_id = ? AND number = ?`,
		n, micros(now), message, repoID, n-1)
	return n, err
}

// FinishVersion implements metastore.RepositoryWriter. A project whose attributes alone
// changed gets a serial too: its pages change.
func (q queries) FinishVersion(ctx context.Context, repoID int64, number int, now time.Time) error {
	if _, err := q.q.ExecContext(ctx, `INSERT INTO serials (repository_id, version, project_id, created_at)
		SELECT ?, ?, project_id, ? FROM (
			SELECT project_id FROM repository_content INDEXED BY content_added WHERE repository_id = ? AND version_added = ?
			UNION
			SELECT project_id FROM repository_content INDEXED BY content_removed WHERE repository_id = ? AND version_removed = ?
			UNION
			SELECT project_id FROM project_attributes INDEXED BY attributes_added WHERE repository_id = ? AND version_added = ?
			UNION
			SELECT project_id FROM project_attributes INDEXED BY attributes_removed WHERE repository_id = ? AND version_removed = ?
		) changed ORDER BY project_id`,
		repoID, number, micros(now), repoID, number, repoID, number, repoID, number, repoID, number); err != nil {
		return err
	}
	// BeginVersion copied the previous count; adjust it by what this version changed.
	// INDEXED BY: without statistics SQLite's planner picked content_project or a range on
	// version_added for these, scanning every row of the repository on every upload
	// (seeding 100,000 files slowed to a crawl).
	_, err := q.q.ExecContext(ctx, `UPDATE repository_versions SET files = files
			+ (SELECT COUNT(*) FROM repository_content INDEXED BY content_added WHERE repository_id = ? AND version_added = ? AND version_removed IS NULL)
			- (SELECT COUNT(*) FROM repository_content INDEXED BY content_removed WHERE repository_id = ? AND version_removed = ? AND version_added < ?)
		WHERE repository_id = ? AND number = ?`,
		repoID, number, repoID, number, number, repoID, number)
	return err
}
