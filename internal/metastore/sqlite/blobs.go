package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// getBlob inserts the blobs row of sha when there is none (a known size replaces an
// unknown one); an existing row keeps its times.
func (q queries) getBlob(ctx context.Context, sha string, size int64, now time.Time) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO blobs (digest, size, first_seen, touched_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (digest) DO UPDATE SET size = excluded.size WHERE blobs.size < 0 AND excluded.size >= 0`,
		sha, size, micros(now), micros(now))
	return err
}

// getBlobs is getBlob for two blobs (a file and its metadata file) in one statement.
func (q queries) getBlobs(ctx context.Context, sha string, size int64, sha2 string, size2 int64, now time.Time) error {
	if sha == sha2 { // as the second insert would do after the first
		if size < 0 {
			size = size2
		}
		return q.getBlob(ctx, sha, size, now)
	}
	_, err := q.q.ExecContext(ctx, `INSERT INTO blobs (digest, size, first_seen, touched_at) VALUES (?, ?, ?, ?), (?, ?, ?, ?)
		ON CONFLICT (digest) DO UPDATE SET size = excluded.size WHERE blobs.size < 0 AND excluded.size >= 0`,
		sha, size, micros(now), micros(now), sha2, size2, micros(now), micros(now))
	return err
}

// TouchBlob implements metastore.ContentWriter.
func (q queries) TouchBlob(ctx context.Context, sha string, size int64, now time.Time) error {
	if sha == "" {
		return fmt.Errorf("blob without a digest: %w", errs.ErrInvalid)
	}
	_, err := q.q.ExecContext(ctx, `INSERT INTO blobs (digest, size, first_seen, touched_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (digest) DO UPDATE SET touched_at = MAX(blobs.touched_at, excluded.touched_at),
			size = CASE WHEN blobs.size < 0 THEN excluded.size ELSE blobs.size END`,
		sha, size, micros(now), micros(now))
	return err
}

// TouchBlobs implements metastore.BatchWriter.
func (q queries) TouchBlobs(ctx context.Context, blobs []metastore.Blob, now time.Time) error {
	if len(blobs) == 0 {
		return nil
	}
	if err := checkBatch(len(blobs), "blobs"); err != nil {
		return err
	}
	args := make([]any, 0, 4*len(blobs))
	for _, b := range blobs {
		if b.SHA256 == "" {
			return fmt.Errorf("blob without a digest: %w", errs.ErrInvalid)
		}
		args = append(args, b.SHA256, b.Size, micros(now), micros(now))
	}
	_, err := q.q.ExecContext(ctx, `INSERT INTO blobs (digest, size, first_seen, touched_at) VALUES (?, ?, ?, ?)`+
		strings.Repeat(", (?, ?, ?, ?)", len(blobs)-1)+`
		ON CONFLICT (digest) DO UPDATE SET touched_at = MAX(blobs.touched_at, excluded.touched_at),
			size = CASE WHEN blobs.size < 0 THEN excluded.size ELSE blobs.size END`, args...)
	return err
}

// DeleteBlob implements metastore.ContentWriter.
func (q queries) DeleteBlob(ctx context.Context, sha string) error {
	_, err := q.q.ExecContext(ctx, `DELETE FROM blobs WHERE digest = ?`, sha)
	return err
}

// Blobs implements metastore.ContentReader.
func (q queries) Blobs(ctx context.Context, shas []string) ([]metastore.Blob, error) {
	if len(shas) == 0 {
		return nil, nil
	}
	if len(shas) > metastore.MaxBatch {
		return nil, fmt.Errorf("%d digests in one lookup, at most %d: %w", len(shas), metastore.MaxBatch, errs.ErrInvalid)
	}
	args := make([]any, len(shas))
	for i, s := range shas {
		args[i] = s
	}
	rows, err := q.q.QueryContext(ctx, `SELECT digest, size, first_seen, touched_at FROM blobs
		WHERE digest IN (?`+strings.Repeat(", ?", len(shas)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metastore.Blob
	for rows.Next() {
		var b metastore.Blob
		var first, touched int64
		if err := rows.Scan(&b.SHA256, &b.Size, &first, &touched); err != nil {
			return nil, err
		}
		b.FirstSeen, b.TouchedAt = fromMicros(first), fromMicros(touched)
		out = append(out, b)
	}
	return out, rows.Err()
}
