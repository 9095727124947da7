package index

import (
	"context"
	"time"

	"github.com/pydepot/pydepot/internal/blobstore"
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
// progress stores its bytes before its row). It streams: one blob and one indexed
// lookup at a time, nothing listed in memory. It only reports; it deletes nothing.
func (s *Service) FindOrphans(ctx context.Context, since time.Time) (OrphanReport, error) {
	var rep OrphanReport
	err := s.blobs.WalkInfo(ctx, func(sha string, info blobstore.Info) error {
		if !since.IsZero() && !info.ModTime.Before(since) {
			return nil
		}
		rep.Blobs++
		used, err := s.store.BlobReferenced(ctx, sha)
		if err != nil || used {
			return err
		}
		rep.Count++
		rep.Bytes += info.Size
		if len(rep.Example) < 3 {
			rep.Example = append(rep.Example, sha)
		}
		return nil
	})
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
