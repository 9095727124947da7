package server

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
)

var (
	cacheImmutable  = []string{"public, max-age=31536000, immutable"}
	cachePrivateImm = []string{"private, max-age=31536000, immutable"}
	octetStream     = []string{"application/octet-stream"}
	metadataType    = []string{"text/plain; charset=utf-8"}
)

// serveFile serves a distribution file, or its core metadata for "<filename>.metadata"
// (PEP 658), by its content address. The file must belong to the version the distribution
// serves and have that sha256.
func (s *server) serveFile(w http.ResponseWriter, r *http.Request) error {
	dr := distOf(r)
	sha, filename := r.PathValue("sha256"), r.PathValue("filename")
	name, wantMeta := strings.CutSuffix(filename, ".metadata")
	f, err := s.api.File(r.Context(), dr.served(), name)
	if err != nil {
		return err
	}
	if f.SHA256 != strings.ToLower(sha) {
		return fmt.Errorf("file %s with sha256 %s: %w", name, sha, errs.ErrNotFound)
	}
	blobSHA := f.SHA256
	if wantMeta {
		if f.MetadataSHA256 == "" {
			return fmt.Errorf("file %s has no metadata file: %w", name, errs.ErrNotFound)
		}
		blobSHA = f.MetadataSHA256
	}
	blob, _, err := s.api.OpenBlob(r.Context(), blobSHA)
	if err != nil {
		return err
	}
	defer blob.Close()
	h := w.Header()
	if dr.d.Public {
		h["Cache-Control"] = cacheImmutable
	} else {
		h["Cache-Control"] = cachePrivateImm
		h["Vary"] = varyAuth
	}
	if wantMeta {
		h["Content-Type"] = metadataType
	} else {
		h["Content-Type"] = octetStream
	}
	h["Etag"] = []string{`"` + blobSHA + `"`}
	// ServeContent handles Range, If-Range, If-None-Match and Content-Length.
	http.ServeContent(w, r, "", f.UploadTime, blob)
	return nil
}
