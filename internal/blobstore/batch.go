package blobstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pydepot/pydepot/internal/errs"
)

// Batch writes many blobs whose durability is settled together: a sync stores thousands
// of small files, and two fsyncs per blob (the file, then its folder) were a good part of
// its time. On the File driver each Write leaves the verified bytes in memory (small
// blobs, see smallBlob) or in a temporary file, not synced and not at the blob's path;
// Commit appends the held ones to one new pack and commits it (see pack.go; a file each
// where the driver has no pack index, or for a batch of one), then fsyncs every other
// file, moves each to its path and fsyncs each folder once (on Linux: one syncfs(2)
// before the moves and one after, whatever the number of blobs). A blob is stored (Stat, Open find it) only after
// Commit, so its caller commits the batch before recording rows that point at its blobs:
// a committed row then never points at bytes a crash can lose. Other drivers commit each
// blob at once (their Commit is their own durability). Safe for concurrent use; exactly
// one of Commit or Cancel ends it.
type Batch struct {
	s       *Store
	mu      sync.Mutex
	pending map[string]staged // sha -> bytes waiting for Commit (File driver)
	held    int64             // bytes of pending held in memory
	packOne bool              // see PackOne
}

type staged struct {
	tmp, full string
	path      string // the driver path (set for held blobs)
	adopted   bool   // a caller's file, whose mode is set at Commit
	data      []byte // a small blob's bytes, written to a pack or a file only at Commit (tmp "")
}

// Small blobs (a synced wheel's metadata file: a few KiB, one per file; a download that
// stayed in its spool's memory) are kept in memory by Write and AdoptSpool until Commit, which writes each in one pass (a file made and written
// where Commit also syncs and renames it) instead of a temporary file per Write found
// by a stat first: the bytes reach the disk in the same order as before (whole, synced,
// then at their path), only later. heldMax bounds what a batch holds this way.
const (
	smallBlob = 64 << 10
	heldMax   = 32 << 20
)

// NewBatch starts a batch of writes.
func (s *Store) NewBatch() *Batch { return &Batch{s: s, pending: map[string]staged{}} }

// PackOne makes the batch commit a single small blob into the pack index's rows too
// (one fsync) instead of a file of its own (two fsyncs, and a file made): for a blob
// written by itself, as a file fetched on demand is. It returns b.
func (b *Batch) PackOne() *Batch {
	b.packOne = true
	return b
}

// Len is how many blobs wait for Commit.
func (b *Batch) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending)
}

// Write is Store.Write in the batch: the bytes of r are verified against expectedSHA and
// expectedSize (both required) and kept for Commit; bytes already in the batch are not
// written again (Created false), nor are large ones already stored. A small blob
// (smallBlob) is held in memory and its path is not asked first: writing it again at
// Commit costs less than a stat per blob, and the caller checks the rows' blobs are
// stored when it records them (index's checkStored) whichever way they came.
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
	if expectedSize <= smallBlob {
		return b.hold(ctx, d, r, sha, expectedSize)
	}
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

// hold is Write of a small blob: its bytes are read and verified into memory, then added
// by addData.
func (b *Batch) hold(ctx context.Context, d *File, r io.Reader, sha string, size int64) (Result, error) {
	data := make([]byte, size)
	n, err := io.ReadFull(readerCtx{ctx, r}, data)
	if err == nil {
		// One byte more would be a size mismatch.
		var one [1]byte
		if m, _ := io.ReadFull(r, one[:]); m > 0 {
			n++
		}
	} else if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("storing blob: %w", err)
	}
	if int64(n) != size {
		return Result{}, fmt.Errorf("size is %d or more, expected %d: %w", n, size, errs.ErrInvalid)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != sha {
		return Result{}, fmt.Errorf("sha256 is %x, expected %s: %w", sum, sha, errs.ErrInvalid)
	}
	return b.addData(d, sha, data)
}

// addData adds the verified bytes of blob sha to the batch: held in memory for Commit,
// or, when the batch holds heldMax bytes already, written to a temporary file now.
func (b *Batch) addData(d *File, sha string, data []byte) (Result, error) {
	path := b.s.BlobPath(sha)
	full, err := d.full(path)
	if err != nil {
		return Result{}, err
	}
	res := Result{SHA256: sha, Size: int64(len(data))}
	st := staged{full: full, path: path, data: data}
	b.mu.Lock()
	_, dup := b.pending[sha]
	over := b.held+int64(len(data)) > heldMax
	if !dup && !over {
		b.pending[sha] = st
		b.held += int64(len(data))
		res.Created = true
	}
	b.mu.Unlock()
	if dup || !over {
		return res, nil
	}
	if st, err = materialize(d, st, false); err != nil {
		return Result{}, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.pending[sha]; dup {
		os.Remove(st.tmp)
		return res, nil
	}
	b.pending[sha] = st
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
		dir = filepath.Join(d.root, tmpDir)
	}
	return newMemSpool(dir, "batch-*", spoolMem), nil
}

