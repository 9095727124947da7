package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metadata"
	"github.com/pydepot/pydepot/internal/simplejson"
)

// encodeParsed is the stored form of parsed core metadata: metadata.Metadata as the
// JSON object that encoding/json reads back into it, with only its non-empty fields
// (json.Unmarshal leaves the others zero, as they were: metadata.Parse makes no empty
// list). Written here rather than by json.Marshal, which wrote all 29 fields, nulls
// included: 700 bytes for a small wheel's metadata, and 4 us, a row of every file a sync
// adds. Rows written by json.Marshal before read back the same.
func encodeParsed(m *metadata.Metadata) []byte {
	b := make([]byte, 0, 256)
	b = append(b, '{')
	key := func(k string) {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
	}
	str := func(k, v string) {
		if v != "" {
			key(k)
			b = simplejson.AppendString(b, v)
		}
	}
	list := func(k string, vs []string) {
		if len(vs) == 0 {
			return
		}
		key(k)
		b = append(b, '[')
		for i, v := range vs {
			if i > 0 {
				b = append(b, ',')
			}
			b = simplejson.AppendString(b, v)
		}
		b = append(b, ']')
	}
	str("MetadataVersion", m.MetadataVersion)
	str("Name", m.Name)
	str("Version", m.Version)
	str("Summary", m.Summary)
	str("Description", m.Description)
	str("DescriptionContentType", m.DescriptionContentType)
	str("Keywords", m.Keywords)
	str("HomePage", m.HomePage)
	str("DownloadURL", m.DownloadURL)
	str("Author", m.Author)
	str("AuthorEmail", m.AuthorEmail)
	str("Maintainer", m.Maintainer)
	str("MaintainerEmail", m.MaintainerEmail)
	str("License", m.License)
	str("LicenseExpression", m.LicenseExpression)
	list("LicenseFiles", m.LicenseFiles)
	list("Classifiers", m.Classifiers)
	list("Platforms", m.Platforms)
	list("RequiresDist", m.RequiresDist)
	str("RequiresPython", m.RequiresPython)
	list("RequiresExternal", m.RequiresExternal)
	list("ProjectURLs", m.ProjectURLs)
	list("ProvidesExtra", m.ProvidesExtra)
	list("ProvidesDist", m.ProvidesDist)
	list("ObsoletesDist", m.ObsoletesDist)
	list("Dynamic", m.Dynamic)
	list("ImportNames", m.ImportNames)
	list("ImportNamespaces", m.ImportNamespaces)
	list("SupportedPlatforms", m.SupportedPlatforms)
	return append(b, '}')
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
