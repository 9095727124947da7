package index

import (
	"context"
	"fmt"
	"slices"

	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/versions"
)

// A sync's batch holds hundreds of adds, and each add's rules read the repository: is
// the filename used, is the project archived or quarantined, has the release a file for
// the same tags. One query per rule per file was most of a batch's work; readAhead reads
// them for the next adds of the batch (up to metastore.MaxBatch of each) in three
// set-based queries, and keeps what the batch's own adds change, so that the rules
// between two adds of one batch hold as when each add read the repository itself.
//
// Only the batch's adds of new files change what it read, and it follows them. Any other
// change (a restore, a remove, a yank, a status) invalidates the statuses and release
// files; the next add that needs them reads them again. An add the read did not cover
// (beyond its window, a version that does not parse) asks the repository itself.
type readAhead struct {
	upto int // the adds before index upto have had their read
	// unused are the filenames that no file row had when read and no add of the batch
	// has taken since: file rows are never deleted in a batch, only added.
	unused map[string]bool
	// valid: statuses and files still show the state at b.cur.
	valid bool
	// statuses are the projects b.cur holds with a status other than active; projects
	// are those the read covered.
	statuses map[string]string
	projects map[string]bool
	// files are the files at b.cur of the releases read (and the batch's adds since), by
	// project; releases says which releases are complete.
	files    map[string][]metastore.File
	releases map[metastore.ReleaseQuery]bool
	parsed   map[string]versions.Version // version strings met, parsed
}

func (a *readAhead) invalidate() { a.valid = false }

// added follows an add of a new file.
func (a *readAhead) added(row *metastore.File) {
	delete(a.unused, row.Filename)
	if a.valid && a.projects[row.Project] {
		a.files[row.Project] = append(a.files[row.Project], metastore.File{
			ID: row.ID, RepositoryID: row.RepositoryID, Project: row.Project, Filename: row.Filename,
			Version: row.Version, Kind: row.Kind, SHA256: row.SHA256,
		})
	}
}

// needsRules reports whether an add will check the release rules itself (see add).
func (b *batch) needsRules(p *Prepared) bool {
	return !(p.checkedRepo == b.r.ID && p.checkedAt == b.cur)
}

// read reads ahead for the adds of the batch from index i on: the adds up to the next
// other change, as many as fit metastore.MaxBatch filenames, projects and releases.
func (b *batch) read(ctx context.Context, i int) error {
	a := &b.pre
	if err := b.flush(ctx); err != nil { // the reads see the adds before i
		return err
	}
	var names, projects []string
	var releases []metastore.ReleaseQuery
	seenProject := map[string]bool{}
	adds := map[string]int{} // the adds of each project read for, which added will append
	seenRelease := map[metastore.ReleaseQuery]bool{}
	j := i
	for ; j < len(b.changes); j++ {
		c := &b.changes[j]
		if c.Kind != ChangeAdd {
			break
		}
		p := c.File
		if p.restoreOnly {
			continue
		}
		if len(names) == metastore.MaxBatch {
			break
		}
		var rq metastore.ReleaseQuery
		rules := b.needsRules(p)
		if rules {
			if v, err := versions.Parse(p.row.Version); err == nil {
				rq = metastore.ReleaseQuery{Project: p.row.Project, VersionPrefix: releasePrefix(v)}
			}
			if rq.Project != "" && !seenRelease[rq] && len(releases) == metastore.MaxBatch ||
				!seenProject[p.row.Project] && len(projects) == metastore.MaxBatch {
				break
			}
		}
		names = append(names, p.row.Filename)
		if rules {
			adds[p.row.Project]++
			if !seenProject[p.row.Project] {
				seenProject[p.row.Project] = true
				projects = append(projects, p.row.Project)
			}
			if rq.Project != "" && !seenRelease[rq] {
				seenRelease[rq] = true
				releases = append(releases, rq)
			}
		}
	}
	used, err := b.tx.UsedFilenames(ctx, b.r.ID, names)
	if err != nil {
		return err
	}
	a.unused = make(map[string]bool, len(names))
	for _, n := range names {
		a.unused[n] = true
	}
	for _, n := range used {
		delete(a.unused, n)
	}
	a.upto, a.valid = j, true
	a.projects, a.releases = seenProject, seenRelease
	a.statuses, a.files = map[string]string{}, map[string][]metastore.File{}
	if len(projects) == 0 {
		return nil
	}
	sts, err := b.tx.ProjectStatuses(ctx, b.r.ID, b.cur, projects)
	if err != nil {
		return err
	}
	for _, st := range sts {
		if st.Status != StatusActive {
			a.statuses[st.Project] = st.Status
		}
	}
	if len(releases) == 0 {
		return nil
	}
	files, err := b.tx.ReleaseFiles(ctx, b.r.ID, b.cur, releases)
	if err != nil {
		return err
	}
	for _, f := range files {
		a.files[f.Project] = append(a.files[f.Project], f)
	}
	// Room for the adds at once: a File is 336 bytes, and growing each project's list
	// one add at a time allocated three times its size (28 MB in a 20,000-file sync).
	for p, n := range adds {
		a.files[p] = slices.Grow(a.files[p], n)
	}
	return nil
}

// unused reports whether no file row of the repository has filename, the add at index
// i's: true only when the read ahead knows it (false may still be unused: the caller
// then reads the row).
func (b *batch) unused(ctx context.Context, i int, filename string) (bool, error) {
	if len(b.changes) == 1 { // an upload: nothing to read ahead for
		used, err := b.tx.UsedFilenames(ctx, b.r.ID, []string{filename})
		return len(used) == 0, err
	}
	if i >= b.pre.upto {
		if err := b.read(ctx, i); err != nil {
			return false, err
		}
	}
	return b.pre.unused[filename], nil
}

// checkRelease is checkSameRelease for the add at index i, answered from the read ahead
// when it covers the add's release.
func (b *batch) checkRelease(ctx context.Context, i int, row *metastore.File) error {
	a := &b.pre
	if !a.valid || i >= a.upto {
		if err := b.read(ctx, i); err != nil {
			return err
		}
	}
	want, err := versions.Parse(row.Version)
	if err != nil || !a.projects[row.Project] || !a.releases[metastore.ReleaseQuery{Project: row.Project, VersionPrefix: releasePrefix(want)}] {
		if err := b.flush(ctx); err != nil { // the read sees the adds before i
			return err
		}
		return checkSameRelease(ctx, b.tx, b.r.ID, b.cur, row)
	}
	if st := a.statuses[row.Project]; st == StatusArchived || st == StatusQuarantined {
		return statusRefusal(row.Project, st)
	}
	if a.parsed == nil {
		a.parsed = map[string]versions.Version{}
	}
	if dup := sameReleaseIn(a.files[row.Project], row, want, a.parsed); dup != nil {
		return duplicateError(row, dup)
	}
	return nil
}

// duplicateError is the refusal of row as a second file of dup's release for its tags.
func duplicateError(row, dup *metastore.File) error {
	what := "tags " + keyOf(row.Kind, row.Filename).tags
	if row.Kind != string(filenames.KindWheel) {
		what = "sdist format " + keyOf(row.Kind, row.Filename).ext
	}
	return fmt.Errorf("%s: %s would be a second file of %s %s for %s: %s is already there (sha256 %s): %w",
		msgFileExists, row.Filename, row.Project, dup.Version, what, dup.Filename, dup.SHA256, ErrDuplicateFile)
}
