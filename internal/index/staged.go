package index

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// A sync may bring more changes than one Apply takes (index.MaxChanges), and must still
// make ONE repository version, holding in memory only a batch of them. OpenVersion opens
// such a version: each Apply of it writes one batch in its own transaction, staged under
// the number the version will have (the repository's latest plus one, see
// metastore.StagingWriter), which no reader of a real version sees; Publish makes it the
// repository's next version in one transaction, and Discard, or the next OpenVersion or
// Apply after a crash, undoes what was staged. The file rows it added then go too, and
// their blobs are left to gc.
//
// While a version is open, the other writers of its repository would see its rows as the
// latest state: Apply on that repository fails at once with ErrVersionOpen (an upload is
// answered 409 and may retry), a second OpenVersion waits for the first to end, and
// OpenVersionNow fails at once (a pull-through refresh then serves the page it knows).
// The gate is in this Service: processes sharing one database must not sync into one
// repository at the same time (an Apply of the open version that finds the repository
// moved past it fails, errVersionMoved).

// ErrVersionOpen is Apply's refusal while a staged version of the repository is open.
var ErrVersionOpen = fmt.Errorf("a sync is writing a new version of this repository; try again when it ends: %w", errs.ErrConflict)

// errVersionMoved fails an Apply or Publish of an open version whose repository got a
// version meanwhile (another process wrote it): the staged rows would join that one.
var errVersionMoved = fmt.Errorf("the repository got a new version while a sync was writing its own; sync again: %w", errs.ErrConflict)

// errBlobGone refuses an add whose bytes are no longer stored (gc removed them between
// the sync's write and its batch): the file fails, and the next sync fetches it again.
var errBlobGone = fmt.Errorf("the file's bytes are no longer stored (gc ran meanwhile): %w", errs.ErrConflict)

// gates serializes the staged versions of each repository and keeps the other writers
// out while one is open.
type gates struct {
	mu      sync.Mutex
	open    map[string]bool // repository -> a staged version is open
	writers map[string]int  // repository -> Applies in progress
}

// enter starts an Apply on repo; false when a staged version is open.
func (g *gates) enter(repo string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open[repo] {
		return false
	}
	if g.writers == nil {
		g.writers = map[string]int{}
	}
	g.writers[repo]++
	return true
}

func (g *gates) leave(repo string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.writers[repo]--; g.writers[repo] <= 0 {
		delete(g.writers, repo)
	}
}

