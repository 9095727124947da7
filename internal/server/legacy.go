package server

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/server/wire"
)

// fileExists is PyPI's answer to a filename reused with other content; twine's
// --skip-existing looks for "File already exists" in it.
const fileExists = "File already exists. See https://pypi.org/help/#file-name-reuse for more information."

// filenameUsed is PyPI's answer to a filename that was used before and removed since.
const filenameUsed = "This filename has already been used, use a different version. See https://pypi.org/help/#file-name-reuse for more information."

const (
	maxFieldBytes = 1 << 20 // a form field we read (name, version, digests...)
	maxParts      = 1000
)

// uploadForm is a received legacy upload: the form fields we use and the spooled file.
type uploadForm struct {
	fields   map[string]string
	filename string
	file     *blobstore.Spool
	size     int64
	sha256   string // computed
	md5      string // computed
}

func (u *uploadForm) close() {
	if u.file != nil {
		u.file.Close() // removes the spool unless the index moved it into the blob store
	}
}

// usedFields are the form fields kept; the others (description, classifiers...) are
// drained, since the file's own metadata is authoritative.
var usedFields = map[string]bool{
	":action": true, "protocol_version": true, "name": true, "version": true, "filetype": true,
	"sha256_digest": true, "md5_digest": true, "blake2_256_digest": true, "pyversion": true, "metadata_version": true,
}

// receiveUpload reads the whole multipart body, spooling the file to a temp file (never to
// memory), within the configured size limit.
func (s *server) receiveUpload(w http.ResponseWriter, r *http.Request) (*uploadForm, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, &httpError{status: http.StatusBadRequest, msg: "the upload must be a multipart/form-data body (as twine sends)"}
	}
	if r.ContentLength > s.cfg.MaxUpload {
		return nil, fmt.Errorf("upload of %d bytes is over the limit of %d bytes: %w", r.ContentLength, s.cfg.MaxUpload, errs.ErrTooLarge)
	}
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload)
	mr := multipart.NewReader(body, params["boundary"])
	u := &uploadForm{fields: map[string]string{}}
	fail := func(err error) (*uploadForm, error) {
		u.close()
		err = bodyErr(r, err)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fmt.Errorf("upload is over the limit of %d bytes: %w", s.cfg.MaxUpload, errs.ErrTooLarge)
		}
		return nil, err
	}
	for n := 0; ; n++ {
		if n > maxParts {
			return fail(&httpError{status: http.StatusBadRequest, msg: fmt.Sprintf("the form has more than %d parts", maxParts)})
		}
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(fmt.Errorf("read the upload body: %v: %w", err, errs.ErrInvalid))
		}
		field := part.FormName()
		switch {
		case field == "content":
			if u.file != nil {
				return fail(&httpError{status: http.StatusBadRequest, msg: "the form has more than one content field"})
			}
			if err := s.spool(u, part); err != nil {
				return fail(err)
			}
		case usedFields[field]:
			v, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err != nil {
				return fail(fmt.Errorf("read form field %s: %v: %w", field, err, errs.ErrInvalid))
			}
			if len(v) > maxFieldBytes {
				return fail(&httpError{status: http.StatusBadRequest, msg: "form field " + field + " is too long"})
			}
			u.fields[field] = strings.TrimSpace(string(v))
		default:
			if _, err := io.Copy(io.Discard, part); err != nil {
				return fail(fmt.Errorf("read form field %s: %v: %w", field, err, errs.ErrInvalid))
			}
		}
	}
	bodyDone(r)
	return u, nil
}

// spool copies the file part to a temp file, hashing it on the way.
func (s *server) spool(u *uploadForm, part *multipart.Part) error {
	_, params, err := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
	if err != nil {
		return &httpError{status: http.StatusBadRequest, msg: "the content field has a malformed Content-Disposition"}
	}
	// The raw filename, not part.FileName(), which would hide a path by taking its base.
	u.filename = params["filename"]
	if u.filename == "" {
		return &httpError{status: http.StatusBadRequest, msg: "the content field has no filename"}
	}
	if strings.ContainsAny(u.filename, "/\\\x00") || u.filename == "." || u.filename == ".." {
		return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf("invalid filename %q: it must not contain a path", u.filename)}
	}
	// The body is read from the network once: the spool hashes it (sha256) as it writes,
	// the index inspects it from the spool and renames it into the blob store.
	f, err := blobstore.NewSpool(s.cfg.TempDir)
	if err != nil {
		return err
	}
	u.file = f
	mh := md5.New()
	n, err := io.CopyBuffer(io.MultiWriter(f, mh), part, make([]byte, 64<<10))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || !isWriteErr(f, err) {
			return fmt.Errorf("the upload body ended early (%v): %w", err, errs.ErrInvalid)
		}
		return fmt.Errorf("spool upload: %w", err)
	}
	u.size = n
	u.sha256, u.md5 = f.Finish(), hexSum(mh)
	return nil
}

