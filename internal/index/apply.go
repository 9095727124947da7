package index

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/versions"
)

// ChangeKind is what one Change of a batch does.
type ChangeKind int

const (
	// ChangeAdd adds a prepared file (Change.File). The same bytes under a filename the
	// latest state holds change nothing; a removed or rolled-back file comes back with
	// its own bytes; other bytes under a used filename are a conflict.
	ChangeAdd ChangeKind = iota + 1
	// ChangeRemove drops Filename, or every file of Project==Version; ErrNotFound when
	// nothing matches.
	ChangeRemove
	// ChangeYank yanks Project==Version (every PEP 440-equal spelling) with Reason (nil
	// keeps the reason of files already yanked); ChangeUnyank clears it. A release
	// already in that state changes nothing; ErrNotFound when it has no files.
	ChangeYank
	ChangeUnyank
	// ChangeRollback makes the content what version To held. It must be the first
	// change of its batch; to the latest version it changes nothing.
	ChangeRollback
	// ChangeAttribute sets a project attribute of the repository: today the PEP 792
	// Status of Project with StatusReason. The same status and reason change nothing;
	// ErrNotFound when the current state has no such project.
	ChangeAttribute
)

// Change is one change of a batch given to Apply. Which fields count depends on Kind.
type Change struct {
	Kind     ChangeKind
	File     *Prepared // ChangeAdd
	Project  string    // ChangeRemove (with Version), ChangeYank, ChangeUnyank
	Version  string
	Filename string  // ChangeRemove of one file (Project and Version then optional filters)
	Reason   *string // ChangeYank
	To       int     // ChangeRollback
	// ChangeAttribute (with Project).
	Status, StatusReason string
}

// ChangeResult says what one change did.
type ChangeResult struct {
	// Changed is false when the change had no effect (the file was there, the release
	// was in that state, the rollback was to the latest version).
	Changed bool
	// File is the added or restored file (ChangeAdd); Restored tells which.
	File     *File
	Restored bool
	// Files and Matched are the files of the release and how many changed (ChangeYank,
	// ChangeUnyank), or how many files were dropped (ChangeRemove).
	Files, Matched int
	Reason         string // the release's yank reason now (ChangeYank)
	// Err is why an add was skipped (OpenVersion.Apply only: a rule refused it).
	Err error
}

// ApplyResult is what Apply did: Version is the version made, or the latest when
// nothing changed (Made false).
type ApplyResult struct {
	Repository string
	Version    int
	Made       bool
	Results    []ChangeResult // one per change, in order
}

// MaxChanges is the most changes one Apply takes.
const MaxChanges = 100_000

// Apply makes ONE repository version of repo from changes, applied in order in one
// transaction, or none when no change has an effect. message is the version's message;
// "" uses the one change's own ("upload f.whl", "yank foo 1.0", ...), or "N changes".
// Any error leaves the repository as it was.
func (s *Service) Apply(ctx context.Context, repo, message string, changes []Change) (*ApplyResult, error) {
	if len(changes) > MaxChanges {
		return nil, fmt.Errorf("%d changes in one batch, at most %d: %w", len(changes), MaxChanges, errs.ErrTooLarge)
	}
	for i, c := range changes {
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("change %d: %w", i+1, err)
		}
		if c.Kind == ChangeRollback && i > 0 {
			return nil, fmt.Errorf("change %d: a rollback must be the first change of a batch: %w", i+1, errs.ErrInvalid)
		}
	}
	if !s.gates.enter(repo) {
		return nil, fmt.Errorf("repository %s: %w", repo, ErrVersionOpen)
	}
	defer s.gates.leave(repo)
	var res *ApplyResult
	err := s.store.InTx(ctx, func(tx metastore.Tx) error {
		st, err := tx.RepositoryState(ctx, repo)
		if err != nil {
			return err
		}
		r := &st.Repository
		// What a sync staged and left when its process died is undone first: its rows
		// would read as the latest state to the writes below.
		if st.Staged {
			if _, err := tx.DiscardStaged(ctx, r.ID); err != nil {
				return err
			}
			s.log.Warn("discarded a staged version left by a sync that did not end", "repository", repo)
		}
		b := &batch{s: s, tx: tx, r: r, cur: r.Latest, msg: message, changes: changes, rulesRead: st.BlockRules == 0}
		res = &ApplyResult{Repository: r.Name, Version: r.Latest, Results: make([]ChangeResult, len(changes))}
		for i := range changes {
			if res.Results[i], err = b.apply(ctx, i); err != nil {
				return changeError(i, len(changes), err)
			}
		}
		if err := b.flush(ctx); err != nil {
			return err
		}
		if b.n == 0 {
			return nil
		}
		res.Version, res.Made = b.n, true
		return tx.FinishVersion(ctx, r.ID, b.n, b.now)
	})
	if err != nil {
		return nil, err
	}
	if res.Made {
		s.log.Info("repository changed", "repository", repo, "version", res.Version, "changes", len(changes))
		s.versionMade(repo)
	}
	return res, nil
}

