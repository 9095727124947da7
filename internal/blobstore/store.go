package blobstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
)

// Store is a content-addressed blob store over a Driver. Blobs live at the path the
// driver's Layout gives (BlobPath).
type Store struct {
	d      Driver
	layout Layout
}

// NewStore returns a Store over d, in d's Layout.
func NewStore(d Driver) *Store { return &Store{d: d, layout: d.Layout()} }

// Driver returns the underlying driver.
func (s *Store) Driver() Driver { return s.d }

// Result describes a written blob.
type Result struct {
	SHA256 string
	Size   int64
	// Created is true when this call stored the bytes, false when they were already there.
	Created bool
}

// ValidSHA256 reports whether s is a lower-case hex sha256 digest.
func ValidSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// BlobPath is the driver path of a digest (lower-case hex) in the store's layout.
func (s *Store) BlobPath(sha string) string { return s.layout.Path(sha) }

func checkDigest(sha string) error {
	if !ValidSHA256(sha) {
		return fmt.Errorf("sha256 digest %q: %w", sha, errs.ErrInvalid)
	}
	return nil
}

// Put stores r and returns its digest and size. Storing bytes that are already there
// succeeds.
func (s *Store) Put(ctx context.Context, r io.Reader) (string, int64, error) {
	res, err := s.Write(ctx, r, "", -1)
	return res.SHA256, res.Size, err
}

// PutVerified stores r only if its digest is expectedSHA and (when expectedSize >= 0) its
// size is expectedSize; otherwise it stores nothing and returns an error wrapping
// errs.ErrInvalid.
func (s *Store) PutVerified(ctx context.Context, r io.Reader, expectedSHA string, expectedSize int64) (string, int64, error) {
	if err := checkDigest(expectedSHA); err != nil {
		return "", 0, err
	}
	res, err := s.Write(ctx, r, expectedSHA, expectedSize)
	return res.SHA256, res.Size, err
}

