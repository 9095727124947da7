package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pydepot/pydepot/internal/errs"
)

// ParsedMetadata implements metastore.ContentReader.
func (q queries) ParsedMetadata(ctx context.Context, metadataSHA256 string) ([]byte, error) {
	var parsed string
	err := q.q.QueryRowContext(ctx, `SELECT parsed FROM parsed_metadata WHERE metadata_sha256 = ?`, metadataSHA256).Scan(&parsed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("parsed metadata %s: %w", metadataSHA256, errs.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return []byte(parsed), nil
}

// PutParsedMetadata implements metastore.ContentWriter.
func (q queries) PutParsedMetadata(ctx context.Context, metadataSHA256 string, parsed []byte) error {
	if metadataSHA256 == "" || len(parsed) == 0 {
		return fmt.Errorf("parsed metadata without a digest or content: %w", errs.ErrInvalid)
	}
	_, err := q.q.ExecContext(ctx, `INSERT INTO parsed_metadata (metadata_sha256, parsed) VALUES (?, ?)
		ON CONFLICT (metadata_sha256) DO NOTHING`, metadataSHA256, string(parsed))
	return err
}
