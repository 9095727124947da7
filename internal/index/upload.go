package index

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/inspect"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/versions"
)

// Messages of the upload conflicts, as PyPI words them.
const (
	msgFileExists   = "File already exists"
	msgFilenameUsed = "This filename has already been used, use a different version"
)

// ErrFilenameReused is the conflict of an upload whose filename was used by a file since
// removed or rolled back, with other bytes: PyPI never lets a filename come back, and
// pydepot lets only the same bytes back. It wraps errs.ErrConflict.
var ErrFilenameReused = fmt.Errorf("filename reused: %w", errs.ErrConflict)

// Prepared is a file made ready for Apply: hashed, inspected, and its bytes and
// metadata file stored as blobs (their blobs rows touched first, so that gc leaves them
// alone for its grace period). It belongs to no repository until an Apply adds it.
type Prepared struct {
	row    *metastore.File // without RepositoryID; UploadTime zero means the version's time
	parsed []byte          // parsed core metadata, or nil
	// restoreOnly: row names a file the repository has used (only Filename and SHA256
	// set); the add answers from that file's row or restores it, never adds.
	restoreOnly bool
	// verify are blobs Apply checks are stored, in its transaction: they were written
	// without the touching transaction of storeBlobs (a sync's blob batch).
	verify []string
	// verifyMark: no blob was deleted before verify's were written or found, when the
	// blob store's deletions were verifyMark (verifyMarked false: unknown); Apply finding
	// the same count need not look them up.
	verifyMark   int64
	verifyMarked bool
	// checkedRepo and checkedAt: the same-release and status rules already held for row
	// against this repository at version checkedAt (Upload checks them before storing
	// the blobs); Apply's first add on that very version need not ask again.
	checkedRepo int64
	checkedAt   int
	// checkedUnused: no file row had the filename then either. File rows come only with
	// a new version or staged (which Apply discards first), so with no version since,
	// none has it still.
	checkedUnused bool
}

// File returns the prepared file as it will be stored.
func (p *Prepared) File() File { return fileOut(p.row) }

// Upload implements API. It hashes the content (a Spool was hashed as it was written)
// and answers a re-upload from the rows; otherwise it prepares the file (inspects it and
// stores its blobs) and applies it in one transaction that makes a new version. On any
// failure the repository is left as it was; blobs already written stay for gc (a blob is
// never deleted on a request path: another process may have just referenced it).
func (s *Service) Upload(ctx context.Context, up Upload) (*File, bool, error) {
	if up.Content == nil {
		return nil, false, fmt.Errorf("upload has no content: %w", errs.ErrInvalid)
	}
	if up.Filename == "" || strings.ContainsAny(up.Filename, "/\\\x00") {
		return nil, false, fmt.Errorf("filename %q: %w", up.Filename, errs.ErrInvalid)
	}
	// A hostile name (too long, a tag set of millions) is refused before the body is read.
	if _, err := filenames.Parse(up.Filename); err != nil {
		return nil, false, err
	}
	st, err := s.store.RepositoryState(ctx, up.Repository)
	if err != nil {
		return nil, false, err
	}
	repo := &st.Repository
	sum, err := contentSHA256(up.Content)
	if err != nil {
		return nil, false, err
	}
	if up.SHA256 != "" && !strings.EqualFold(strings.TrimSpace(up.SHA256), sum) {
		return nil, false, fmt.Errorf("sha256_digest does not match: the file's sha256 is %s: %w", sum, errs.ErrInvalid)
	}
	// Cheap answer for re-uploads (twine --skip-existing, retries) before inspecting; a
	// removed file coming back with its own bytes is restored.
	if used, err := s.store.UsedFilenames(ctx, repo.ID, []string{up.Filename}); err != nil {
		return nil, false, err
	} else if len(used) > 0 {
		return s.reupload(ctx, up.Repository, up.Filename, sum)
	}
	p, err := s.prepare(ctx, up, sum, func(row *metastore.File) error {
		// A blocked file is refused before its bytes are stored; Apply checks again.
		if st.BlockRules > 0 {
			rules, err := s.store.BlockRules(ctx, repo.ID)
			if err != nil {
				return err
			}
			if rule, ok := matchRule(rules, row.Project, row.Version, row.Filename); ok {
				return blockedError(repo.Name, row.Filename, rule)
			}
		}
		return checkSameRelease(ctx, s.store, repo.ID, repo.Latest, row)
	}, nil)
	if err != nil {
		return nil, false, err
	}
	p.checkedRepo, p.checkedAt, p.checkedUnused = repo.ID, repo.Latest, true
	res, err := s.Apply(ctx, up.Repository, "", []Change{{Kind: ChangeAdd, File: p}})
	if err != nil {
		return nil, false, err
	}
	cr := res.Results[0]
	switch {
	case cr.Restored:
		s.log.Info("file restored", "repository", up.Repository, "filename", up.Filename, "sha256", sum)
	case cr.Changed:
		s.log.Info("file uploaded", "repository", up.Repository, "filename", up.Filename, "sha256", sum, "size", p.row.Size)
	}
	if cr.Changed && repo.CheckOnUpload {
		s.uploaded(ctx, repo.Name, cr.File)
	}
	return cr.File, !cr.Changed, nil
}

