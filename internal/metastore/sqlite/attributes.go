package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// Project attributes (display name, PEP 792 status) are rows of project_attributes,
// versioned like repository_content: version N holds the rows with liveAttrs true.

// liveAttrs is the condition "attribute row a is in version ?" (the argument twice).
const liveAttrs = `a.version_added <= ? AND (a.version_removed IS NULL OR a.version_removed > ?)`

// attrCols reads the attributes of project p joined as a (LEFT JOIN: a project without a
// row reads as its normalized name, active).
const attrCols = `COALESCE(a.display_name, p.name), COALESCE(a.status, 'active'), COALESCE(a.status_reason, '')`

// attrJoin joins the attribute row of project p in a version; arguments: repository,
// version, version.
const attrJoin = `LEFT JOIN project_attributes a INDEXED BY attributes_project
	ON a.repository_id = ? AND a.project_id = p.id AND ` + liveAttrs

// currentAttrs is the open attribute row of a project in a repository (its latest state).
type currentAttrs struct {
	id    int64
	added int
	metastore.ProjectAttributes
}

// currentAttributes returns the open row, or nil when the repository has none for it.
func (q queries) currentAttributes(ctx context.Context, repoID, projectID int64) (*currentAttrs, error) {
	var c currentAttrs
	err := q.q.QueryRowContext(ctx, `SELECT id, version_added, display_name, status, status_reason
		FROM project_attributes INDEXED BY attributes_project
		WHERE repository_id = ? AND project_id = ? AND version_removed IS NULL ORDER BY id DESC LIMIT 1`,
		repoID, projectID).Scan(&c.id, &c.added, &c.DisplayName, &c.Status, &c.StatusReason)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// putAttributes makes a the project's attributes in version (the one being made). A row
// opened by this very version changes in place; an older one is closed and a new one
// opened, so that earlier versions keep theirs. Equal attributes write nothing.
func (q queries) putAttributes(ctx context.Context, repoID, projectID int64, version int, a metastore.ProjectAttributes) (bool, error) {
	cur, err := q.currentAttributes(ctx, repoID, projectID)
	if err != nil {
		return false, err
	}
	return q.replaceAttributes(ctx, repoID, projectID, version, cur, a)
}

// replaceAttributes is putAttributes over cur, the open row its caller read already.
func (q queries) replaceAttributes(ctx context.Context, repoID, projectID int64, version int, cur *currentAttrs, a metastore.ProjectAttributes) (bool, error) {
	delete(q.names, projectID)
	if a.Status == "" {
		a.Status = "active"
	}
	if cur != nil && cur.ProjectAttributes == a {
		return false, nil
	}
	if cur != nil && cur.added == version {
		_, err := q.q.ExecContext(ctx, `UPDATE project_attributes SET display_name = ?, status = ?, status_reason = ? WHERE id = ?`,
			a.DisplayName, a.Status, a.StatusReason, cur.id)
		return err == nil, err
	}
	if cur != nil {
		if _, err := q.q.ExecContext(ctx, `UPDATE project_attributes SET version_removed = ? WHERE id = ?`, version, cur.id); err != nil {
			return false, err
		}
	}
	_, err := q.q.ExecContext(ctx, `INSERT INTO project_attributes (repository_id, project_id, display_name, status, status_reason, version_added)
		VALUES (?, ?, ?, ?, ?, ?)`, repoID, projectID, a.DisplayName, a.Status, a.StatusReason, version)
	return err == nil, err
}

// uploadedName sets the display name an upload brings, keeping the repository's status;
// with read, cur is the project's open row its caller read already.
func (q queries) uploadedName(ctx context.Context, repoID, projectID int64, version int, name string, cur *currentAttrs, read bool) error {
	as := uploadedAs{repoID, version, name}
	if q.names[projectID] == as {
		return nil // this very name in this very version: the row is as it would be left
	}
	if !read {
		var err error
		if cur, err = q.currentAttributes(ctx, repoID, projectID); err != nil {
			return err
		}
	}
	a := metastore.ProjectAttributes{DisplayName: name}
	if cur != nil {
		a.Status, a.StatusReason = cur.Status, cur.StatusReason
	}
	if _, err := q.replaceAttributes(ctx, repoID, projectID, version, cur, a); err != nil {
		return err
	}
	if q.names != nil {
		q.names[projectID] = as
	}
	return nil
}

// ensureAttributes gives a project that the latest state has no attributes for (all its
// files went with a rollback to before it existed) its file's name, active.
func (q queries) ensureAttributes(ctx context.Context, repoID, projectID int64, version int, name string) error {
	cur, err := q.currentAttributes(ctx, repoID, projectID)
	if err != nil || cur != nil {
		return err
	}
	_, err = q.replaceAttributes(ctx, repoID, projectID, version, nil, metastore.ProjectAttributes{DisplayName: name})
	return err
}

// SetProjectAttributes implements metastore.ContentWriter.
func (q queries) SetProjectAttributes(ctx context.Context, repoID int64, version int, project string, a metastore.ProjectAttributes) (bool, error) {
	var pid int64
	err := q.q.QueryRowContext(ctx, `SELECT id FROM projects WHERE name = ?`, project).Scan(&pid)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("project %q: %w", project, errs.ErrNotFound)
	}
	if err != nil {
		return false, err
	}
	return q.putAttributes(ctx, repoID, pid, version, a)
}

// restoreAttributes makes version's attributes those of version to (see RestoreContent).
func (q queries) restoreAttributes(ctx context.Context, repoID int64, version, to int) error {
	clear(q.names)
	if _, err := q.q.ExecContext(ctx, `INSERT INTO project_attributes
		(repository_id, project_id, display_name, status, status_reason, version_added)
		SELECT repository_id, project_id, display_name, status, status_reason, ? FROM project_attributes
		WHERE repository_id = ? AND version_added <= ? AND version_removed IS NOT NULL AND version_removed > ? AND version_removed < ?
		ORDER BY id`, version, repoID, to, to, version); err != nil {
		return err
	}
	_, err := q.q.ExecContext(ctx, `UPDATE project_attributes SET version_removed = ?
		WHERE repository_id = ? AND version_removed IS NULL AND version_added > ? AND version_added < ?`, version, repoID, to, version)
	return err
}
