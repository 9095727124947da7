package mirror

import (
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metadata"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/simpleindex"
)

// bring makes one file ready to add: its bytes downloaded and verified (immediate),
// or its metadata only (on_demand, streamed); bytes already in the blob store are
// reused, not downloaded.
func (s *syncer) bring(ctx context.Context, j job) (*index.Prepared, error) {
	f := j.file
	sf := index.SyncedFile{Filename: f.Filename, SHA256: strings.ToLower(f.SHA256()), Size: f.Size,
		UploadTime: f.UploadTime, RequiresPython: f.RequiresPython, Yanked: f.Yanked, YankReason: f.YankedReason,
		Remote: s.remote.Name, UpstreamURL: f.URL, UpstreamHashes: hashesString(f.Hashes), Dist: &j.dist}
	if p, ok, err := s.reuse(ctx, sf, j.stored); ok || err != nil {
		return p, err
	}
	if s.remote.Policy != PolicyImmediate {
		size, err := s.up.size(ctx, f)
		if err != nil {
			return nil, err
		}
		sf.Size = size
		meta, err := s.up.metadata(ctx, f, s.m.opts.TempDir)
		if err != nil {
			return nil, err
		}
		return s.blobs.Remote(ctx, sf, meta)
	}
	// Straight into a spool of the blob batch: one file made and one rename (at the
	// batch's Commit) per blob.
	sp, err := s.blobs.Spool(s.m.opts.TempDir)
	if err != nil {
		return nil, err
	}
	defer sp.Close()
	n, err := s.up.fetchInto(ctx, f, sp)
	if err != nil {
		return nil, err
	}
	s.bytes.Add(n)
	s.mu.Lock()
	s.res.Downloaded++
	s.res.Bytes += n
	s.mu.Unlock()
	return s.blobs.SyncedSpool(ctx, sf, sp)
}

// fill downloads the bytes of a file the repository holds without them, and stores them.
func (s *syncer) fill(ctx context.Context, j job) error {
	path, n, err := s.up.fetch(ctx, j.file, s.m.opts.TempDir)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	s.bytes.Add(n)
	s.mu.Lock()
	s.res.Downloaded++
	s.res.Bytes += n
	s.res.Filled++
	s.mu.Unlock()
	return s.m.svc.StoreDownloaded(ctx, s.repo.Name, j.file.Filename, path)
}

// reuse prepares a file from bytes the blob store already holds (a sync that crashed
// after downloading, or the same file in another repository): stored is the size of
// its blob when the batch was planned, -1 when there was none. ok is false when the
// store holds none (gone since: gc), and the file is downloaded.
func (s *syncer) reuse(ctx context.Context, sf index.SyncedFile, stored int64) (*index.Prepared, bool, error) {
	blobs := s.m.svc.Blobs()
	if stored < 0 || (sf.Size >= 0 && stored != sf.Size) {
		return nil, false, nil
	}
	rc, n, err := blobs.Open(ctx, sf.SHA256)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer rc.Close()
	ra, ok := rc.(io.ReaderAt)
	if !ok {
		return nil, false, nil // a driver without random access: download it again
	}
	p, err := s.blobs.Synced(ctx, sf, index.SizedReaderAt(ra, n))
	if err != nil {
		return nil, true, err
	}
	s.mu.Lock()
	s.res.Reused++
	s.mu.Unlock()
	if s.remote.Policy == PolicyImmediate {
		s.totalBytes.Add(-max(sf.Size, 0)) // not to download after all
	}
	return p, true, nil
}

func hashesString(h map[string]string) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + h[k]
	}
	return strings.Join(parts, ",")
}

// cachedPage reads project's page for the dependency closure and keeps it for the sync
// of the project, so that the page is read once.
func (s *syncer) cachedPage(ctx context.Context, project string) (*page, error) {
	s.mu.Lock()
	pg, ok := s.pages[project]
	s.mu.Unlock()
	if ok {
		return pg, nil
	}
	pg, err := s.up.page(ctx, project, "", "")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.pages == nil {
		s.pages = map[string]*page{}
	}
	s.pages[project] = pg
	s.mu.Unlock()
	return pg, nil
}

// takePage is the page of project for its sync: the one the closure read (unchanged
// when its ETag is the one recorded), else read conditionally with the state's
// validators.
func (s *syncer) takePage(ctx context.Context, project string, st metastore.SyncState) (*page, error) {
	s.mu.Lock()
	pg, ok := s.pages[project]
	delete(s.pages, project)
	s.mu.Unlock()
	if !ok {
		return s.up.page(ctx, project, st.ETag, st.LastModified)
	}
	if st.ETag != "" && pg.ETag == st.ETag {
		return &page{ETag: pg.ETag, LastModified: pg.LastModified, Serial: pg.Serial, NotModified: true}, nil
	}
	return pg, nil
}

// heldMetadata is the parsed metadata of f when the repository already holds that file
// (the same bytes: it was verified when stored), so that the closure of a re-sync reads
// no metadata from the upstream; nil when it does not hold it.
func (s *syncer) heldMetadata(ctx context.Context, f simpleindex.File) (*metadata.Metadata, error) {
	row, err := s.m.store.FileAt(ctx, s.repo.ID, s.repo.Latest, f.Filename)
	if errors.Is(err, errs.ErrNotFound) || (err == nil && (row.MetadataSHA256 == "" || !strings.EqualFold(row.SHA256, f.SHA256()))) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	md, err := s.m.svc.CoreMetadata(ctx, row.MetadataSHA256)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, nil
	}
	return md, err
}
