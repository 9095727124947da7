package index

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// RemoteFetcher fetches the bytes of a file row whose Presence is PresenceRemote from
// the remote it came from (OriginRemote), verified against its sha256. internal/mirror
// implements it; the Service gets it through SetRemoteFetcher.
type RemoteFetcher interface {
	// FetchFile downloads f into a temporary file, verified, and returns its path; the
	// caller removes it (or keeps its bytes).
	FetchFile(ctx context.Context, f *metastore.File) (path string, err error)
	// Keep reports whether the remote's policy keeps fetched bytes (on_demand) or not
	// (streamed).
	Keep(ctx context.Context, remote string) (bool, error)
}

// Bounds of on-demand fetching.
const (
	// FetchTimeout bounds one file's fetch, however many requests wait for it (the
	// fetcher's own size cap and HTTP timeouts, the sync's, apply inside it).
	FetchTimeout = 30 * time.Minute
	// MaxConcurrentFetches bounds the distinct files fetched at once; more wait.
	MaxConcurrentFetches = 16
	// StreamHold is how long a streamed file's bytes stay open after its fetch, for the
	// requests that waited for it and those arriving just after.
	StreamHold = 2 * time.Second
)

// SetRemoteFetcher makes OpenFile fetch the files it knows but does not store. Call it
// before serving; nil (the default) answers such files ErrNotFound.
func (s *Service) SetRemoteFetcher(f RemoteFetcher) { s.fetcher = f }

// fetched is the outcome of one fetch, shared by the requests that waited for it: the
// bytes are in the blob store (stored), or in an unlinked temporary file (tmp).
type fetched struct {
	stored bool
	tmp    *sharedTemp
}

// openRemote opens a file row whose bytes are at its remote: concurrent requests for it
// share one fetch, whose bytes an on_demand remote keeps (the row then says stored: no
// new version, presence is not content) and a streamed one serves from a temporary file
// that is never kept.
func (s *Service) openRemote(ctx context.Context, row *metastore.File) (Blob, error) {
	if s.fetcher == nil {
		return nil, fmt.Errorf("file %s is known from remote %s but not downloaded yet, and this server fetches no files on demand: %w",
			row.Filename, row.OriginRemote, errs.ErrNotFound)
	}
	key := row.OriginRemote + "\x00" + row.SHA256
	if t, ok := s.streams.Load(key); ok { // streamed a moment ago: share those bytes too
		if body, ok := t.(*sharedTemp).open(); ok {
			return body, nil
		}
	}
	for attempt := 0; ; attempt++ {
		ch := s.fetches.DoChan(key, func() (any, error) {
			// The fetch outlives the request that started it: others may be waiting.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), FetchTimeout)
			defer cancel()
			return s.fetchRemote(fctx, row, key)
		})
		var res struct {
			v   any
			err error
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case r := <-ch:
			res.v, res.err = r.Val, r.Err
		}
		if res.err != nil {
			return nil, res.err
		}
		f := res.v.(*fetched)
		if f.stored {
			body, _, err := s.blobs.Open(ctx, row.SHA256)
			return body, err
		}
		if body, ok := f.tmp.open(); ok {
			return body, nil
		}
		if attempt > 0 {
			return nil, fmt.Errorf("streaming %s: its fetched bytes were closed before this request could read them", row.Filename)
		}
	}
}