// isWriteErr reports whether err came from writing the spool file (a server fault) rather
// than from reading the body.
func isWriteErr(f *blobstore.Spool, err error) bool {
	var pe *os.PathError
	return errors.As(err, &pe) && pe.Path == f.Name()
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// check applies the legacy API's rules to the received form.
func (u *uploadForm) check() error {
	bad := func(msg string) error { return &httpError{status: http.StatusBadRequest, msg: msg} }
	switch a := u.fields[":action"]; a {
	case "file_upload":
	case "":
		return bad("the form has no :action field (expected file_upload)")
	default:
		return bad(fmt.Sprintf("unknown :action %q (only file_upload is supported)", a))
	}
	if pv := u.fields["protocol_version"]; pv != "" && pv != "1" {
		return bad(fmt.Sprintf("unknown protocol_version %q (expected 1)", pv))
	}
	if u.file == nil {
		return bad("Upload payload does not have a file (the content field is missing)")
	}
	if u.fields["name"] == "" || u.fields["version"] == "" {
		return bad("the form must give the name and version of the distribution")
	}
	if d := strings.ToLower(u.fields["md5_digest"]); d != "" && d != u.md5 {
		return bad("The digest supplied does not match a digest calculated from the uploaded file (md5_digest " + d + ", file " + u.md5 + ")")
	}
	if d := strings.ToLower(u.fields["sha256_digest"]); d != "" && d != u.sha256 {
		return bad("The digest supplied does not match a digest calculated from the uploaded file (sha256_digest " + d + ", file " + u.sha256 + ")")
	}
	wheel := strings.HasSuffix(strings.ToLower(u.filename), ".whl")
	switch ft := u.fields["filetype"]; {
	case ft == "":
	case ft == "bdist_wheel" && !wheel, ft == "sdist" && wheel, ft != "bdist_wheel" && ft != "sdist":
		return bad(fmt.Sprintf("filetype %q does not fit the file %s (only bdist_wheel and sdist are accepted)", ft, u.filename))
	}
	return nil
}

// upload receives, checks and stores an upload into repo; the caller authorized it.
func (s *server) upload(w http.ResponseWriter, r *http.Request, repo string) (*index.File, bool, error) {
	u, err := s.receiveUpload(w, r)
	if err != nil {
		return nil, false, err
	}
	defer u.close()
	if err := u.check(); err != nil {
		return nil, false, err
	}
	f, existed, err := s.api.Upload(r.Context(), index.Upload{
		Repository: repo,
		Filename:   u.filename,
		Content:    u.file,
		SHA256:     u.sha256,
		Name:       u.fields["name"],
		Version:    u.fields["version"],
	})
	if err != nil {
		return nil, false, err
	}
	if !existed {
		s.changed()
	}
	s.log.Info("upload", "repository", repo, "file", f.Filename, "existed", existed)
	w.Header().Set(wire.UploadExistedHeader, strconv.FormatBool(existed))
	if f.RepositoryVersion > 0 {
		w.Header().Set(wire.RepositoryVersionHeader, strconv.Itoa(f.RepositoryVersion))
	}
	return f, existed, nil
}

// legacyUpload is POST /legacy/ of a distribution: twine's upload API.
func (s *server) legacyUpload(w http.ResponseWriter, r *http.Request) error {
	repo, err := index.UploadRepository(&distOf(r).d)
	if err != nil {
		return err
	}
	if err := s.authorize(r, index.ActionUpload, repo); err != nil {
		return err
	}
	if _, _, err := s.upload(w, r, repo); err != nil {
		if errors.Is(err, errs.ErrConflict) {
			// PyPI answers 400 here, and twine --skip-existing relies on the text.
			// The status line is PyPI's text; the body keeps the domain's message, which
			// names the file already there, or says whether the old one was removed or
			// rolled back.
			msg := fileExists
			if errors.Is(err, index.ErrFilenameReused) {
				msg = filenameUsed
			}
			return &httpError{status: http.StatusBadRequest, msg: err.Error(), reason: msg}
		}
		if errors.Is(err, index.ErrBlocked) {
			// twine prints the status line only: let it name the rule.
			msg := strings.TrimSuffix(err.Error(), ": "+errs.ErrForbidden.Error())
			return &httpError{status: http.StatusForbidden, msg: msg, reason: msg}
		}
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err = io.WriteString(w, "OK\n")
	return err
}

// apiUpload is POST /api/repositories/{name}/upload: the same form, answered in JSON.
func (s *server) apiUpload(w http.ResponseWriter, r *http.Request) error {
	repo := r.PathValue("name")
	if err := s.authorize(r, index.ActionUpload, repo); err != nil {
		return err
	}
	f, existed, err := s.upload(w, r, repo)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wire.UploadResult{Filename: f.Filename, Project: f.Project, Version: f.Version, SHA256: f.SHA256, Existed: existed, RepositoryVersion: f.RepositoryVersion})
}
