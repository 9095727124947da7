package index

import (
	"context"
	"time"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/metastore"
)

// OrphanReport counts the blobs that no file row references.
type OrphanReport struct {
	Blobs   int      // blobs looked at
	Count   int      // of them unreferenced
	Bytes   int64    // their total size
	Example []string // up to three of their digests
}

// orphanHint is logged with a report that found orphans.
const orphanHint = "these bytes were stored by uploads that stopped (a crash or a kill) before recording " +
	"the file; nothing serves them and they are harmless, but they take space; " +
	"a later pydepot gc will remove them"

// FindOrphans walks the blob store and counts the blobs that no file row references as
// its body or metadata, leaving out blobs written at or after since (an upload in
// progress stores its bytes before its row). It streams: the walk holds no list, and
// digests are looked up in batches of metastore.MaxBatch, so memory stays bounded and
// the database parses one query per batch. It only reports; it deletes nothing.
func (s *Service) FindOrphans(ctx context.Context, since time.Time) (OrphanReport, error) {
	var rep OrphanReport
	batch := make([]string, 0, metastore.MaxBatch)
	sizes := make(map[string]int64, metastore.MaxBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		used, err := s.store.ReferencedBlobs(ctx, batch)
		if err != nil {
			return err
		}
		for _, sha := range used {
			delete(sizes, sha)
		}
		for _, sha := range batch { // in walk order, for stable examples
			size, orphan := sizes[sha]
			if !orphan {
				continue
			}
			rep.Count++
			rep.Bytes += size
			if len(rep.Example) < 3 {
				rep.Example = append(rep.Example, sha)
			}
		}
		batch = batch[:0]
		clear(sizes)
		return nil
	}
	err := s.blobs.WalkInfo(ctx, func(sha string, info blobstore.Info) error {
		if !since.IsZero() && !info.ModTime.Before(since) {
			return nil
		}
		rep.Blobs++
		batch = append(batch, sha)
		sizes[sha] = info.Size
		if len(batch) == metastore.MaxBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return rep, err
}

// ReportOrphans runs FindOrphans and logs what it found: a warning with the count, the
// bytes and a hint when there are orphans.
func (s *Service) ReportOrphans(ctx context.Context, since time.Time) (OrphanReport, error) {
	start := time.Now()
	rep, err := s.FindOrphans(ctx, since)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("checking blobs for orphans failed", "err", err)
		}
		return rep, err
	}
	if rep.Count > 0 {
		s.log.Warn("blobs without a file", "count", rep.Count, "bytes", rep.Bytes, "of", rep.Blobs,
			"examples", rep.Example, "hint", orphanHint)
	} else {
		s.log.Debug("blobs checked", "blobs", rep.Blobs, "took", time.Since(start))
	}
	return rep, nil
}