func (c *Change) check() error {
	switch c.Kind {
	case ChangeAdd:
		if c.File == nil || c.File.row == nil {
			return fmt.Errorf("an add without a prepared file: %w", errs.ErrInvalid)
		}
	case ChangeRemove:
		if c.Filename == "" && (c.Project == "" || c.Version == "") {
			return fmt.Errorf("remove needs a filename, or a project and a version: %w", errs.ErrInvalid)
		}
	case ChangeYank, ChangeUnyank:
		if c.Project == "" || c.Version == "" {
			return fmt.Errorf("a yank needs a project and a version: %w", errs.ErrInvalid)
		}
	case ChangeRollback:
		if c.To < 0 {
			return fmt.Errorf("rollback to version %d: %w", c.To, errs.ErrInvalid)
		}
	case ChangeAttribute:
		if c.Project == "" {
			return fmt.Errorf("an attribute change needs a project: %w", errs.ErrInvalid)
		}
		return checkStatus(c.Status, c.StatusReason)
	default:
		return fmt.Errorf("unknown change kind %d: %w", c.Kind, errs.ErrInvalid)
	}
	return nil
}

// batch is one Apply in its transaction. n is the version being made (0 until a change
// has an effect); cur is the version that shows the current state (n once begun, the
// latest before).
type batch struct {
	s       *Service
	tx      metastore.Tx
	r       *metastore.Repository
	n, cur  int
	now     time.Time
	msg     string
	changes []Change
	// The repository's blocklist, read on the first add (none: read already).
	rules     []metastore.BlockRule
	rulesRead bool
	// tolerant: an add a rule refuses is skipped with its error (OpenVersion.Apply).
	tolerant bool
	// pre is what the adds read ahead for their rules (readahead.go).
	pre readAhead
	// queued are the adds checked and not yet written (addqueue.go); rows and parsed
	// are the slices of their write, kept for the next.
	queued []queuedAdd
	rows   []*metastore.File
	parsed []metastore.ParsedMetadata
	// stored: which blobs the adds before storedTo verify are stored (checkStored);
	// deletions, the blob store's count of deletions in this transaction (Prepared's
	// verifyMark), once deletionsRead (deletionsOK: the store keeps one).
	stored                     map[string]int64
	storedTo                   int
	deletions                  int64
	deletionsRead, deletionsOK bool
}

// begin starts the version on the first effective change; msg is that change's own
// message, used when the batch has one change and no message was given.
func (b *batch) begin(ctx context.Context, msg string) error {
	if b.n != 0 {
		return nil
	}
	m := b.msg
	if m == "" {
		m = msg
		if len(b.changes) > 1 {
			m = fmt.Sprintf("%d changes", len(b.changes))
		}
	}
	b.now = b.s.now()
	n, err := b.tx.BeginVersion(ctx, b.r.ID, m, b.now)
	if err != nil {
		return err
	}
	b.n, b.cur = n, n
	return nil
}

