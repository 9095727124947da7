package index

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/versions"
)

// The rules an upload meets when its filename, or its release and tags, are already
// used in the repository. Upload calls them before storing anything and again inside
// its transaction.

// ErrDuplicateFile is the conflict of an upload that would be a second file of one
// release for the same tags (foo_bar-1.2.0-py3-none-any.whl after
// foo_bar-1.2-py3-none-any.whl): an installer asked for foo-bar==1.2 would take either.
// It wraps errs.ErrConflict, as a filename already taken does.
var ErrDuplicateFile = fmt.Errorf("release already has a file for these tags: %w", errs.ErrConflict)

// fileKey is what makes two files of one project interchangeable for an installer,
// apart from the PEP 440 version: the kind, a wheel's build tag (number and text, so
// that 01 and 1 are one) and tag set (each part's tags sorted: py2.py3 and py3.py2 are
// one), an sdist's format.
type fileKey struct {
	kind, build, tags, ext string
}

// keyOf computes the key from a kind and a file name that parsed when it was stored. It
// never expands a compressed tag set: two products of non-empty sets are equal exactly
// when their factors are.
func keyOf(kind, filename string) fileKey {
	k := fileKey{kind: kind}
	if kind != string(filenames.KindWheel) {
		k.ext = ".tar.gz"
		if strings.HasSuffix(filename, ".zip") {
			k.ext = ".zip"
		}
		return k
	}
	parts, ok := filenames.SplitWheel(filename)
	if !ok {
		k.tags = filename // not a wheel name; compares equal only to itself
		return k
	}
	if parts.Build != "" {
		n, rest := filenames.Dist{Build: parts.Build}.BuildNumber()
		k.build = strconv.Itoa(n) + rest
	}
	set := []string{parts.Python, parts.ABI, parts.Platform}
	for i, p := range set {
		ts := strings.Split(strings.ToLower(p), ".")
		slices.Sort(ts)
		set[i] = strings.Join(slices.Compact(ts), ".")
	}
	k.tags = strings.Join(set, "-")
	return k
}

// releasePrefix is what the canonical form of every version PEP 440-equal to v starts
// with: v's canonical form up to its release, without the release's trailing zeros (1.2
// for 1.2.0rc1, 1!3 for 1!3.0). It narrows the files a release rule reads.
func releasePrefix(v versions.Version) string {
	s := v.String()
	i := strings.IndexByte(s, '!') + 1 // the epoch, when there is one
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	p := strings.TrimSuffix(s[:i], ".")
	for strings.HasSuffix(p, ".0") {
		p = strings.TrimSuffix(p, ".0")
	}
	return p
}

// sameReleaseIn returns the file of files (files of row's project) that row (not yet
// stored, or being restored) would duplicate: a PEP 440-equal version (want is row's;
// only versions starting with its release prefix can be) and the same key. parsed
// caches the version strings met (nil: none). nil when there is none.
func sameReleaseIn(files []metastore.File, row *metastore.File, want versions.Version, parsed map[string]versions.Version) *metastore.File {
	var key fileKey // row's, made (keyed) for the first file of an equal version
	keyed := false
	prefix := releasePrefix(want)
	for i := range files {
		f := &files[i]
		if f.Filename == row.Filename || !strings.HasPrefix(f.Version, prefix) {
			continue
		}
		v, ok := parsed[f.Version]
		if !ok {
			pv, err := versions.Parse(f.Version)
			if err != nil {
				continue
			}
			if v = pv; parsed != nil {
				parsed[f.Version] = v
			}
		}
		if v.Compare(want) != 0 {
			continue
		}
		if !keyed {
			key, keyed = keyOf(row.Kind, row.Filename), true
		}
		if keyOf(f.Kind, f.Filename) == key {
			return f
		}
	}
	return nil
}

// checkSameRelease refuses row when the latest version has another file of its release
// for the same tags (or, for an sdist, of the same format), and when it has the project
// archived or quarantined (PEP 792; see checkStatusAllowsUpload).
func checkSameRelease(ctx context.Context, r metastore.Reader, repoID int64, latest int, row *metastore.File) error {
	want, err := versions.Parse(row.Version)
	if err != nil {
		if err := checkStatusAllowsUpload(ctx, r, repoID, latest, row.Project); err != nil {
			return err
		}
		return fmt.Errorf("version %q: %w", row.Version, errs.ErrInvalid)
	}
	status, files, err := r.ReleaseState(ctx, repoID, latest, row.Project, releasePrefix(want))
	if err != nil {
		return err
	}
	if status == StatusArchived || status == StatusQuarantined {
		return statusRefusal(row.Project, status)
	}
	if dup := sameReleaseIn(files, row, want, nil); dup != nil {
		return duplicateError(row, dup)
	}
	return nil
}

// droppedHow says how a file the latest version does not hold went away: "removed in
// repository version 5 (remove foo.whl)" or "rolled back in repository version 7
// (rollback to 3)".
func droppedHow(ctx context.Context, r metastore.Reader, repoID int64, old *metastore.File) (string, error) {
	n, err := r.FileDroppedIn(ctx, repoID, old.ID)
	if err != nil {
		return "", err
	}
	if n == 0 {
		return "removed", nil
	}
	v, err := r.Version(ctx, repoID, n)
	if errors.Is(err, errs.ErrNotFound) { // reclaimed by retain: its message is gone
		return fmt.Sprintf("removed in repository version %d", n), nil
	}
	if err != nil {
		return "", err
	}
	verb := "removed"
	if strings.HasPrefix(v.Message, "rollback") {
		verb = "rolled back"
	}
	return fmt.Sprintf("%s in repository version %d (%s)", verb, n, v.Message), nil
}

// heldOutcome is the answer to an upload of a filename the latest version holds (live):
// the same bytes are the file, other bytes the "File already exists" conflict.
func heldOutcome(live *metastore.File, sum string) (*File, error) {
	if live.SHA256 != sum {
		return nil, fmt.Errorf("%s: %s has other content (sha256 %s): %w", msgFileExists, live.Filename, live.SHA256, errs.ErrConflict)
	}
	out := fileOut(live)
	return &out, nil
}

// reupload is Upload for a filename the repository has used. A file the latest version
// holds is answered from the read pool (re-uploads with twine --skip-existing are common
// and must not queue for the writer); otherwise settleExisting decides in a transaction.
// existed is true when nothing changed.
func (s *Service) reupload(ctx context.Context, repo, filename, sum string) (*File, bool, error) {
	if r, err := s.store.Repository(ctx, repo); err == nil {
		if live, err := s.store.FileAt(ctx, r.ID, r.Latest, filename); err == nil {
			out, err := heldOutcome(live, sum)
			return out, err == nil, err
		}
	}
	// Settled in the batch: the row exists (rows are never deleted), so the add either
	// answers from it or restores it.
	p := &Prepared{row: &metastore.File{Filename: filename, SHA256: sum}, restoreOnly: true}
	res, err := s.Apply(ctx, repo, "", []Change{{Kind: ChangeAdd, File: p}})
	if err != nil {
		return nil, false, err
	}
	cr := res.Results[0]
	if cr.Restored {
		s.log.Info("file restored", "repository", repo, "filename", filename, "sha256", sum)
	}
	return cr.File, !cr.Changed, nil
}