// Prepare inspects a file and stores its blobs for a later Apply. sha256, when not "",
// is the digest the caller computed while receiving the content (a Spool's); otherwise
// the content is hashed here.
func (s *Service) Prepare(ctx context.Context, up Upload) (*Prepared, error) {
	if up.Content == nil || up.Filename == "" || strings.ContainsAny(up.Filename, "/\\\x00") {
		return nil, fmt.Errorf("filename %q: no content or a path: %w", up.Filename, errs.ErrInvalid)
	}
	if _, err := filenames.Parse(up.Filename); err != nil {
		return nil, err
	}
	sum, err := contentSHA256(up.Content)
	if err != nil {
		return nil, err
	}
	if up.SHA256 != "" && !strings.EqualFold(strings.TrimSpace(up.SHA256), sum) {
		return nil, fmt.Errorf("sha256_digest does not match: the file's sha256 is %s: %w", sum, errs.ErrInvalid)
	}
	return s.prepare(ctx, up, sum, nil, nil)
}

// contentSHA256 hashes c, or takes a finished Spool's digest.
func contentSHA256(c ReaderAtSize) (string, error) {
	if sp, ok := c.(*blobstore.Spool); ok && sp.Finished() {
		return sp.SHA256(), nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(c, 0, c.Size())); err != nil {
		return "", fmt.Errorf("reading upload: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// prepare inspects the content (digest sum), runs precheck on the row it will add (a
// cheap refusal before any byte is stored), then stores the blobs.
func (s *Service) prepare(ctx context.Context, up Upload, sum string, precheck func(*metastore.File) error, bb *blobstore.Batch) (*Prepared, error) {
	size := up.Content.Size()
	look := inspect.Inspect
	if up.mirrored {
		look = inspect.InspectMirrored
	}
	if up.mirrored && up.dist != nil && up.dist.Filename == up.Filename {
		look = func(ctx context.Context, _ string, r io.ReaderAt, size int64) (*inspect.Info, error) {
			return inspect.InspectMirroredDist(ctx, *up.dist, r, size)
		}
	}
	info, err := look(ctx, up.Filename, up.Content, size)
	if err != nil {
		return nil, err
	}
	if err := checkForm(up, info); err != nil {
		return nil, err
	}
	parsed := encodeParsed(info.Metadata)
	row := &metastore.File{
		Filename:       up.Filename,
		Project:        names.Normalize(info.Metadata.Name),
		ProjectName:    info.Metadata.Name,
		Version:        info.Dist.Version.String(),
		Kind:           string(info.Dist.Kind),
		SHA256:         sum,
		Size:           size,
		RequiresPython: info.Metadata.RequiresPython,
		Summary:        info.Metadata.Summary,
		UploadTime:     s.now(),
		ImportNames:    info.ImportNames,
		Origin:         metastore.OriginUpload,
		Presence:       metastore.PresenceStored,
	}
	if precheck != nil {
		if err := precheck(row); err != nil {
			return nil, err
		}
	}
	blobs := []blobToStore{{up.Content, sum, size}}
	if len(info.MetadataBytes) > 0 {
		msum := sha256.Sum256(info.MetadataBytes)
		row.MetadataSHA256, row.MetadataSize = hex.EncodeToString(msum[:]), int64(len(info.MetadataBytes))
		if !up.metadataInWheel || info.Dist.Kind != filenames.KindWheel {
			blobs = append(blobs, blobToStore{bytes.NewReader(info.MetadataBytes), row.MetadataSHA256, row.MetadataSize})
		} else {
			// Nor a blobs row: gc reads those only for bytes it finds, and the first
			// request stores the bytes through storeBlobs, which touches the row first.
			row.MetadataInBody = true
		}
	} else {
		parsed = nil
	}
	p := &Prepared{row: row, parsed: parsed}
	if err := s.putBlobs(ctx, p, blobs, bb); err != nil {
		return nil, fmt.Errorf("storing %s: %w", up.Filename, err)
	}
	return p, nil
}

// putBlobs stores the blobs of p: through storeBlobs, or into a sync's batch (then Apply
// checks they are stored).
func (s *Service) putBlobs(ctx context.Context, p *Prepared, blobs []blobToStore, bb *blobstore.Batch) error {
	if bb == nil {
		return s.storeBlobs(ctx, blobs)
	}
	for _, b := range blobs {
		var err error
		if a, ok := b.content.(adoptable); ok {
			_, err = bb.AdoptSpool(ctx, a.spool, b.sha, b.size)
		} else {
			_, err = bb.Write(ctx, io.NewSectionReader(b.content, 0, b.size), b.sha, b.size)
		}
		if err != nil {
			return err
		}
		p.verify = append(p.verify, b.sha)
	}
	return nil
}

// adoptable is content in a spool that a sync's blob batch takes over
// (SyncBatch.SyncedSpool) instead of copying its bytes.
type adoptable struct {
	ReaderAtSize
	spool *blobstore.Spool
}

// Bytes lends the content's bytes when it is in memory (memContent), else nil.
func (a adoptable) Bytes() []byte {
	if m, ok := a.ReaderAtSize.(memContent); ok {
		return m.b
	}
	return nil
}

type blobToStore struct {
	content ReaderAtSize
	sha     string
	size    int64
}

// storeBlobs touches the blobs rows of the blobs (one transaction), then writes the
// bytes of each unless they are there. The touch comes first and is a write
// transaction: gc deletes a blob's bytes inside the write transaction that checks its
// row, so either gc ran before the touch (the bytes are gone and are written here) or
// it sees the fresh touch and keeps them.
func (s *Service) storeBlobs(ctx context.Context, blobs []blobToStore) error {
	now := s.now()
	rows := make([]metastore.Blob, 0, len(blobs))
	for _, b := range blobs {
		if !slices.ContainsFunc(rows, func(r metastore.Blob) bool { return r.SHA256 == b.sha }) {
			rows = append(rows, metastore.Blob{SHA256: b.sha, Size: b.size})
		}
	}
	if err := s.store.InTx(ctx, func(tx metastore.Tx) error { return tx.TouchBlobs(ctx, rows, now) }); err != nil {
		return err
	}
	for _, b := range blobs {
		var err error
		if sp, ok := b.content.(*blobstore.Spool); ok && sp.Finished() {
			_, err = s.blobs.CommitSpool(ctx, sp)
		} else {
			_, err = s.blobs.Write(ctx, io.NewSectionReader(b.content, 0, b.size), b.sha, b.size)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkForm compares the form's name and version with the file's metadata.
func checkForm(up Upload, info *inspect.Info) error {
	if up.Name != "" && names.Normalize(up.Name) != names.Normalize(info.Metadata.Name) {
		return fmt.Errorf("form name %q does not match the file's metadata name %q: %w", up.Name, info.Metadata.Name, errs.ErrInvalid)
	}
	if up.Version != "" {
		fv, err := versions.Parse(up.Version)
		if err != nil {
			return fmt.Errorf("form version %q: %w", up.Version, err)
		}
		mv, err := versions.Parse(info.Metadata.Version)
		if err != nil {
			return fmt.Errorf("metadata version %q: %w", info.Metadata.Version, err)
		}
		if fv.Compare(mv) != 0 { // PEP 440 equality: 1.10 == 1.10.0, as PyPI compares canonical forms
			return fmt.Errorf("form version %q does not match the file's metadata version %q: %w", up.Version, info.Metadata.Version, errs.ErrInvalid)
		}
	}
	return nil
}

func canonicalVersion(v string) (string, error) {
	pv, err := versions.Parse(v)
	if err != nil {
		return "", err
	}
	return pv.String(), nil
}

// storedVersions returns the version strings of project's current files that equal v
// under PEP 440 (1.10 == 1.10.0), so a change can name a version in any spelling.
func storedVersions(ctx context.Context, tx metastore.Tx, repoID int64, latest int, project, v string) ([]string, error) {
	want, err := versions.Parse(v)
	if err != nil {
		return nil, err
	}
	files, err := tx.ProjectFiles(ctx, repoID, latest, project)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		if slices.Contains(out, f.Version) {
			continue
		}
		if fv, err := versions.Parse(f.Version); err == nil && fv.Compare(want) == 0 {
			out = append(out, f.Version)
		}
	}
	if len(out) == 0 {
		out = []string{v} // matches nothing; the caller reports ErrNotFound
	}
	return out, nil
}

// Remove implements API. With filename set, project and version may be "" (when given they
// must match the file).
func (s *Service) Remove(ctx context.Context, repo, project, version, filename string) error {
	_, err := s.Apply(ctx, repo, "", []Change{{Kind: ChangeRemove, Project: project, Version: version, Filename: filename}})
	return err
}