// spoolMem is how many bytes a spool of Spool keeps in memory before it makes its file
// (the size up to which a sync inspects a file in memory anyway): a download that fits
// makes its file at Commit, where files are made one after the other. Made by the
// downloads at once, files cost several times more CPU each (the kernel's locks of the
// file system, spinning on this VM's two cores: 250 us a file, 45 us in a row).
const spoolMem = 1 << 20

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
	if !ok || sp.committed || (sp.f != nil && filepath.Dir(sp.f.Name()) != filepath.Join(d.root, tmpDir)) {
		return b.Write(ctx, sp.reader(), sha, sp.n)
	}
	if sp.f == nil { // verified above: held as it is
		sp.committed = true
		return b.addData(d, sha, sp.mem)
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
	b.pending, b.held = map[string]staged{}, 0
	b.mu.Unlock()
	if len(list) == 0 {
		return nil
	}
	d, _ := b.s.d.(*File)
	if d != nil && (len(list) > 1 || b.packOne) && d.packs.enabled() {
		// The held blobs go into one pack, or into the pack index's rows when they are
		// few (see pack.go), committed by itself; the rest as files, below.
		var held []packEntry
		for sha, st := range list {
			if st.data != nil {
				held = append(held, packEntry{path: st.path, data: st.data})
				delete(list, sha)
			}
		}
		err := ctx.Err()
		if err == nil {
			err = d.packs.commit(ctx, held)
		}
		if err != nil {
			removeAll(list)
			return fmt.Errorf("committing %d small blobs: %w", len(held), err)
		}
		if len(list) == 0 {
			return nil
		}
	}
	if d != nil && len(list) > 1 {
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
		if first != nil {
			if st.tmp != "" {
				os.Remove(st.tmp)
			}
			continue
		}
		held := st.data != nil
		if held {
			if st, first = materialize(d, st, true); first != nil {
				first = fmt.Errorf("committing blob %s: %w", sha, first)
				continue
			}
		}
		if err := commitStaged(st, !held); err != nil {
			first = fmt.Errorf("committing blob %s: %w", sha, err)
			os.Remove(st.tmp)
			continue
		}
		dirs[filepath.Dir(st.full)] = true
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
// blob (the held ones written to their files first), then their renames; done is false
// where there is no syncfs (nothing was done). The order keeps the rule of the store:
// bytes at a blob's path are whole.
func (b *Batch) commitSyncFS(ctx context.Context, d *File, list map[string]staged) (bool, error) {
	var first error
	for sha, st := range list {
		if st.data == nil {
			continue
		}
		if first == nil {
			first = ctx.Err()
		}
		if first == nil {
			var err error
			if st, err = materialize(d, st, false); err != nil {
				first = fmt.Errorf("committing blob %s: %w", sha, err)
			}
		}
		list[sha] = st // a held blob left as it was (data set, tmp "") has no file
	}
	if first != nil {
		removeAll(list)
		return true, first
	}
	ok, err := syncFS(d.root)
	if !ok || err != nil {
		if err != nil {
			removeAll(list)
			return true, err
		}
		// No syncfs: the held blobs are files now; Commit fsyncs them one by one.
		return false, nil
	}
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

// fsyncFile fsyncs the file at path.
func fsyncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// commitStaged moves a staged blob to its path, fsyncing it first when fsync is set.
func commitStaged(st staged, fsync bool) error {
	if fsync {
		if err := fsyncFile(st.tmp); err != nil {
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
	b.pending, b.held = map[string]staged{}, 0
	b.mu.Unlock()
	removeAll(list)
}

// removeAll removes the temporary files of list (held blobs have none).
func removeAll(list map[string]staged) {
	for _, st := range list {
		if st.tmp != "" {
			os.Remove(st.tmp)
		}
	}
}

// materialize writes a held blob into a file of d's temporary folder (fsynced when fsync
// is set) and returns it as a staged file; other staged blobs are returned as they are.
// The name is batch-DIGEST, made exclusively (another process may write the same blob):
// when it is taken, a random one.
func materialize(d *File, st staged, fsync bool) (staged, error) {
	if st.data == nil {
		return st, nil
	}
	dir := filepath.Join(d.root, tmpDir)
	name := filepath.Join(dir, "batch-"+filepath.Base(st.full))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if errors.Is(err, fs.ErrExist) {
		f, err = os.CreateTemp(dir, "batch-*")
	}
	if err != nil {
		return st, fmt.Errorf("blob temporary file: %w", err)
	}
	_, err = f.Write(st.data)
	if err == nil && fsync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return st, err
	}
	return staged{tmp: f.Name(), full: st.full}, nil
}
