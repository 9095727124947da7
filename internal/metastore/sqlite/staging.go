package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pydepot/pydepot/internal/errs"
)

// The staged version's rows, those numbered above the repository's latest version, are
// found through ranges of the ..._added and ..._removed indexes of repository_content
// and project_attributes.

// latestOf is the latest version of the repository.
func (q queries) latestOf(ctx context.Context, repoID int64) (int, error) {
	var latest int
	err := q.q.QueryRowContext(ctx, `SELECT latest FROM repositories WHERE id = ?`, repoID).Scan(&latest)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("repository %d: %w", repoID, errs.ErrNotFound)
	}
	return latest, err
}

// DiscardStaged implements metastore.StagingWriter.
func (q queries) DiscardStaged(ctx context.Context, repoID int64) (bool, error) {
	has, err := q.HasStaged(ctx, repoID)
	if err != nil || !has {
		return false, err
	}
	clear(q.names)
	p, err := q.latestOf(ctx, repoID)
	if err != nil {
		return false, err
	}
	// The file rows the staged version added (held by no real version's row) go first,
	// while their content rows still find them; the foreign keys are checked at commit.
	if _, err := q.q.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
		return false, err
	}
	stagedFiles := `SELECT rc.file_id FROM repository_content rc INDEXED BY content_added WHERE rc.repository_id = ? AND rc.version_added > ?
		AND NOT EXISTS (SELECT 1 FROM repository_content o INDEXED BY content_file
			WHERE o.repository_id = rc.repository_id AND o.file_id = rc.file_id AND o.version_added <= ?)`
	// Their parsed metadata goes too when no other file row has that metadata file (as
	// retention does), so that gc may free the metadata blobs.
	if _, err := q.q.ExecContext(ctx, `DELETE FROM parsed_metadata WHERE metadata_sha256 IN (
			SELECT f.metadata_sha256 FROM files f WHERE f.id IN (`+stagedFiles+`))
		AND NOT EXISTS (SELECT 1 FROM files o WHERE o.metadata_sha256 = parsed_metadata.metadata_sha256 AND o.id NOT IN (`+stagedFiles+`))`,
		repoID, p, p, repoID, p, p); err != nil {
		return false, err
	}
	for _, table := range []string{"import_names WHERE file_id", "files WHERE id"} {
		if _, err := q.q.ExecContext(ctx, `DELETE FROM `+table+` IN (`+stagedFiles+`)`, repoID, p, p); err != nil {
			return false, err
		}
	}
	for _, stmt := range []string{
		`DELETE FROM repository_content WHERE repository_id = ? AND version_added > ?`,
		`UPDATE repository_content SET version_removed = NULL WHERE repository_id = ? AND version_removed > ?`,
		`DELETE FROM project_attributes WHERE repository_id = ? AND version_added > ?`,
		`UPDATE project_attributes SET version_removed = NULL WHERE repository_id = ? AND version_removed > ?`,
	} {
		if _, err := q.q.ExecContext(ctx, stmt, repoID, p); err != nil {
			return false, err
		}
	}
	return true, nil
}

// HasStaged implements metastore.StagingWriter.
func (q queries) HasStaged(ctx context.Context, repoID int64) (bool, error) {
	p, err := q.latestOf(ctx, repoID)
	if err != nil {
		return false, err
	}
	var has bool
	err = q.q.QueryRowContext(ctx, `SELECT `+stagedExists, repoID, p, repoID, p, repoID, p, repoID, p).Scan(&has)
	return has, err
}

// stagedExists is true when a repository (the first of each pair of arguments) has rows
// numbered above a version (the second: its latest).
const stagedExists = `EXISTS (SELECT 1 FROM repository_content INDEXED BY content_added WHERE repository_id = ? AND version_added > ?)
		OR EXISTS (SELECT 1 FROM repository_content INDEXED BY content_removed WHERE repository_id = ? AND version_removed > ?)
		OR EXISTS (SELECT 1 FROM project_attributes INDEXED BY attributes_added WHERE repository_id = ? AND version_added > ?)
		OR EXISTS (SELECT 1 FROM project_attributes INDEXED BY attributes_removed WHERE repository_id = ? AND version_removed > ?)`
