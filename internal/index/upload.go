package index

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

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

// Upload implements API. It hashes and inspects the content, stores the file and its
// metadata as blobs, then records them in one transaction that makes a new version. On
// any failure the repository is left as it was and blobs this call created are removed.
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
	repo, err := s.store.Repository(ctx, up.Repository)
	if err != nil {
		return nil, false, err
	}
	size := up.Content.Size()
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(up.Content, 0, size)); err != nil {
		return nil, false, fmt.Errorf("reading upload: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if up.SHA256 != "" && !strings.EqualFold(strings.TrimSpace(up.SHA256), sum) {
		return nil, false, fmt.Errorf("sha256_digest does not match: the file's sha256 is %s: %w", sum, errs.ErrInvalid)
	}
	// Cheap answer for re-uploads (twine --skip-existing, retries) before inspecting; a
	// removed file coming back with its own bytes is restored (settleExisting).
	if _, err := s.store.FileByFilename(ctx, repo.ID, up.Filename); err == nil {
		return s.reupload(ctx, up.Repository, up.Filename, sum)
	} else if !errors.Is(err, errs.ErrNotFound) {
		return nil, false, err
	}

	info, err := inspect.Inspect(ctx, up.Filename, up.Content, size)
	if err != nil {
		return nil, false, err
	}
	if err := checkForm(up, info); err != nil {
		return nil, false, err
	}
	parsed, err := encodeParsed(info.Metadata)
	if err != nil {
		return nil, false, err
	}

	row := &metastore.File{
		RepositoryID:   repo.ID,
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
	}
	if err := checkSameRelease(ctx, s.store, repo.ID, repo.Latest, row); err != nil {
		return nil, false, err
	}

	// Blobs first, rows after; the digest locks keep a concurrent cleanup from deleting a
	// blob another upload is about to reference.
	var created []string
	unlock := s.locks.lock(sum)
	defer unlock()
	res, err := s.blobs.Write(ctx, io.NewSectionReader(up.Content, 0, size), sum, size)
	if err != nil {
		return nil, false, fmt.Errorf("storing %s: %w", up.Filename, err)
	}
	if res.Created {
		created = append(created, res.SHA256)
	}
	if len(info.MetadataBytes) > 0 {
		msum := sha256.Sum256(info.MetadataBytes)
		mhex := hex.EncodeToString(msum[:])
		if mhex != sum {
			unlockMeta := s.locks.lock(mhex)
			defer unlockMeta()
		}
		mres, err := s.blobs.Write(ctx, bytes.NewReader(info.MetadataBytes), mhex, int64(len(info.MetadataBytes)))
		if err != nil {
			s.cleanup(ctx, created)
			return nil, false, fmt.Errorf("storing metadata of %s: %w", up.Filename, err)
		}
		if mres.Created {
			created = append(created, mhex)
		}
		row.MetadataSHA256 = mhex
	}

	var out *File
	existed := false
	err = s.store.InTx(ctx, func(tx metastore.Tx) error {
		out, existed = nil, false
		r, err := tx.Repository(ctx, up.Repository)
		if err != nil {
			return err
		}
		if old, err := tx.FileByFilename(ctx, r.ID, up.Filename); err == nil {
			var restored bool
			out, restored, err = s.settleExisting(ctx, tx, r, old, sum)
			existed = err == nil && !restored
			return err
		} else if !errors.Is(err, errs.ErrNotFound) {
			return err
		}
		if err := checkSameRelease(ctx, tx, r.ID, r.Latest, row); err != nil {
			return err
		}
		n, err := tx.BeginVersion(ctx, r.ID, "upload "+up.Filename, row.UploadTime)
		if err != nil {
			return err
		}
		if row.ID, err = tx.AddFile(ctx, row, n); err != nil {
			return err
		}
		if row.MetadataSHA256 != "" {
			if err := tx.PutParsedMetadata(ctx, row.MetadataSHA256, parsed); err != nil {
				return err
			}
		}
		if err := tx.FinishVersion(ctx, r.ID, n, row.UploadTime); err != nil {
			return err
		}
		f := fileOut(row)
		f.RepositoryVersion = n
		out = &f
		return nil
	})
	if err != nil || existed {
		s.cleanup(ctx, created)
	}
	if err != nil {
		return nil, false, err
	}
	if !existed {
		s.log.Info("file uploaded", "repository", up.Repository, "filename", up.Filename, "sha256", sum, "size", size)
	}
	return out, existed, nil
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

// cleanup deletes blobs this call created when no row references them. The caller
// holds their digest locks.
func (s *Service) cleanup(ctx context.Context, created []string) {
	ctx = context.WithoutCancel(ctx)
	for _, sha := range created {
		used, err := s.store.BlobReferenced(ctx, sha)
		if err != nil || used {
			continue
		}
		if err := s.blobs.Delete(ctx, sha); err != nil {
			s.log.Warn("removing unreferenced blob", "sha256", sha, "err", err)
		}
	}
}

// change runs fn in a transaction that makes a new version of repo with message; fn
// returns how many files it touched, and 0 means ErrNotFound (nothing is changed).
func (s *Service) change(ctx context.Context, repo, message, what string, fn func(tx metastore.Tx, repoID int64, n int) (int, error)) error {
	err := s.store.InTx(ctx, func(tx metastore.Tx) error {
		r, err := tx.Repository(ctx, repo)
		if err != nil {
			return err
		}
		n, err := tx.BeginVersion(ctx, r.ID, message, s.now())
		if err != nil {
			return err
		}
		count, err := fn(tx, r.ID, n)
		if err != nil {
			return err
		}
		if count == 0 {
			return fmt.Errorf("repository %s has no %s: %w", repo, what, errs.ErrNotFound)
		}
		return tx.FinishVersion(ctx, r.ID, n, s.now())
	})
	if err == nil {
		s.log.Info("repository changed", "repository", repo, "change", message)
	}
	return err
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

// eachVersion runs fn for every stored spelling of project==v and sums the counts.
func eachVersion(ctx context.Context, tx metastore.Tx, repoID int64, n int, project, v string, fn func(stored string) (int, error)) (int, error) {
	vs, err := storedVersions(ctx, tx, repoID, n-1, project, v)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, sv := range vs {
		c, err := fn(sv)
		if err != nil {
			return 0, err
		}
		total += c
	}
	return total, nil
}

// Remove implements API. With filename set, project and version may be "" (when given they
// must match the file).
func (s *Service) Remove(ctx context.Context, repo, project, version, filename string) error {
	p, v := "", ""
	if project != "" {
		p = names.Normalize(project)
	}
	if version != "" {
		var err error
		if v, err = canonicalVersion(version); err != nil {
			return err
		}
	}
	if filename == "" && (p == "" || v == "") {
		return fmt.Errorf("remove needs a filename, or a project and a version: %w", errs.ErrInvalid)
	}
	msg, what := fmt.Sprintf("remove %s %s", p, v), fmt.Sprintf("files of %s %s", p, v)
	if filename != "" {
		msg, what = "remove "+filename, "file "+filename
	}
	return s.change(ctx, repo, msg, what, func(tx metastore.Tx, repoID int64, n int) (int, error) {
		if v == "" || p == "" {
			return tx.RemoveFiles(ctx, repoID, n, p, v, filename)
		}
		return eachVersion(ctx, tx, repoID, n, p, v, func(sv string) (int, error) {
			return tx.RemoveFiles(ctx, repoID, n, p, sv, filename)
		})
	})
}