func (b *batch) apply(ctx context.Context, i int) (ChangeResult, error) {
	c := &b.changes[i]
	if c.Kind != ChangeAdd {
		// What the adds read ahead no longer shows the state they will meet, and the
		// change reads the repository with the adds before it.
		b.pre.invalidate()
		if err := b.flush(ctx); err != nil {
			return ChangeResult{}, err
		}
	}
	switch c.Kind {
	case ChangeAdd:
		res, err := b.add(ctx, i, c.File)
		if err != nil && b.tolerant && refusedAdd(err) && !isFlushError(err) {
			return ChangeResult{Err: err}, nil
		}
		return res, err
	case ChangeRemove:
		return b.remove(ctx, c)
	case ChangeYank, ChangeUnyank:
		return b.yank(ctx, c)
	case ChangeRollback:
		return b.rollback(ctx, c.To)
	case ChangeAttribute:
		return b.attribute(ctx, c)
	}
	return ChangeResult{}, fmt.Errorf("unknown change kind %d: %w", c.Kind, errs.ErrInvalid)
}

func (b *batch) add(ctx context.Context, i int, p *Prepared) (ChangeResult, error) {
	tx, r := b.tx, b.r
	row := *p.row
	row.RepositoryID = r.ID
	if !p.restoreOnly {
		if err := b.checkBlocked(ctx, &row); err != nil {
			return ChangeResult{}, err
		}
	}
	// fresh: no file row has the filename, no need to read one. When nothing has
	// changed the repository since the caller found it unused, it still is.
	fresh := p.checkedUnused && b.n == 0 && p.checkedRepo == r.ID && p.checkedAt == b.cur
	if !fresh && !p.restoreOnly {
		var err error
		if fresh, err = b.unused(ctx, i, row.Filename); err != nil {
			return ChangeResult{}, err
		}
	}
	if !fresh {
		if err := b.flush(ctx); err != nil { // the filename may be a queued add's
			return ChangeResult{}, err
		}
		old, err := tx.FileByFilename(ctx, r.ID, row.Filename)
		if err == nil {
			res, err := b.settleExisting(ctx, old, row.SHA256)
			if res.Changed {
				b.pre.invalidate() // a restore: the release's files changed
			}
			return res, err
		} else if !errors.Is(err, errs.ErrNotFound) || p.restoreOnly {
			return ChangeResult{}, err
		}
	}
	// The rules read the repository at b.cur: when nothing has changed it since the
	// caller checked them (no version since, none begun by this batch), they still hold.
	if checked := b.n == 0 && p.checkedRepo == r.ID && p.checkedAt == b.cur; !checked {
		if err := b.checkRelease(ctx, i, &row); err != nil {
			return ChangeResult{}, err
		}
	}
	if err := b.checkStored(ctx, i, p); err != nil {
		return ChangeResult{}, err
	}
	if err := b.begin(ctx, "upload "+row.Filename); err != nil {
		return ChangeResult{}, err
	}
	if row.UploadTime.IsZero() {
		row.UploadTime = b.now
	}
	if b.queues() {
		// As AddFile will default them.
		if row.Origin == "" {
			row.Origin = metastore.OriginUpload
		}
		if row.Presence == "" {
			row.Presence = metastore.PresenceStored
		}
		b.pre.added(&row)
		if err := b.queue(ctx, i, &row, p.parsed); err != nil {
			return ChangeResult{}, err
		}
	} else {
		if _, err := tx.AddFile(ctx, &row, b.n); err != nil {
			return ChangeResult{}, err
		}
		b.pre.added(&row)
		if row.MetadataSHA256 != "" && len(p.parsed) > 0 {
			if err := tx.PutParsedMetadata(ctx, row.MetadataSHA256, p.parsed); err != nil {
				return ChangeResult{}, err
			}
		}
	}
	f := fileOut(&row)
	f.RepositoryVersion = b.n
	return ChangeResult{Changed: true, File: &f}, nil
}

