package blobstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pydepot/pydepot/internal/errs"
)

// Batch writes many blobs whose durability is settled together: a sync stores thousands
// of small files, and two fsyncs per blob (the file, then its folder) were a good part of
// its time. On the File driver each Write leaves the verified bytes in a temporary file,
// not synced and not at the blob's path; Commit fsyncs every file, moves each to its
// path and fsyncs each folder once (on Linux: one syncfs(2) before the moves and one
// after, whatever the number of blobs). A blob is stored (Stat, Open find it) only after
// Commit, so its caller commits the batch before recording rows that point at its blobs:
// a committed row then never points at bytes a crash can lose. Other drivers commit each
// blob at once (their Commit is their own durability). Safe for concurrent use; exactly
// one of Commit or Cancel ends it.
type Batch struct {
	s       *Store
	mu      sync.Mutex
	pending map[string]staged // sha -> bytes waiting for Commit (File driver)
}

type staged struct {
	tmp, full string
	adopted   bool // a caller's file, whose mode is set at Commit
}

// NewBatch starts a batch of writes.
func (s *Store) NewBatch() *Batch { return &Batch{s: s, pending: map[string]staged{}} }

// Len is how many blobs wait for Commit.
func (b *Batch) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending)
}

// Write is Store.Write in the batch: the bytes of r are verified against expectedSHA and
// expectedSize (both required) and kept for Commit; bytes already stored, or already in
// the batch, are not written again (Created false).
func (b *Batch) Write(ctx context.Context, r io.Reader, expectedSHA string, expectedSize int64) (Result, error) {
	d, ok := b.s.d.(*File)
	if !ok {
		return b.s.Write(ctx, r, expectedSHA, expectedSize)
	}
	if err := checkDigest(expectedSHA); err != nil {
		return Result{}, err
	}
	if expectedSize < 0 {
		return Result{}, fmt.Errorf("a batch write needs the size: %w", errs.ErrInvalid)
	}
	sha := strings.ToLower(expectedSHA)
	res := Result{SHA256: sha, Size: expectedSize}
	b.mu.Lock()
	_, dup := b.pending[sha]
	b.mu.Unlock()
	if dup {
		return res, nil
	}
	path := b.s.BlobPath(sha)
	if st, err := d.Stat(ctx, path); err == nil && st.Size == expectedSize {
		return res, nil
	} else if err != nil && !errors.Is(err, errs.ErrNotFound) {
		return Result{}, fmt.Errorf("storing blob: %w", err)
	}
	full, err := d.full(path)
	if err != nil {
		return Result{}, err
	}
	f, err := os.CreateTemp(filepath.Join(d.root, tmpDir), "batch-*")
	if err != nil {
		return Result{}, fmt.Errorf("blob temporary file: %w", err)
	}
	h := sha256.New()
	// A buffer no larger than the blob (io.Copy's is 32 KiB, for each of a sync's
	// thousands of small metadata blobs).
	buf := make([]byte, min(32<<10, max(512, expectedSize+1)))
	n, err := io.CopyBuffer(io.MultiWriter(f, h), readerCtx{ctx, r}, buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	fail := func(err error) (Result, error) {
		os.Remove(f.Name())
		return Result{}, err
	}
	if err != nil {
		return fail(fmt.Errorf("storing blob: %w", err))
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != sha {
		return fail(fmt.Errorf("sha256 is %s, expected %s: %w", sum, sha, errs.ErrInvalid))
	}
	if n != expectedSize {
		return fail(fmt.Errorf("size is %d, expected %d: %w", n, expectedSize, errs.ErrInvalid))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.pending[sha]; dup {
		os.Remove(f.Name())
		return res, nil
	}
	b.pending[sha] = staged{tmp: f.Name(), full: full}
	res.Created = true
	return res, nil
}

// Adopt is Write for bytes the caller has in a file of its own at path, verified by it
// to be expectedSHA and expectedSize: on the File driver the file is moved into the
// batch (a rename on the same file system, so its bytes are not copied) and path is gone
// after; elsewhere, or across file systems, the bytes are written as by Write and path
// stays. A caller holding path open may go on reading it.
func (b *Batch) Adopt(ctx context.Context, path, expectedSHA string, expectedSize int64) (Result, error) {
	d, ok := b.s.d.(*File)
	if !ok {
		return b.copyFrom(ctx, path, expectedSHA, expectedSize)
	}
	if err := checkDigest(expectedSHA); err != nil {
		return Result{}, err
	}
	sha := strings.ToLower(expectedSHA)
	res := Result{SHA256: sha, Size: expectedSize}
	full, err := d.full(b.s.BlobPath(sha))
	if err != nil {
		return Result{}, err
	}
	if st, err := d.Stat(ctx, b.s.BlobPath(sha)); err == nil && st.Size == expectedSize {
		return res, nil
	}
	b.mu.Lock()
	if _, dup := b.pending[sha]; dup {
		b.mu.Unlock()
		return res, nil
	}
	tmp := filepath.Join(d.root, tmpDir, "batch-"+sha)
	err = os.Rename(path, tmp)
	if err == nil {
		b.pending[sha] = staged{tmp: tmp, full: full, adopted: true}
	}
	b.mu.Unlock()
	if err != nil {
		return b.copyFrom(ctx, path, sha, expectedSize) // another file system
	}
	res.Created = true
	return res, nil
}

// Spool starts a spool whose bytes the batch can take with AdoptSpool without copying
// or renaming them (a sync's download goes straight into it): on the File driver it is
// a file in the store's temporary folder; elsewhere it is in dir ("" = os.TempDir())
// and AdoptSpool copies it. The caller closes it either way.
func (b *Batch) Spool(dir string) (*Spool, error) {
	if d, ok := b.s.d.(*File); ok {
		return newSpool(filepath.Join(d.root, tmpDir), "batch-*")
	}
	return NewSpool(dir)
}

// AdoptSpool is Write for the bytes of sp, finished here, which must be expectedSHA and
// expectedSize: a spool of Batch.Spool on the File driver becomes the batch's own (its
// file is moved to the blob's path by Commit, and Close leaves it); otherwise its bytes
// are written as by Write. The spool is not stored (Stat, Open do not find it) before
// Commit. Bytes already in the batch are not taken twice (Created false).
func (b *Batch) AdoptSpool(ctx context.Context, sp *Spool, expectedSHA string, expectedSize int64) (Result, error) {
	if err := checkDigest(expectedSHA); err != nil {
		return Result{}, err
	}
	sha := strings.ToLower(expectedSHA)
	if sum := sp.Finish(); sum != sha {
		return Result{}, fmt.Errorf("sha256 is %s, expected %s: %w", sum, sha, errs.ErrInvalid)
	}
	if sp.n != expectedSize {
		return Result{}, fmt.Errorf("size is %d, expected %d: %w", sp.n, expectedSize, errs.ErrInvalid)
	}
	d, ok := b.s.d.(*File)
	if !ok || sp.committed || filepath.Dir(sp.f.Name()) != filepath.Join(d.root, tmpDir) {
		return b.Write(ctx, io.NewSectionReader(sp.f, 0, sp.n), sha, sp.n)
	}
	full, err := d.full(b.s.BlobPath(sha))
	if err != nil {
		return Result{}, err
	}
	res := Result{SHA256: sha, Size: sp.n}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.pending[sha]; dup {
		return res, nil
	}
	// Commit's rename moves the name, not the open file: the caller may go on reading.
	b.pending[sha] = staged{tmp: sp.f.Name(), full: full}
	sp.committed = true
	res.Created = true
	return res, nil
}

func (b *Batch) copyFrom(ctx context.Context, path, sha string, size int64) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	return b.Write(ctx, f, sha, size)
}

// Commit makes every blob of the batch durable and stored: each file is fsynced and
// moved to its path, then each folder that received one is fsynced once. The batch is
// empty after, and can take more writes.
func (b *Batch) Commit(ctx context.Context) error {
	b.mu.Lock()
	list := b.pending
	b.pending = map[string]staged{}
	b.mu.Unlock()
	if len(list) == 0 {
		return nil
	}
	if d, ok := b.s.d.(*File); ok && len(list) > 1 {
		done, err := b.commitSyncFS(ctx, d, list)
		if done || err != nil {
			return err
		}
	}
	var first error
	dirs := map[string]bool{}
	for sha, st := range list {
		if first == nil {
			first = ctx.Err()
		}
		if first == nil {
			if err := commitStaged(st, true); err != nil {
				first = fmt.Errorf("committing blob %s: %w", sha, err)
			} else {
				dirs[filepath.Dir(st.full)] = true
				continue
			}
		}
		os.Remove(st.tmp)
	}
	if first != nil {
		return first
	}
	for dir := range dirs {
		if err := syncDir(dir); err != nil {
			return err
		}
	}
	return nil
}

// commitSyncFS commits a batch with two syncfs(2) calls on Linux: the bytes of every
// temporary file, then their renames; done is false where there is no syncfs (nothing
// was done). The order keeps the rule of the store: bytes at a blob's path are whole.
func (b *Batch) commitSyncFS(ctx context.Context, d *File, list map[string]staged) (bool, error) {
	ok, err := syncFS(d.root)
	if !ok || err != nil {
		if err != nil {
			for _, st := range list {
				os.Remove(st.tmp)
			}
		}
		return false, err
	}
	var first error
	for sha, st := range list {
		if first == nil {
			first = ctx.Err()
		}
		if first == nil {
			if first = commitStaged(st, false); first == nil {
				continue
			}
			first = fmt.Errorf("committing blob %s: %w", sha, first)
		}
		os.Remove(st.tmp)
	}
	if first != nil {
		return true, first
	}
	_, err = syncFS(d.root)
	return true, err
}

// commitStaged moves a staged blob to its path, fsyncing it first when fsync is set.
func commitStaged(st staged, fsync bool) error {
	if fsync {
		f, err := os.Open(st.tmp)
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if st.adopted { // CreateTemp made the others 0600 already
		if err := os.Chmod(st.tmp, fileMode); err != nil {
			return err
		}
	}
	return renameInto(st.tmp, st.full)
}

// Cancel drops the blobs waiting for Commit.
func (b *Batch) Cancel() {
	b.mu.Lock()
	list := b.pending
	b.pending = map[string]staged{}
	b.mu.Unlock()
	for _, st := range list {
		os.Remove(st.tmp)
	}
}
