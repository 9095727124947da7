package server

import (
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
	// A store that serves its blobs itself (S3) gets the download (of.URL); the file's
	// rules are checked all the same.
	of, err := s.api.OpenFile(r.Context(), dr.served(), filename, redirectExpiry)
	if err != nil {
		return err
	}
	if of.Body != nil {
		defer of.Body.Close()
	}
	if of.File.SHA256 != strings.ToLower(sha) {
		return fmt.Errorf("file %s with sha256 %s: %w", of.File.Filename, sha, errs.ErrNotFound)
	}
	if of.URL != "" {
		w.Header()["Cache-Control"] = noStore
		http.Redirect(w, r, of.URL, http.StatusTemporaryRedirect)
		return nil
	}
	f, wantMeta, blobSHA, blob := of.File, of.Metadata, of.SHA256, of.Body
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