// settleExisting decides an add whose filename the repository has used (old is that
// file's row; sum the added digest):
//   - the current state holds old: the same bytes are success with no change, other
//     bytes the "File already exists" conflict;
//   - it does not (removed, or rolled back): the same bytes restore the file (Restored),
//     other bytes are ErrFilenameReused, saying which of the two happened.
func (b *batch) settleExisting(ctx context.Context, old *metastore.File, sum string) (ChangeResult, error) {
	tx, r := b.tx, b.r
	live, err := tx.FileAt(ctx, r.ID, b.cur, old.Filename)
	if err == nil {
		out, err := heldOutcome(live, sum)
		return ChangeResult{File: out}, err
	}
	if !errors.Is(err, errs.ErrNotFound) {
		return ChangeResult{}, err
	}
	how, err := droppedHow(ctx, tx, r.ID, old)
	if err != nil {
		return ChangeResult{}, err
	}
	if old.SHA256 != sum {
		return ChangeResult{}, fmt.Errorf("%s: %s was %s; only its own bytes (sha256 %s) can bring it back: %w",
			msgFilenameUsed, old.Filename, how, old.SHA256, ErrFilenameReused)
	}
	if err := b.checkBlocked(ctx, old); err != nil {
		return ChangeResult{}, err
	}
	if err := checkSameRelease(ctx, tx, r.ID, b.cur, old); err != nil {
		return ChangeResult{}, err
	}
	if err := b.begin(ctx, "upload "+old.Filename+" (restored)"); err != nil {
		return ChangeResult{}, err
	}
	if err := tx.RestoreFile(ctx, r.ID, b.n, old.ID); err != nil {
		return ChangeResult{}, err
	}
	out := fileOut(old)
	out.Yanked, out.YankReason = false, ""
	out.RepositoryVersion = b.n
	return ChangeResult{Changed: true, File: &out, Restored: true}, nil
}

func (b *batch) remove(ctx context.Context, c *Change) (ChangeResult, error) {
	p, v := "", ""
	if c.Project != "" {
		p = names.Normalize(c.Project)
	}
	if c.Version != "" {
		var err error
		if v, err = canonicalVersion(c.Version); err != nil {
			return ChangeResult{}, err
		}
	}
	msg, what := fmt.Sprintf("remove %s %s", p, v), fmt.Sprintf("files of %s %s", p, v)
	if c.Filename != "" {
		msg, what = "remove "+c.Filename, "file "+c.Filename
	}
	spellings := []string{v}
	if p != "" && v != "" {
		var err error
		if spellings, err = storedVersions(ctx, b.tx, b.r.ID, b.cur, p, v); err != nil {
			return ChangeResult{}, err
		}
	}
	if err := b.begin(ctx, msg); err != nil {
		return ChangeResult{}, err
	}
	total := 0
	for _, sv := range spellings {
		n, err := b.tx.RemoveFiles(ctx, b.r.ID, b.n, p, sv, c.Filename)
		if err != nil {
			return ChangeResult{}, err
		}
		total += n
	}
	if total == 0 {
		return ChangeResult{}, fmt.Errorf("repository %s has no %s: %w", b.r.Name, what, errs.ErrNotFound)
	}
	return ChangeResult{Changed: true, Matched: total}, nil
}

func (b *batch) yank(ctx context.Context, c *Change) (ChangeResult, error) {
	yanked := c.Kind == ChangeYank
	want, err := versions.Parse(c.Version)
	if err != nil {
		return ChangeResult{}, err
	}
	project := names.Normalize(c.Project)
	all, err := b.tx.ProjectFilenames(ctx, b.r.ID, b.cur, project, releasePrefix(want))
	if err != nil {
		return ChangeResult{}, err
	}
	var files []*metastore.File // the release: PEP 440-equal versions (1.10 == 1.10.0)
	kept := ""
	for i := range all {
		if v, err := versions.Parse(all[i].Version); err == nil && v.Compare(want) == 0 {
			files = append(files, &all[i])
			if all[i].Yanked && kept == "" {
				kept = all[i].YankReason
			}
		}
	}
	if len(files) == 0 {
		return ChangeResult{}, fmt.Errorf("repository %s has no files of %s %s: %w", b.r.Name, project, want.String(), errs.ErrNotFound)
	}
	res := ChangeResult{Files: len(files)}
	var change []*metastore.File
	for _, f := range files {
		y, why := yankTarget(f, yanked, c.Reason, kept)
		if y != f.Yanked || why != f.YankReason {
			change = append(change, f)
		}
		if y {
			res.Reason = why
		}
	}
	if len(change) == 0 {
		return res, nil // no-op
	}
	verb := "unyank"
	if yanked {
		verb = "yank"
	}
	if err := b.begin(ctx, fmt.Sprintf("%s %s %s", verb, project, want.String())); err != nil {
		return ChangeResult{}, err
	}
	for _, f := range change {
		y, why := yankTarget(f, yanked, c.Reason, kept)
		if err := b.tx.SetFileYanked(ctx, b.r.ID, b.n, f.ID, y, why); err != nil {
			return ChangeResult{}, err
		}
	}
	res.Changed, res.Matched = true, len(change)
	return res, nil
}