// lock waits until repo has no open version and no Apply in progress, and opens one;
// without wait it fails at once with ErrVersionOpen when another version is open.
func (g *gates) lock(ctx context.Context, repo string, wait bool) error {
	for {
		g.mu.Lock()
		if !g.open[repo] && g.writers[repo] == 0 {
			if g.open == nil {
				g.open = map[string]bool{}
			}
			g.open[repo] = true
			g.mu.Unlock()
			return nil
		}
		busy := g.open[repo]
		g.mu.Unlock()
		if busy && !wait {
			return fmt.Errorf("repository %s: %w", repo, ErrVersionOpen)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (g *gates) unlock(repo string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.open, repo)
}

// OpenVersion is a repository version being filled in batches (see OpenVersion).
type OpenVersion struct {
	s       *Service
	repo    string
	repoID  int64
	number  int // the version it stages, and will publish as: the latest when it opened, plus one
	msg     string
	now     time.Time
	changes int // changes with an effect so far
	ended   bool
}

// OpenVersion opens a version of repo whose message will be message, waiting while
// another is open. What an earlier process staged and left (a crash) is discarded. The
// caller ends it with Publish or Discard.
func (s *Service) OpenVersion(ctx context.Context, repo, message string) (*OpenVersion, error) {
	return s.openVersion(ctx, repo, message, true)
}

// OpenVersionNow is OpenVersion failing at once with ErrVersionOpen while another
// version of repo is open (a pull-through refresh must not wait for a long sync).
func (s *Service) OpenVersionNow(ctx context.Context, repo, message string) (*OpenVersion, error) {
	return s.openVersion(ctx, repo, message, false)
}

func (s *Service) openVersion(ctx context.Context, repo, message string, wait bool) (*OpenVersion, error) {
	if err := s.gates.lock(ctx, repo, wait); err != nil {
		return nil, err
	}
	var id int64
	var number int
	err := s.store.InTx(ctx, func(tx metastore.Tx) error {
		r, err := tx.Repository(ctx, repo)
		if err != nil {
			return err
		}
		id, number = r.ID, r.Latest+1
		if gone, err := tx.DiscardStaged(ctx, r.ID); err != nil || !gone {
			return err
		}
		s.log.Warn("discarded a staged version left by a sync that did not end", "repository", repo)
		return nil
	})
	if err != nil {
		s.gates.unlock(repo)
		return nil, err
	}
	return &OpenVersion{s: s, repo: repo, repoID: id, number: number, msg: message, now: s.now()}, nil
}

// Changes is how many changes with an effect the version holds so far.
func (v *OpenVersion) Changes() int { return v.changes }

// Apply writes a batch of changes (at most MaxChanges; no rollback) into the version in
// one transaction, reading the latest state with what earlier batches staged. An add
// that the repository's rules refuse (a second file of its release for the same tags, a
// filename used for other bytes, the blocklist, the project's status, bytes no longer
// stored) is skipped with its error in its result; any other error fails the batch and
// stages none of it (earlier batches stay staged).
func (v *OpenVersion) Apply(ctx context.Context, changes []Change) ([]ChangeResult, error) {
	if v.ended {
		return nil, fmt.Errorf("apply to a version already published or discarded: %w", errs.ErrInvalid)
	}
	if len(changes) > MaxChanges {
		return nil, fmt.Errorf("%d changes in one batch, at most %d: %w", len(changes), MaxChanges, errs.ErrTooLarge)
	}
	for i, c := range changes {
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("change %d: %w", i+1, err)
		}
		if c.Kind == ChangeRollback {
			return nil, fmt.Errorf("change %d: a staged version takes no rollback: %w", i+1, errs.ErrInvalid)
		}
	}
	results := make([]ChangeResult, len(changes))
	n := 0
	err := v.s.store.InTx(ctx, func(tx metastore.Tx) error {
		st, err := tx.RepositoryState(ctx, v.repo)
		if err != nil {
			return err
		}
		if st.Latest != v.number-1 {
			return fmt.Errorf("repository %s at version %d, the sync's is %d: %w", v.repo, st.Latest, v.number, errVersionMoved)
		}
		b := &batch{s: v.s, tx: tx, r: &st.Repository, n: v.number, cur: v.number, now: v.now,
			changes: changes, tolerant: true, rulesRead: st.BlockRules == 0}
		n = 0
		for i := range changes {
			res, err := b.apply(ctx, i)
			if err != nil {
				return changeError(i, 2, err) // "change i" even in a batch of one
			}
			if res.Changed {
				n++
			}
			results[i] = res
		}
		return b.flush(ctx)
	})
	if err != nil {
		return nil, err
	}
	v.changes += n
	return results, nil
}

// Publish makes the version the repository's next one, in one transaction, and ends it;
// with nothing changed it makes none (Made false, Version the latest).
func (v *OpenVersion) Publish(ctx context.Context) (*ApplyResult, error) {
	if v.ended {
		return nil, fmt.Errorf("publish of a version already published or discarded: %w", errs.ErrInvalid)
	}
	res := &ApplyResult{Repository: v.repo}
	err := v.s.store.InTx(ctx, func(tx metastore.Tx) error {
		r, err := tx.Repository(ctx, v.repo)
		if err != nil {
			return err
		}
		res.Version = r.Latest
		if v.changes == 0 {
			_, err := tx.DiscardStaged(ctx, r.ID)
			return err
		}
		now := v.s.now()
		n, err := tx.BeginVersion(ctx, r.ID, v.msg, now)
		if err != nil {
			return err
		}
		if n != v.number {
			return fmt.Errorf("repository %s at version %d, the sync's is %d: %w", v.repo, n-1, v.number, errVersionMoved)
		}
		res.Version, res.Made = n, true
		return tx.FinishVersion(ctx, r.ID, n, now)
	})
	if err != nil {
		return nil, err
	}
	v.ended = true
	v.s.gates.unlock(v.repo)
	if res.Made {
		v.s.log.Info("repository changed", "repository", v.repo, "version", res.Version, "changes", v.changes)
		v.s.versionMade(v.repo)
	}
	return res, nil
}

// Discard undoes what the version staged and ends it; after Publish it does nothing. If
// undoing fails the rows stay invisible, and the next OpenVersion or Apply of the
// repository undoes them.
func (v *OpenVersion) Discard(ctx context.Context) error {
	if v.ended {
		return nil
	}
	v.ended = true
	defer v.s.gates.unlock(v.repo)
	dctx := context.WithoutCancel(ctx)
	return v.s.store.InTx(dctx, func(tx metastore.Tx) error {
		_, err := tx.DiscardStaged(dctx, v.repoID)
		return err
	})
}

// refusedAdd reports whether err is a rule's refusal of an add, found before the add
// wrote anything: a staged version skips such an add instead of failing its batch.
func refusedAdd(err error) bool {
	for _, e := range []error{ErrDuplicateFile, ErrFilenameReused, ErrBlocked, ErrStatusRefusesUpload, errBlobGone, errs.ErrConflict} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
