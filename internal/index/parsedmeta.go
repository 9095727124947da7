package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metadata"
)

// encodeParsed is the stored form of parsed core metadata: metadata.Metadata as JSON.
func encodeParsed(m *metadata.Metadata) ([]byte, error) {
	return json.Marshal(m)
}

// CoreMetadata implements API: the metadata as parsed once at upload. A file stored before
// parsed metadata was kept has none; its metadata blob is then parsed, at most
// metadata.MaxSize bytes of it (a larger one is ErrTooLarge).
func (s *Service) CoreMetadata(ctx context.Context, metadataSHA256 string) (*metadata.Metadata, error) {
	b, err := s.store.ParsedMetadata(ctx, metadataSHA256)
	if err == nil {
		var m metadata.Metadata
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("stored metadata %s: %w", metadataSHA256, err)
		}
		return &m, nil
	}
	if !errors.Is(err, errs.ErrNotFound) {
		return nil, err
	}
	blob, _, err := s.blobs.Open(ctx, metadataSHA256)
	if err != nil {
		return nil, err
	}
	defer blob.Close()
	data, err := io.ReadAll(io.LimitReader(blob, metadata.MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading metadata %s: %w", metadataSHA256, err)
	}
	return metadata.Parse(data) // refuses more than MaxSize bytes
}
