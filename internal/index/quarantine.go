package index

import (
	"context"
	"fmt"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// The rules of checks that belong to the index: quarantine and the upload trigger.
// (internal/checks runs the checks and stores their reports in the metastore.)
//
// Quarantine: a distribution with RequireChecks serves only the files whose latest
// check report has the verdict "pass". A file never checked, being checked for the
// first time, or whose latest check warned or failed is not served: it is left out of
// the project's pages (simple HTML and JSON, the PyPI JSON API) and its download and
// metadata file answer 404. The project itself stays listed. The rule is read from the
// check_latest table in one query per project page (PassedFiles) and one per file
// served (CheckVerdict), never per file of a page.

// VerdictPass is the verdict a file needs to be served by a distribution with
// RequireChecks (checkreport.Pass).
const VerdictPass = "pass"

// UploadHook is told of a file an upload stored (new or restored) in a repository with
// CheckOnUpload; internal/checks queues the file's check. It must not block for long;
// its failure does not undo the upload (the hook logs it).
type UploadHook func(ctx context.Context, repo string, f *File)

// SetUploadHook sets the hook of uploads to repositories with CheckOnUpload (serve sets
// the checks domain's before the server starts).
func (s *Service) SetUploadHook(h UploadHook) { s.uploadHook = h }

func (s *Service) uploaded(ctx context.Context, repo string, f *File) {
	if s.uploadHook == nil || f == nil {
		s.log.Warn("check on upload: no checks service; the file is not checked", "repository", repo)
		return
	}
	s.uploadHook(ctx, repo, f)
}

// SetCheckOnUpload turns the repository's check-on-upload setting on or off and returns
// the repository; ErrNotFound when there is none.
func (s *Service) SetCheckOnUpload(ctx context.Context, repo string, on bool) (*Repository, error) {
	var out *Repository
	err := s.store.InTx(ctx, func(tx metastore.Tx) error {
		r, err := tx.Repository(ctx, repo)
		if err != nil {
			return err
		}
		if err := tx.SetCheckOnUpload(ctx, r.ID, on); err != nil {
			return err
		}
		r.CheckOnUpload = on
		out = repoOut(r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("repository check on upload", "repository", repo, "on", on)
	return out, nil
}

// quarantine returns the rows of project (from repository repoID) that d may serve:
// all of them unless d requires checks, else those whose latest verdict is pass.
func (s *Service) quarantine(ctx context.Context, d *Distribution, repoID int64, project string, rows []metastore.File) ([]metastore.File, error) {
	if d == nil || !d.RequireChecks || len(rows) == 0 {
		return rows, nil
	}
	passed, err := s.store.PassedFiles(ctx, repoID, project)
	if err != nil {
		return nil, fmt.Errorf("quarantine of %s: %w", project, err)
	}
	ok := make(map[string]bool, len(passed))
	for _, f := range passed {
		ok[f] = true
	}
	out := rows[:0]
	for _, r := range rows {
		if ok[r.Filename] {
			out = append(out, r)
		}
	}
	return out, nil
}

// mayServe returns nil when d may serve f, and an error wrapping ErrNotFound when d
// requires checks and f's latest verdict is not pass.
func (s *Service) mayServe(ctx context.Context, d *Distribution, f *metastore.File) error {
	if d == nil || !d.RequireChecks {
		return nil
	}
	v, err := s.store.CheckVerdict(ctx, f.RepositoryID, f.Filename)
	if err != nil {
		return fmt.Errorf("quarantine of %s: %w", f.Filename, err)
	}
	if v != VerdictPass {
		if v == "" {
			v = "not checked yet"
		}
		return fmt.Errorf("file %s is quarantined: distribution %s serves only files whose check passed (%s): %w", f.Filename, d.BasePath, v, errs.ErrNotFound)
	}
	return nil
}
