package index

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/inspect"
	"github.com/pydepot/pydepot/internal/metadata"
	"github.com/pydepot/pydepot/internal/metastore"
)

// A synced wheel's core metadata file (PEP 658) is not written to the blob store when the
// wheel's own bytes are stored with it: it is in the wheel, and a sync of tens of
// thousands of small wheels spent a tenth of its time creating a second file for each.
// The row still records the metadata file's digest and size, and its parsed form is kept
// as for any file; the first request for "<wheel>.metadata" extracts it from the stored
// wheel, checks it against the row's digest and stores it, so that every later request
// reads it like any other blob.

// openMetadata opens the core metadata file of row: its blob, or, when the blob store
// does not hold it and row is a stored wheel, the METADATA of the wheel (then stored).
// With redirect > 0 and a blob store that gives direct URLs, a held metadata blob gets a
// URL instead of being opened.
func (s *Service) openMetadata(ctx context.Context, f *File, row *metastore.File, redirect time.Duration) (*OpenedFile, error) {
	sha := row.MetadataSHA256
	if redirect > 0 {
		if _, err := s.blobs.Stat(ctx, sha); err == nil {
			u, err := s.blobs.URLFor(ctx, sha, redirect)
			if err != nil {
				return nil, err
			}
			if u != "" {
				return &OpenedFile{File: f, Metadata: true, SHA256: sha, Size: -1, URL: u}, nil
			}
		} else if !errors.Is(err, errs.ErrNotFound) {
			return nil, err
		}
	}
	body, size, err := s.blobs.Open(ctx, sha)
	if errors.Is(err, errs.ErrNotFound) && row.Presence == metastore.PresenceStored && row.Kind == string(filenames.KindWheel) {
		var data []byte
		if data, err = s.deriveMetadata(ctx, row); err == nil {
			return &OpenedFile{File: f, Metadata: true, SHA256: sha, Size: int64(len(data)), Body: nopSeekCloser{bytes.NewReader(data)}}, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return &OpenedFile{File: f, Metadata: true, SHA256: sha, Size: size, Body: body}, nil
}

// deriveMetadata reads the METADATA of the stored wheel of row, checks it against the
// row's metadata digest, and stores it as a blob (a failure to store is logged: the
// bytes are served anyway).
func (s *Service) deriveMetadata(ctx context.Context, row *metastore.File) ([]byte, error) {
	wheel, n, err := s.blobs.Open(ctx, row.SHA256)
	if err != nil {
		return nil, err
	}
	defer wheel.Close()
	ra, ok := wheel.(io.ReaderAt)
	if !ok { // a driver without random access: read it through its cap
		if n > inMemoryInspect {
			return nil, fmt.Errorf("the metadata file of %s is not stored and the wheel is not readable at random: %w", row.Filename, errs.ErrNotFound)
		}
		buf, err := io.ReadAll(io.LimitReader(wheel, n))
		if err != nil {
			return nil, err
		}
		ra, n = bytes.NewReader(buf), int64(len(buf))
	}
	info, err := inspect.Inspect(ctx, row.Filename, ra, n)
	if err != nil {
		return nil, fmt.Errorf("the metadata of stored %s: %w", row.Filename, err)
	}
	data := info.MetadataBytes
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != row.MetadataSHA256 || len(data) > metadata.MaxSize {
		// The row and the bytes disagree: the store is damaged, which is no client's fault.
		return nil, fmt.Errorf("the METADATA of stored %s has sha256 %s, its row says %s", row.Filename, got, row.MetadataSHA256)
	}
	if err := s.storeBlobs(ctx, []blobToStore{{bytes.NewReader(data), row.MetadataSHA256, int64(len(data))}}); err != nil {
		s.log.Warn("storing a metadata file taken from its wheel", "filename", row.Filename, "err", err)
	}
	return data, nil
}

// nopSeekCloser is a Blob over bytes in memory.
type nopSeekCloser struct{ *bytes.Reader }

func (nopSeekCloser) Close() error { return nil }
