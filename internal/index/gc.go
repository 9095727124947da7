package index

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// DefaultGCGrace is how old an unreferenced blob must be before gc removes it.
const DefaultGCGrace = time.Hour

// GCOptions says what GC does.
type GCOptions struct {
	// DryRun reports what would be removed and removes nothing.
	DryRun bool
	// Grace: only blobs whose bytes and blobs row (touched_at) are older than this are
	// removed. An upload touches the row of each blob before writing it and adds the
	// file row after, so the grace must exceed the longest upload (receiving aside: the
	// touch follows the receiving); 0 removes every unreferenced blob, which is only safe
	// when nothing uploads.
	Grace time.Duration
}

// GCReport says what GC found and did.
type GCReport struct {
	Blobs        int      // blobs looked at
	Unreferenced int      // of them referenced by no file row
	Young        int      // of those, kept because they are within the grace period
	Removed      int      // removed (with DryRun: would be)
	RemovedBytes int64    // their total size
	Example      []string // up to three removed digests
	// Packs is what compacting the blob store's packs did (File driver: small blobs
	// synced together share a pack file, whose space a removal frees only when the pack
	// is rewritten; see blobstore.File.Compact). Not done with DryRun.
	Packs blobstore.CompactReport
}

// GC removes the blobs that nothing references (no file row of any repository version,
// old ones included, and no parsed metadata) and that are older than the grace period,
// with their blobs rows. It is safe while other processes upload: for each batch it
// checks the references and the rows again inside one write transaction and deletes the
// bytes in it, and an upload touches a blob's row in a write transaction before it
// writes or reuses the bytes (see storeBlob), so one of the two sees the other.
func (s *Service) GC(ctx context.Context, opt GCOptions) (GCReport, error) {
	if opt.Grace < 0 {
		return GCReport{}, fmt.Errorf("gc grace %s is negative: %w", opt.Grace, errs.ErrInvalid)
	}
	var rep GCReport
	cutoff := s.now().Add(-opt.Grace)
	looked, err := s.walkUnreferenced(ctx, func(blobstore.Info) bool { return true }, func(cands []orphan) error {
		rep.Unreferenced += len(cands)
		old, err := s.oldEnough(ctx, s.store, cands, cutoff)
		if err != nil {
			return err
		}
		rep.Young += len(cands) - len(old)
		if len(old) == 0 {
			return nil
		}
		if opt.DryRun {
			rep.count(old)
			return nil
		}
		var gone []orphan
		err = s.store.InTx(ctx, func(tx metastore.Tx) error {
			gone = gone[:0]
			shas := make([]string, len(old))
			for i, o := range old {
				shas[i] = o.sha
			}
			used, err := tx.ReferencedBlobs(ctx, shas)
			if err != nil {
				return err
			}
			still := old[:0:0]
			for _, o := range old {
				if !slices.Contains(used, o.sha) {
					still = append(still, o)
				}
			}
			still, err = s.oldEnough(ctx, tx, still, cutoff)
			if err != nil {
				return err
			}
			for _, o := range still {
				if err := tx.DeleteBlob(ctx, o.sha); err != nil {
					return err
				}
				// Inside the transaction: an upload's touch waits for it, then finds
				// the bytes gone and writes them again.
				if err := s.blobs.Delete(ctx, o.sha); err != nil && !errors.Is(err, errs.ErrNotFound) {
					return err
				}
				gone = append(gone, o)
			}
			return nil
		})
		if err != nil {
			return err
		}
		rep.Young += len(old) - len(gone)
		rep.count(gone)
		return nil
	})
	rep.Blobs = looked
	if err != nil {
		return rep, err
	}
	if opt.DryRun {
		return rep, nil
	}
	if rep.Removed > 0 {
		s.log.Info("blobs removed", "count", rep.Removed, "bytes", rep.RemovedBytes, "of", rep.Blobs)
	}
	if rep.Packs, err = s.blobs.Compact(ctx); err != nil {
		return rep, fmt.Errorf("compacting packs: %w", err)
	}
	if rep.Packs.Removed > 0 {
		s.log.Info("packs compacted", "rewritten", rep.Packs.Rewritten, "removed", rep.Packs.Removed, "freed", rep.Packs.Freed)
	}
	return rep, nil
}

func (r *GCReport) count(list []orphan) {
	for _, o := range list {
		r.Removed++
		r.RemovedBytes += o.info.Size
		if len(r.Example) < 3 {
			r.Example = append(r.Example, o.sha)
		}
	}
}

// oldEnough keeps the candidates whose bytes were last modified before cutoff and whose
// blobs row, when they have one, was last touched before it.
func (s *Service) oldEnough(ctx context.Context, r metastore.ContentReader, cands []orphan, cutoff time.Time) ([]orphan, error) {
	shas := make([]string, 0, len(cands))
	for _, o := range cands {
		shas = append(shas, o.sha)
	}
	rows, err := r.Blobs(ctx, shas)
	if err != nil {
		return nil, err
	}
	touched := make(map[string]time.Time, len(rows))
	for _, b := range rows {
		touched[b.SHA256] = b.TouchedAt
	}
	var out []orphan
	for _, o := range cands {
		if !o.info.ModTime.Before(cutoff) {
			continue
		}
		if t, ok := touched[o.sha]; ok && !t.Before(cutoff) {
			continue
		}
		out = append(out, o)
	}
	return out, nil
}
