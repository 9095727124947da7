package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
)

var (
	cacheImmutable  = []string{"public, max-age=31536000, immutable"}
	cachePrivateImm = []string{"private, max-age=31536000, immutable"}
	octetStream     = []string{"application/octet-stream"}
	metadataType    = []string{"text/plain; charset=utf-8"}
)

// blobRedirector is the optional capability of an API whose blob store gives direct URLs
// (index.Service.BlobURL); "" means stream the bytes.
type blobRedirector interface {
	BlobURL(ctx context.Context, sha256 string, expiry time.Duration) (string, error)
}

// redirectExpiry is how long a direct blob URL stays valid: long enough for a slow
// download to start, short enough that a leaked link soon stops working.
const redirectExpiry = 15 * time.Minute

var noStore = []string{"no-store"}

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
	if rd, ok := s.api.(blobRedirector); ok {
		// A store that serves its blobs itself (S3) gets the download; the file's rules
		// above were checked here all the same.
		u, err := rd.BlobURL(r.Context(), blobSHA, redirectExpiry)
		if err != nil {
			return err
		}
		if u != "" {
			w.Header()["Cache-Control"] = noStore
			http.Redirect(w, r, u, http.StatusTemporaryRedirect)
			return nil
		}
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