// fetchRemote fetches row's bytes (once per key at a time).
func (s *Service) fetchRemote(ctx context.Context, row *metastore.File, key string) (*fetched, error) {
	select {
	case s.fetchSlots <- struct{}{}:
		defer func() { <-s.fetchSlots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	keep, err := s.fetcher.Keep(ctx, row.OriginRemote)
	if err != nil {
		return nil, fmt.Errorf("file %s: remote %s: %w", row.Filename, row.OriginRemote, err)
	}
	// The bytes may be stored already (the same file of another repository, or a fetch
	// that finished since the row was read).
	if size, err := s.blobs.Stat(ctx, row.SHA256); err == nil && size == row.Size {
		if keep {
			return &fetched{stored: true}, s.markStored(ctx, row)
		}
		return &fetched{stored: true}, nil
	}
	start := time.Now()
	path, err := s.fetcher.FetchFile(ctx, row)
	if err != nil {
		return nil, fmt.Errorf("fetching %s from remote %s: %w", row.Filename, row.OriginRemote, err)
	}
	f, err := os.Open(path)
	_ = os.Remove(path) // read through the open descriptor only: nothing left behind
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", row.Filename, err)
	}
	if keep {
		defer f.Close()
		if err := s.storeFetched(ctx, row, f); err != nil {
			return nil, err
		}
		s.log.Info("file fetched on demand", "filename", row.Filename, "remote", row.OriginRemote, "size", row.Size, "took", time.Since(start))
		return &fetched{stored: true}, nil
	}
	if err := verifyFile(f, row); err != nil {
		f.Close()
		return nil, err
	}
	s.log.Info("file streamed", "filename", row.Filename, "remote", row.OriginRemote, "size", row.Size, "took", time.Since(start))
	t := newSharedTemp(f, row.Size, func(t *sharedTemp) { s.streams.CompareAndDelete(key, t) })
	s.streams.Store(key, t)
	return &fetched{tmp: t}, nil
}

// storeFetched stores the fetched bytes (verified again by the blob store against the
// row's digest and size), then records the row as stored. The blobs row is touched first,
// as every write of bytes is (see storeBlobs).
func (s *Service) storeFetched(ctx context.Context, row *metastore.File, f *os.File) error {
	if err := s.store.InTx(ctx, func(tx metastore.Tx) error { return tx.TouchBlob(ctx, row.SHA256, row.Size, s.now()) }); err != nil {
		return err
	}
	// Through a batch: a small file is then kept in the blob store's pack index (one
	// fsync) instead of a file of its own (a file made, two fsyncs).
	b := s.blobs.NewBatch().PackOne()
	if _, err := b.Write(ctx, f, row.SHA256, row.Size); err != nil {
		b.Cancel()
		return fmt.Errorf("storing %s fetched from %s: %w", row.Filename, row.OriginRemote, err)
	}
	if err := b.Commit(ctx); err != nil {
		return fmt.Errorf("storing %s fetched from %s: %w", row.Filename, row.OriginRemote, err)
	}
	return s.markStored(ctx, row)
}

func (s *Service) markStored(ctx context.Context, row *metastore.File) error {
	return s.store.InTx(ctx, func(tx metastore.Tx) error { return tx.SetFilePresence(ctx, row.ID, metastore.PresenceStored) })
}

// verifyFile checks f's size and sha256 against the row: what is served is checked,
// not trusted.
func verifyFile(f *os.File, row *metastore.File) error {
	h := sha256.New()
	n, err := io.Copy(h, io.NewSectionReader(f, 0, row.Size+1))
	if err != nil {
		return fmt.Errorf("reading %s fetched from %s: %w", row.Filename, row.OriginRemote, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != row.Size || sum != row.SHA256 {
		return fmt.Errorf("%s fetched from %s: %d bytes with sha256 %s, expected %d bytes with sha256 %s: %w",
			row.Filename, row.OriginRemote, n, sum, row.Size, row.SHA256, errs.ErrInvalid)
	}
	return nil
}

// sharedTemp is a streamed file's unlinked temporary file, read by every request that
// shared its fetch through its own section reader, and closed with the last of them.
type sharedTemp struct {
	f      *os.File
	size   int64
	closed func(*sharedTemp)
	mu     sync.Mutex
	refs   int
}

func newSharedTemp(f *os.File, size int64, closed func(*sharedTemp)) *sharedTemp {
	t := &sharedTemp{f: f, size: size, closed: closed, refs: 1}
	time.AfterFunc(StreamHold, t.release) // the fetch's own reference
	return t
}

// open returns a reader of the bytes, or false when they are closed already.
func (t *sharedTemp) open() (Blob, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.refs == 0 {
		return nil, false
	}
	t.refs++
	return &tempBody{SectionReader: io.NewSectionReader(t.f, 0, t.size), t: t}, true
}

func (t *sharedTemp) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.refs--
	if t.refs == 0 {
		t.f.Close()
		t.closed(t)
	}
}

type tempBody struct {
	*io.SectionReader
	t    *sharedTemp
	once sync.Once
}

func (b *tempBody) Close() error {
	b.once.Do(b.t.release)
	return nil
}
