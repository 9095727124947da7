package sqlite

import (
	"context"

	"github.com/pydepot/pydepot/internal/metastore"
)

// The staged version's rows are found through the ..._added and ..._removed indexes of
// repository_content and project_attributes, as FinishVersion finds a version's.

// PublishStaged implements metastore.StagingWriter.
func (q queries) PublishStaged(ctx context.Context, repoID int64, number int) error {
	clear(q.names)
	for _, stmt := range []string{
		`UPDATE repository_content SET version_added = ? WHERE repository_id = ? AND version_added = ?`,
		`UPDATE repository_content SET version_removed = ? WHERE repository_id = ? AND version_removed = ?`,
		`UPDATE project_attributes SET version_added = ? WHERE repository_id = ? AND version_added = ?`,
		`UPDATE project_attributes SET version_removed = ? WHERE repository_id = ? AND version_removed = ?`,
	} {
		if _, err := q.q.ExecContext(ctx, stmt, number, repoID, metastore.StagedVersion); err != nil {
			return err
		}
	}
	return nil
}

// DiscardStaged implements metastore.StagingWriter.
func (q queries) DiscardStaged(ctx context.Context, repoID int64) (bool, error) {
	has, err := q.HasStaged(ctx, repoID)
	if err != nil || !has {
		return false, err
	}
	clear(q.names)
	const p = metastore.StagedVersion
	// The file rows the staged version added (held by no real version's row) go first,
	// while their content rows still find them; the foreign keys are checked at commit.
	if _, err := q.q.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
		return false, err
	}
	stagedFiles := `SELECT rc.file_id FROM repository_content rc INDEXED BY content_added WHERE rc.repository_id = ? AND rc.version_added = ?
		AND NOT EXISTS (SELECT 1 FROM repository_content o INDEXED BY content_file
			WHERE o.repository_id = rc.repository_id AND o.file_id = rc.file_id AND o.version_added <> ?)`
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
		`DELETE FROM repository_content WHERE repository_id = ? AND version_added = ?`,
		`UPDATE repository_content SET version_removed = NULL WHERE repository_id = ? AND version_removed = ?`,
		`DELETE FROM project_attributes WHERE repository_id = ? AND version_added = ?`,
		`UPDATE project_attributes SET version_removed = NULL WHERE repository_id = ? AND version_removed = ?`,
	} {
		if _, err := q.q.ExecContext(ctx, stmt, repoID, p); err != nil {
			return false, err
		}
	}
	return true, nil
}

// HasStaged implements metastore.StagingWriter.
func (q queries) HasStaged(ctx context.Context, repoID int64) (bool, error) {
	const p = metastore.StagedVersion
	var has bool
	err := q.q.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM repository_content INDEXED BY content_added WHERE repository_id = ? AND version_added = ?)
		OR EXISTS (SELECT 1 FROM repository_content INDEXED BY content_removed WHERE repository_id = ? AND version_removed = ?)
		OR EXISTS (SELECT 1 FROM project_attributes INDEXED BY attributes_added WHERE repository_id = ? AND version_added = ?)
		OR EXISTS (SELECT 1 FROM project_attributes INDEXED BY attributes_removed WHERE repository_id = ? AND version_removed = ?)`,
		repoID, p, repoID, p, repoID, p, repoID, p).Scan(&has)
	return has, err
}