func (b *batch) rollback(ctx context.Context, to int) (ChangeResult, error) {
	if to > b.r.Latest {
		return ChangeResult{}, fmt.Errorf("repository %s has no version %d (latest is %d): %w", b.r.Name, to, b.r.Latest, errs.ErrNotFound)
	}
	if to == b.r.Latest {
		return ChangeResult{}, nil // already its content: no version
	}
	if err := versionExists(ctx, b.tx, b.r, to, errs.ErrNotFound); err != nil {
		return ChangeResult{}, err
	}
	if err := b.begin(ctx, fmt.Sprintf("rollback to %d", to)); err != nil {
		return ChangeResult{}, err
	}
	if err := b.tx.RestoreContent(ctx, b.r.ID, b.n, to); err != nil {
		return ChangeResult{}, err
	}
	return ChangeResult{Changed: true}, nil
}

func (b *batch) attribute(ctx context.Context, c *Change) (ChangeResult, error) {
	project := names.Normalize(c.Project)
	p, err := b.tx.Project(ctx, b.r.ID, b.cur, project)
	if err != nil {
		return ChangeResult{}, fmt.Errorf("repository %s has no project %s: %w", b.r.Name, project, err)
	}
	if p.Status == c.Status && p.StatusReason == c.StatusReason {
		return ChangeResult{Reason: p.StatusReason}, nil // no-op
	}
	if err := b.begin(ctx, fmt.Sprintf("status %s %s", project, c.Status)); err != nil {
		return ChangeResult{}, err
	}
	a := p.ProjectAttributes
	a.Status, a.StatusReason = c.Status, c.StatusReason
	changed, err := b.tx.SetProjectAttributes(ctx, b.r.ID, b.n, project, a)
	if err != nil {
		return ChangeResult{}, err
	}
	return ChangeResult{Changed: changed, Reason: c.StatusReason}, nil
}

// checkStored refuses an add whose blobs were written outside a touching transaction
// (a sync's blob batch, Prepared.verify) and are gone: gc deletes unreferenced bytes
// inside its own write transaction, so either it ran before this one (and the check here
// finds nothing) or it will see the row this one adds. An add whose blobs were written
// or found with the store's count of deletions the same as now (verifyMark) has them
// still, and nothing is looked up: a pack-index query per blob was a tenth of the
// writer's time in a sync. The others' blobs, of the next storedAhead changes (i and
// after), are looked up at once (one query per hundreds of packed blobs, not one each):
// what the transaction found stored stays stored until it ends, gc being the only one
// to delete.
func (b *batch) checkStored(ctx context.Context, i int, p *Prepared) error {
	if len(p.verify) == 0 {
		return nil
	}
	if !b.deletionsRead {
		var err error
		if b.deletions, b.deletionsOK, err = b.s.blobs.Deletions(ctx); err != nil {
			return err
		}
		b.deletionsRead = true
	}
	if b.unchanged(p) {
		return nil
	}
	if b.stored == nil || i >= b.storedTo {
		end := min(i+storedAhead, len(b.changes))
		var shas []string
		for _, c := range b.changes[i:end] {
			if c.Kind == ChangeAdd && c.File != nil && !b.unchanged(c.File) {
				shas = append(shas, c.File.verify...)
			}
		}
		var err error
		if b.stored, err = b.s.blobs.Present(ctx, shas); err != nil {
			return err
		}
		b.storedTo = end
	}
	for _, sha := range p.verify {
		if _, ok := b.stored[sha]; !ok {
			return fmt.Errorf("%s: %w", p.row.Filename, errBlobGone)
		}
	}
	return nil
}

// unchanged reports whether no blob was deleted since p's were written or found.
func (b *batch) unchanged(p *Prepared) bool {
	return p.verifyMarked && b.deletionsOK && p.verifyMark == b.deletions
}

// storedAhead is how many changes checkStored looks up at once.
const storedAhead = 500
