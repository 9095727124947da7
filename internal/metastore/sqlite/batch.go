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

// padded is the length a list of n values (0 < n <= MaxBatch) is sent as: the next power
// of two, at most MaxBatch, the last value repeated. A query's text varies with the
// length of its lists, and each text is a statement of its own in the caches: ten sizes
// stay prepared where five hundred would not.
func padded(n int) int {
	p := 1
	for p < n {
		p *= 2
	}
	return min(p, metastore.MaxBatch)
}

// placeholders is "?, ?, ..." for n values.
func placeholders(n int) string {
	return "?" + strings.Repeat(", ?", n-1)
}

func checkBatch(n int, what string) error {
	if n > metastore.MaxBatch {
		return fmt.Errorf("%d %s in one lookup, at most %d: %w", n, what, metastore.MaxBatch, errs.ErrInvalid)
	}
	return nil
}

// appendPadded appends the values of vs to args, padded to padded(len(vs)).
func appendPadded(args []any, vs []string) []any {
	for _, v := range vs {
		args = append(args, v)
	}
	for range padded(len(vs)) - len(vs) {
		args = append(args, vs[len(vs)-1])
	}
	return args
}

// RepositoryState implements metastore.BatchReader.
func (q queries) RepositoryState(ctx context.Context, name string) (*metastore.RepositoryState, error) {
	var st metastore.RepositoryState
	var created int64
	err := q.q.QueryRowContext(ctx, `SELECT r.id, r.name, r.description, r.latest, r.created_at, r.check_on_upload,
		EXISTS (SELECT 1 FROM repository_content INDEXED BY content_added WHERE repository_id = r.id AND version_added > r.latest)
		OR EXISTS (SELECT 1 FROM repository_content INDEXED BY content_removed WHERE repository_id = r.id AND version_removed > r.latest)
		OR EXISTS (SELECT 1 FROM project_attributes INDEXED BY attributes_added WHERE repository_id = r.id AND version_added > r.latest)
		OR EXISTS (SELECT 1 FROM project_attributes INDEXED BY attributes_removed WHERE repository_id = r.id AND version_removed > r.latest),
		(SELECT COUNT(*) FROM blocklist b WHERE b.repository_id = r.id)
		FROM repositories r WHERE r.name = ?`, name).
		Scan(&st.ID, &st.Name, &st.Description, &st.Latest, &created, &st.CheckOnUpload, &st.Staged, &st.BlockRules)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("repository %q: %w", name, errs.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	st.CreatedAt = fromMicros(created)
	return &st, nil
}

// UsedFilenames implements metastore.BatchReader.
func (q queries) UsedFilenames(ctx context.Context, repoID int64, filenames []string) ([]string, error) {
	if len(filenames) == 0 {
		return nil, nil
	}
	if err := checkBatch(len(filenames), "filenames"); err != nil {
		return nil, err
	}
	args := appendPadded(append(make([]any, 0, 1+padded(len(filenames))), repoID), filenames)
	return q.strings(ctx, `SELECT filename FROM files WHERE repository_id = ? AND filename IN (`+
		placeholders(padded(len(filenames)))+`)`, args...)
}

// ProjectStatuses implements metastore.BatchReader: the status column of Project, for
// many projects, without Project's serial lookup.
func (q queries) ProjectStatuses(ctx context.Context, repoID int64, version int, projects []string) ([]metastore.ProjectStatus, error) {
	if len(projects) == 0 {
		return nil, nil
	}
	if err := checkBatch(len(projects), "projects"); err != nil {
		return nil, err
	}
	args := make([]any, 0, 6+padded(len(projects)))
	args = append(args, repoID, version, version)
	args = appendPadded(args, projects)
	args = append(args, repoID, version, version)
	rows, err := q.q.QueryContext(ctx, `SELECT p.name, COALESCE(a.status, 'active') FROM projects p `+attrJoin+`
		WHERE p.name IN (`+placeholders(padded(len(projects)))+`) AND EXISTS (
			SELECT 1 FROM repository_content rc WHERE rc.repository_id = ? AND rc.project_id = p.id AND `+live+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metastore.ProjectStatus
	var ps metastore.ProjectStatus
	for rows.Next() {
		if err := rows.Scan(&ps.Project, &ps.Status); err != nil {
			return nil, err
		}
		out = append(out, ps)
	}
	return out, rows.Err()
}

// ReleaseState implements metastore.BatchReader: the project's row with its attributes,
// and the release's files joined to it (none: one row of NULLs).
func (q queries) ReleaseState(ctx context.Context, repoID int64, version int, project, versionPrefix string) (string, []metastore.File, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT COALESCE(a.status, 'active'), f.id, f.filename, f.version, f.kind, f.sha256, rc.yanked, rc.yank_reason
		FROM projects p `+attrJoin+`
		LEFT JOIN (repository_content rc JOIN files f ON f.id = rc.file_id)
			ON rc.repository_id = ? AND rc.project_id = p.id AND `+live+` AND substr(f.version, 1, ?) = ?
		WHERE p.name = ? AND EXISTS (
			SELECT 1 FROM repository_content rc WHERE rc.repository_id = ? AND rc.project_id = p.id AND `+live+`)`,
		repoID, version, version, repoID, version, version, len(versionPrefix), versionPrefix, project, repoID, version, version)
	if err != nil {
		return "", nil, err
	}
	defer rows.Close()
	status := ""
	var out []metastore.File
	var id sql.NullInt64
	var filename, fversion, kind, sha, reason sql.NullString
	var yanked sql.NullBool
	for rows.Next() {
		if err := rows.Scan(&status, &id, &filename, &fversion, &kind, &sha, &yanked, &reason); err != nil {
			return "", nil, err
		}
		if id.Valid {
			out = append(out, metastore.File{ID: id.Int64, RepositoryID: repoID, Project: project, Filename: filename.String,
				Version: fversion.String, Kind: kind.String, SHA256: sha.String, Yanked: yanked.Bool, YankReason: reason.String})
		}
	}
	return status, out, rows.Err()
}

// ReleaseFiles implements metastore.BatchReader.
func (q queries) ReleaseFiles(ctx context.Context, repoID int64, version int, releases []metastore.ReleaseQuery) ([]metastore.File, error) {
	if len(releases) == 0 {
		return nil, nil
	}
	if err := checkBatch(len(releases), "releases"); err != nil {
		return nil, err
	}
	n := padded(len(releases))
	args := make([]any, 0, 2*n+3)
	for i := range n {
		r := releases[min(i, len(releases)-1)]
		args = append(args, r.Project, r.VersionPrefix)
	}
	args = append(args, repoID, version, version)
	// Each release reads its project's content rows (CROSS JOIN and INDEXED BY keep the
	// planner there): left to itself, on a database without statistics, it scanned every
	// content row of the repository, and matched each file against every release.
	rows, err := q.q.QueryContext(ctx, `WITH k (project, prefix) AS (VALUES (?, ?)`+strings.Repeat(", (?, ?)", n-1)+`)
		SELECT DISTINCT f.id, p.name, f.filename, f.version, f.kind, f.sha256, rc.yanked, rc.yank_reason
		FROM k CROSS JOIN projects p ON p.name = k.project
		CROSS JOIN repository_content rc INDEXED BY content_project ON rc.repository_id = ? AND rc.project_id = p.id
		JOIN files f ON f.id = rc.file_id
		WHERE `+live+` AND substr(f.version, 1, length(k.prefix)) = k.prefix`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metastore.File
	for rows.Next() {
		f := metastore.File{RepositoryID: repoID}
		if err := rows.Scan(&f.ID, &f.Project, &f.Filename, &f.Version, &f.Kind, &f.SHA256, &f.Yanked, &f.YankReason); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
