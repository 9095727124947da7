package sqlite

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// Delta conditions on a versioned row r (content or attributes), arguments lo, hi, lo
// for deltaGone and lo, hi, hi for deltaCame: a row of lo missing from hi was removed in
// (lo, hi]; a row of hi missing from lo was added in (lo, hi]. Each is a range scan of one
// index (..._removed, ..._added).
const (
	deltaGone = `r.version_removed > ? AND r.version_removed <= ? AND r.version_added <= ?`
	deltaCame = `r.version_added > ? AND r.version_added <= ? AND (r.version_removed IS NULL OR r.version_removed > ?)`
)

func checkDelta(lo, hi, limit int) error {
	if lo >= hi || limit <= 0 {
		return fmt.Errorf("delta between versions %d and %d (limit %d): %w", lo, hi, limit, errs.ErrInvalid)
	}
	return nil
}

// ContentDelta implements metastore.LifecycleReader.
func (q queries) ContentDelta(ctx context.Context, repoID int64, lo, hi, limit int) (before, after []metastore.File, err error) {
	if err := checkDelta(lo, hi, limit); err != nil {
		return nil, nil, err
	}
	query := func(index, cond string) string {
		return `SELECT f.id, f.filename, p.name, f.version, f.sha256, f.size, r.yanked, r.yank_reason
			FROM repository_content r INDEXED BY ` + index + `
			JOIN files f ON f.id = r.file_id JOIN projects p ON p.id = r.project_id
			WHERE r.repository_id = ? AND ` + cond + ` ORDER BY f.filename LIMIT ?`
	}
	scan := func(sc interface{ Scan(...any) error }) (metastore.File, error) {
		f := metastore.File{RepositoryID: repoID}
		err := sc.Scan(&f.ID, &f.Filename, &f.Project, &f.Version, &f.SHA256, &f.Size, &f.Yanked, &f.YankReason)
		return f, err
	}
	if before, err = deltaRows(ctx, q, query("content_removed", deltaGone), limit, scan, repoID, lo, hi, lo, limit+1); err != nil {
		return nil, nil, err
	}
	after, err = deltaRows(ctx, q, query("content_added", deltaCame), limit, scan, repoID, lo, hi, hi, limit+1)
	return before, after, err
}

// AttributeDelta implements metastore.LifecycleReader.
func (q queries) AttributeDelta(ctx context.Context, repoID int64, lo, hi, limit int) (before, after []metastore.AttributeRow, err error) {
	if err := checkDelta(lo, hi, limit); err != nil {
		return nil, nil, err
	}
	query := func(index, cond string) string {
		return `SELECT p.name, r.display_name, r.status, r.status_reason
			FROM project_attributes r INDEXED BY ` + index + ` JOIN projects p ON p.id = r.project_id
			WHERE r.repository_id = ? AND ` + cond + ` ORDER BY p.name LIMIT ?`
	}
	scan := func(sc interface{ Scan(...any) error }) (metastore.AttributeRow, error) {
		var a metastore.AttributeRow
		err := sc.Scan(&a.Project, &a.DisplayName, &a.Status, &a.StatusReason)
		return a, err
	}
	if before, err = deltaRows(ctx, q, query("attributes_removed", deltaGone), limit, scan, repoID, lo, hi, lo, limit+1); err != nil {
		return nil, nil, err
	}
	after, err = deltaRows(ctx, q, query("attributes_added", deltaCame), limit, scan, repoID, lo, hi, hi, limit+1)
	return before, after, err
}

