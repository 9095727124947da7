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
	"pydepot gc removes them"

// orphan is a stored blob that no row references.
type orphan struct {
	sha  string
	info blobstore.Info
}

// walkUnreferenced walks the blob store and calls fn with the blobs that no file row
// references (as its body or metadata, or parsed metadata), a batch at a time, after
// keep(sha, info) chose which blobs to look at. It streams: the walk holds no list, and
// digests are looked up in batches of metastore.MaxBatch, so memory stays bounded and
// the database parses one query per batch. It returns how many blobs it looked at.
// FindOrphans (the start-up report) and GC share it.
func (s *Service) walkUnreferenced(ctx context.Context, keep func(blobstore.Info) bool, fn func([]orphan) error) (int, error) {
	looked := 0
	batch := make([]string, 0, metastore.MaxBatch)
	infos := make(map[string]blobstore.Info, metastore.MaxBatch)
	var out []orphan
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		used, err := s.store.ReferencedBlobs(ctx, batch)
		if err != nil {
			return err
		}
		for _, sha := range used {
			delete(infos, sha)
		}
		out = out[:0]
		for _, sha := range batch { // in walk order, for stable examples
			if info, ok := infos[sha]; ok {
				out = append(out, orphan{sha, info})
			}
		}
		batch = batch[:0]
		clear(infos)
		if len(out) == 0 {
			return nil
		}
		return fn(out)
	}
	err := s.blobs.WalkInfo(ctx, func(sha string, info blobstore.Info) error {
		if !keep(info) {
			return nil
		}
		looked++
		batch = append(batch, sha)
		infos[sha] = info
		if len(batch) == metastore.MaxBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return looked, err
}

// FindOrphans walks the blob store and counts the blobs that no file row references as
// its body or metadata, leaving out blobs written at or after since (an upload in
// progress stores its bytes before its row). It only reports; it deletes nothing (GC
// does).
func (s *Service) FindOrphans(ctx context.Context, since time.Time) (OrphanReport, error) {
	var rep OrphanReport
	var err error
	rep.Blobs, err = s.walkUnreferenced(ctx, func(info blobstore.Info) bool {
		return since.IsZero() || info.ModTime.Before(since)
	}, func(list []orphan) error {
		for _, o := range list {
			rep.Count++
			rep.Bytes += o.info.Size
			if len(rep.Example) < 3 {
				rep.Example = append(rep.Example, o.sha)
			}
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