// Write is Put and PutVerified in one, reporting whether the blob was newly created.
// expectedSHA "" and expectedSize < 0 skip the checks.
//
// When both the digest and the size are known, Write first asks the driver whether that
// blob is stored, and if it is returns at once (Created false) without reading r: bytes
// that are already there are not sent again (a round trip instead of an upload on S3).
// The stored blob is the content of its digest, so nothing is lost by not reading r.
func (s *Store) Write(ctx context.Context, r io.Reader, expectedSHA string, expectedSize int64) (Result, error) {
	if expectedSHA != "" && expectedSize >= 0 {
		if err := checkDigest(expectedSHA); err != nil {
			return Result{}, err
		}
		if st, err := s.d.Stat(ctx, s.BlobPath(expectedSHA)); err == nil && st.Size == expectedSize {
			return Result{SHA256: expectedSHA, Size: expectedSize}, nil
		} else if err != nil && !errors.Is(err, errs.ErrNotFound) {
			return Result{}, fmt.Errorf("storing blob: %w", err)
		}
	}
	w, err := s.d.Writer(ctx)
	if err != nil {
		return Result{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), readerCtx{ctx, r})
	if err != nil {
		_ = w.Cancel(ctx)
		return Result{}, fmt.Errorf("storing blob: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if expectedSHA != "" && !strings.EqualFold(sum, expectedSHA) {
		_ = w.Cancel(ctx)
		return Result{}, fmt.Errorf("sha256 is %s, expected %s: %w", sum, expectedSHA, errs.ErrInvalid)
	}
	if expectedSize >= 0 && n != expectedSize {
		_ = w.Cancel(ctx)
		return Result{}, fmt.Errorf("size is %d, expected %d: %w", n, expectedSize, errs.ErrInvalid)
	}
	res := Result{SHA256: sum, Size: n}
	path := s.BlobPath(sum)
	if st, err := s.d.Stat(ctx, path); err == nil && st.Size == n {
		_ = w.Cancel(ctx)
		return res, nil // already there: success
	}
	if err := w.Commit(ctx, path); err != nil {
		return Result{}, err
	}
	res.Created = true
	return res, nil
}

// Redirector is a Driver's optional capability, found by type assertion: a URL from which
// a client can fetch the object at path directly for expiry (S3 will give a presigned
// GET). Drivers without it (File, Memory) are streamed by the server.
type Redirector interface {
	// URLFor returns a URL serving path's bytes for at least expiry. It may fail with
	// ErrNotFound when path is not stored, or return a URL that will answer 404.
	URLFor(ctx context.Context, path string, expiry time.Duration) (string, error)
}

// URLFor returns a URL from which a client can fetch blob sha directly for expiry, when
// the driver is a Redirector; "" and no error when it is not, and the caller streams the
// bytes from Open instead.
func (s *Store) URLFor(ctx context.Context, sha string, expiry time.Duration) (string, error) {
	if err := checkDigest(sha); err != nil {
		return "", err
	}
	rd, ok := s.d.(Redirector)
	if !ok {
		return "", nil
	}
	return rd.URLFor(ctx, s.BlobPath(sha), expiry)
}

// Open opens a blob; ErrNotFound when it is not stored.
func (s *Store) Open(ctx context.Context, sha string) (io.ReadSeekCloser, int64, error) {
	if err := checkDigest(sha); err != nil {
		return nil, 0, err
	}
	return s.d.Reader(ctx, s.BlobPath(sha))
}

// Stat returns a blob's size; ErrNotFound when it is not stored.
func (s *Store) Stat(ctx context.Context, sha string) (int64, error) {
	if err := checkDigest(sha); err != nil {
		return 0, err
	}
	st, err := s.d.Stat(ctx, s.BlobPath(sha))
	return st.Size, err
}

// Exists reports whether a blob is stored.
func (s *Store) Exists(ctx context.Context, sha string) (bool, error) {
	_, err := s.Stat(ctx, sha)
	if errors.Is(err, errs.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Delete removes a blob; ErrNotFound when it is not stored.
func (s *Store) Delete(ctx context.Context, sha string) error {
	if err := checkDigest(sha); err != nil {
		return err
	}
	return s.d.Delete(ctx, s.BlobPath(sha))
}

// Walk calls fn with the digest and size of every stored blob.
func (s *Store) Walk(ctx context.Context, fn func(sha string, size int64) error) error {
	return s.WalkInfo(ctx, func(sha string, i Info) error { return fn(sha, i.Size) })
}

// WalkInfo calls fn with the digest and the driver's Info (size, modification time) of
// every stored blob, in digest order, one at a time: the walk holds no list.
func (s *Store) WalkInfo(ctx context.Context, fn func(sha string, info Info) error) error {
	return s.d.Walk(ctx, "sha256", func(i Info) error {
		name := i.Path[strings.LastIndexByte(i.Path, '/')+1:]
		if !ValidSHA256(name) || s.BlobPath(name) != i.Path {
			return nil
		}
		return fn(name, i)
	})
}

// Present returns the sizes of the stored blobs among shas (absent: not stored), in one
// pass where the driver can (File: a query per hundreds of packed blobs) and by a Stat
// each elsewhere.
func (s *Store) Present(ctx context.Context, shas []string) (map[string]int64, error) {
	return s.present(ctx, shas, nil)
}

// Reusable is Present for a caller that writes again, through a Batch, what is not
// found (a sync reusing what an earlier one left): sizes[i] is the size expected of
// shas[i] (-1: unknown). On the File driver, a blob of at most smallBlob bytes is looked
// for in the packs only, where a Batch writes it; a file of one comes from Write (an
// upload), and is not found: its bytes are fetched and packed again. A stat of each
// small blob that was not there, with its path, was most of the lookup's cost in a sync
// of 20,000 small files (0.16 of its 0.24 s of CPU). The size is known where the
// upstream gives it (PEP 691 JSON with PEP 700 sizes: another pydepot, PyPI); a PEP 503
// HTML page gives none, and its files are still looked for everywhere.
func (s *Store) Reusable(ctx context.Context, shas []string, sizes []int64) (map[string]int64, error) {
	if len(sizes) != len(shas) {
		return nil, fmt.Errorf("%d sizes for %d blobs: %w", len(sizes), len(shas), errs.ErrInvalid)
	}
	return s.present(ctx, shas, func(i int) bool { return sizes[i] >= 0 && sizes[i] <= smallBlob })
}

// present is Present where packedOnly(i) tells the File driver to look for shas[i] in
// its packs only (nil: nowhere).
func (s *Store) present(ctx context.Context, shas []string, packedOnly func(int) bool) (map[string]int64, error) {
	paths := make([]string, 0, len(shas))
	bySHA := make(map[string]string, len(shas))
	for _, sha := range shas {
		if err := checkDigest(sha); err != nil {
			return nil, err
		}
		p := s.BlobPath(strings.ToLower(sha))
		paths = append(paths, p)
		bySHA[p] = sha
	}
	out := make(map[string]int64, len(shas))
	if d, ok := s.d.(*File); ok {
		infos, err := d.statMany(ctx, paths, packedOnly)
		if err != nil {
			return nil, err
		}
		for p, i := range infos {
			out[bySHA[p]] = i.Size
		}
		return out, nil
	}
	for _, p := range paths {
		i, err := s.d.Stat(ctx, p)
		if errors.Is(err, errs.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[bySHA[p]] = i.Size
	}
	return out, nil
}

// Deletions is how many blobs have been deleted from the store (by any process using
// it), for a caller that checks blobs it found or wrote are still there: with the count
// read before it looked, the same count after means none of them has gone, and a lookup
// per blob is saved. ok is false when the driver keeps no count (look the blobs up).
func (s *Store) Deletions(ctx context.Context) (n int64, ok bool, err error) {
	if c, is := s.d.(interface {
		Deletions(context.Context) (int64, bool, error)
	}); is {
		return c.Deletions(ctx)
	}
	return 0, false, nil
}

// Compact reclaims the space of deleted blobs that a driver keeps packed (File, see
// pack.go); on other drivers it does nothing.
func (s *Store) Compact(ctx context.Context) (CompactReport, error) {
	if c, ok := s.d.(interface {
		Compact(context.Context) (CompactReport, error)
	}); ok {
		return c.Compact(ctx)
	}
	return CompactReport{}, nil
}

// Close releases what the driver holds open (File: its pack index).
func (s *Store) Close() error {
	if c, ok := s.d.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

type readerCtx struct {
	ctx context.Context
	r   io.Reader
}

func (r readerCtx) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