func deltaRows[T any](ctx context.Context, q queries, query string, limit int, scan func(interface{ Scan(...any) error }) (T, error), args ...any) ([]T, error) {
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		if len(out) == limit {
			return nil, fmt.Errorf("more than %d rows differ between the two versions: %w", limit, errs.ErrTooLarge)
		}
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ReclaimVersions implements metastore.RetentionWriter. A row is held by a remaining
// version when its interval [version_added, version_removed) reaches keepFrom or holds
// one of keep; every other row goes, found through the ..._removed indexes.
func (q queries) ReclaimVersions(ctx context.Context, repoID int64, keepFrom int, keep []int) (*metastore.Reclaimed, error) {
	clear(q.names)
	var latest int
	if err := q.q.QueryRowContext(ctx, `SELECT latest FROM repositories WHERE id = ?`, repoID).Scan(&latest); err != nil {
		return nil, fmt.Errorf("repository %d: %w", repoID, err)
	}
	if keepFrom > latest || keepFrom < 0 {
		return nil, fmt.Errorf("keep from version %d of a repository at version %d: %w", keepFrom, latest, errs.ErrInvalid)
	}
	if len(keep) > metastore.MaxBatch {
		return nil, fmt.Errorf("%d versions to keep besides the last ones, at most %d: %w", len(keep), metastore.MaxBatch, errs.ErrInvalid)
	}
	// kept(v): the extra versions, as a VALUES list (keepFrom itself makes it non-empty).
	kept := `WITH kept(v) AS (VALUES (?)` + strings.Repeat(", (?)", len(keep)) + `) `
	keptArgs := []any{keepFrom}
	for _, v := range keep {
		keptArgs = append(keptArgs, v)
	}
	out := &metastore.Reclaimed{}
	args := append(append([]any{}, keptArgs...), repoID, keepFrom)
	rows, err := q.q.QueryContext(ctx, kept+`DELETE FROM repository_versions WHERE repository_id = ? AND number < ?
		AND number NOT IN (SELECT v FROM kept) RETURNING number`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		out.Versions = append(out.Versions, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Ints(out.Versions)
	if len(out.Versions) == 0 {
		return out, nil
	}
	unheld := `repository_id = ? AND version_removed IS NOT NULL AND version_removed <= ?
		AND NOT EXISTS (SELECT 1 FROM kept WHERE kept.v >= version_added AND kept.v < version_removed)`
	for _, t := range []struct {
		table string
		n     *int
	}{{"repository_content", &out.ContentRows}, {"project_attributes", &out.AttributeRows}} {
		res, err := q.q.ExecContext(ctx, kept+`DELETE FROM `+t.table+` WHERE `+unheld, args...)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		*t.n = int(n)
	}
	if out.Files, err = q.unheldFiles(ctx, repoID); err != nil {
		return nil, err
	}
	metas := map[string]bool{}
	for start := 0; start < len(out.Files); start += metastore.MaxBatch {
		batch := out.Files[start:min(start+metastore.MaxBatch, len(out.Files))]
		ids := make([]any, len(batch))
		for i, f := range batch {
			ids[i] = f.ID
			if f.MetadataSHA256 != "" {
				metas[f.MetadataSHA256] = true
			}
		}
		in := `(?` + strings.Repeat(", ?", len(ids)-1) + `)`
		if _, err := q.q.ExecContext(ctx, `DELETE FROM import_names WHERE file_id IN `+in, ids...); err != nil {
			return nil, err
		}
		if _, err := q.q.ExecContext(ctx, `DELETE FROM files WHERE id IN `+in, ids...); err != nil {
			return nil, err
		}
	}
	for sha := range metas {
		res, err := q.q.ExecContext(ctx, `DELETE FROM parsed_metadata WHERE metadata_sha256 = ?
			AND NOT EXISTS (SELECT 1 FROM files WHERE metadata_sha256 = ?)`, sha, sha)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		out.ParsedMetadata += int(n)
	}
	return out, nil
}

// unheldFiles lists the file rows of the repository that no content row holds.
func (q queries) unheldFiles(ctx context.Context, repoID int64) ([]metastore.File, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT f.id, f.filename, p.name, f.version, f.sha256, f.size, f.metadata_sha256
		FROM files f JOIN projects p ON p.id = f.project_id WHERE f.repository_id = ?
		AND NOT EXISTS (SELECT 1 FROM repository_content rc INDEXED BY content_file WHERE rc.repository_id = f.repository_id AND rc.file_id = f.id)
		ORDER BY f.filename`, repoID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metastore.File
	for rows.Next() {
		f := metastore.File{RepositoryID: repoID}
		if err := rows.Scan(&f.ID, &f.Filename, &f.Project, &f.Version, &f.SHA256, &f.Size, &f.MetadataSHA256); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// ChangedSince implements metastore.LifecycleReader. serial is the table's INTEGER
// PRIMARY KEY, so "serial > since" is a range of the table itself (NOT INDEXED keeps the
// planner from scanning a repository's whole history through serials_version instead).
func (q queries) ChangedSince(ctx context.Context, repoID int64, version int, since int64, limit int) ([]metastore.ProjectSerial, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("changes since serial %d (limit %d): %w", since, limit, errs.ErrInvalid)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT p.name, `+attrCols+`, c.serial,
		EXISTS (SELECT 1 FROM repository_content rc WHERE rc.repository_id = ? AND rc.project_id = p.id AND `+live+`)
		FROM (SELECT project_id, MAX(serial) AS serial FROM serials NOT INDEXED
			WHERE serial > ? AND repository_id = ? AND version <= ? GROUP BY project_id) c
		JOIN projects p ON p.id = c.project_id `+attrJoin+`
		ORDER BY c.serial LIMIT ?`,
		repoID, version, version, since, repoID, version, repoID, version, version, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metastore.ProjectSerial
	for rows.Next() {
		var p metastore.ProjectSerial
		var status, reason string
		if err := rows.Scan(&p.Project, &p.DisplayName, &status, &reason, &p.Serial, &p.Held); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
