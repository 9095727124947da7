package index

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/names"
)

// The PEP 792 project statuses. A project is active unless set otherwise.
const (
	StatusActive      = "active"      // uploads allowed, files offered
	StatusArchived    = "archived"    // no update expected; files offered
	StatusQuarantined = "quarantined" // unsafe (malware): no file is offered
	StatusDeprecated  = "deprecated"  // obsolete, maybe superseded; as active otherwise
)

// ProjectStatuses lists the PEP 792 statuses, the default first.
func ProjectStatuses() []string {
	return []string{StatusActive, StatusArchived, StatusQuarantined, StatusDeprecated}
}

// MaxStatusReason bounds the reason given with a status, in bytes.
const MaxStatusReason = 1024

// StatusResult says what SetProjectStatus did.
type StatusResult struct {
	Repository string
	Project    string // normalized
	Status     string // the project's status now
	Reason     string // its reason now
	// Changed is false when the project already had that status and reason: nothing was
	// changed and no version made.
	Changed           bool
	RepositoryVersion int // the version made, or the latest when nothing changed
}

// checkStatus validates a status and its reason.
func checkStatus(status, reason string) error {
	ok := false
	for _, s := range ProjectStatuses() {
		ok = ok || s == status
	}
	if !ok {
		return fmt.Errorf("project status %q: not one of %s (PEP 792): %w", status, strings.Join(ProjectStatuses(), ", "), errs.ErrInvalid)
	}
	if len(reason) > MaxStatusReason {
		return fmt.Errorf("status reason of %d bytes, at most %d: %w", len(reason), MaxStatusReason, errs.ErrInvalid)
	}
	if !utf8.ValidString(reason) || strings.ContainsFunc(reason, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("status reason: not UTF-8 text on one line: %w", errs.ErrInvalid)
	}
	return nil
}

// ErrStatusRefusesUpload is the refusal of an upload to a project that the repository
// has archived or quarantined: PEP 792 says the index must not accept new files for it.
// It wraps errs.ErrInvalid (HTTP 400, as PyPI answers; not 409, which twine's
// --skip-existing would take for "already uploaded").
var ErrStatusRefusesUpload = fmt.Errorf("project status does not allow uploads: %w", errs.ErrInvalid)

// checkStatusAllowsUpload refuses an upload (or a restore by upload) of a file of project
// when the latest version has the project archived or quarantined.
func checkStatusAllowsUpload(ctx context.Context, r metastore.Reader, repoID int64, latest int, project string) error {
	sts, err := r.ProjectStatuses(ctx, repoID, latest, []string{project})
	if err != nil {
		return err
	}
	for _, st := range sts {
		if st.Project == project && (st.Status == StatusArchived || st.Status == StatusQuarantined) {
			return statusRefusal(project, st.Status)
		}
	}
	return nil
}

// statusRefusal is the refusal of an upload to project, which has status.
func statusRefusal(project, status string) error {
	return fmt.Errorf("%s is %s in this repository (PEP 792); set it active to upload again: %w", project, status, ErrStatusRefusesUpload)
}

// SetProjectStatus implements API: it gives project (any spelling) the PEP 792 status
// with reason ("" for none) in a new version of repo. The status belongs to repo: other
// repositories holding the project, and repo's older versions, keep theirs. Setting the
// status and reason the project already has makes no version. ErrInvalid for a status
// PEP 792 does not define or a bad reason, ErrNotFound when the latest version of repo
// does not hold the project.
func (s *Service) SetProjectStatus(ctx context.Context, repo, project, status, reason string) (*StatusResult, error) {
	if err := checkStatus(status, reason); err != nil {
		return nil, err
	}
	res := &StatusResult{Repository: repo, Project: names.Normalize(project), Status: status, Reason: reason}
	ar, err := s.Apply(ctx, repo, "", []Change{{Kind: ChangeAttribute, Project: project, Status: status, StatusReason: reason}})
	if err != nil {
		return nil, err
	}
	res.Changed, res.RepositoryVersion = ar.Results[0].Changed, ar.Version
	if res.Changed {
		s.log.Info("repository changed", "repository", repo, "change", "status", "project", res.Project, "status", status)
	} else {
		s.log.Debug("nothing to change", "repository", repo, "change", "status", "project", res.Project, "status", status)
	}
	return res, nil
}
