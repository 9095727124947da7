package blobstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Spool is a local temporary file that hashes what is written to it: an upload is read
// from the network once, into a Spool, then inspected from it (ReadAt) and stored by
// Store.CommitSpool, a rename when the spool lies on the blob folder's file system. A
// spool of Batch.Spool keeps its first bytes in memory and makes its file only when
// they outgrow that (a sync's small wheels never make one before Commit).
type Spool struct {
	f         *os.File // nil while the bytes are in mem
	dir, pat  string   // where and how the file is made
	mem       []byte
	memMax    int64 // the most bytes kept in memory; 0: a file from the start
	h         hash.Hash
	n         int64
	sum       string
	finished  bool
	committed bool
}

// NewSpool creates an empty spool in dir ("" = os.TempDir()), named upload-*.
func NewSpool(dir string) (*Spool, error) {
	sp := &Spool{dir: dir, pat: "upload-*", h: sha256.New()}
	if err := sp.makeFile(); err != nil {
		return nil, err
	}
	return sp, nil
}

// newMemSpool is a spool that makes its file in dir (pattern pat) only past memMax bytes.
func newMemSpool(dir, pat string, memMax int64) *Spool {
	return &Spool{dir: dir, pat: pat, memMax: memMax, h: sha256.New()}
}

// makeFile moves the spool to a file, with the bytes held so far.
func (sp *Spool) makeFile() error {
	f, err := os.CreateTemp(sp.dir, sp.pat)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if _, err := f.Write(sp.mem); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("spool: %w", err)
	}
	sp.f, sp.mem = f, nil
	return nil
}

// Reset empties an unfinished spool, for a download that starts over.
func (sp *Spool) Reset() error {
	if sp.finished {
		return fmt.Errorf("reset of a finished spool: %w", fs.ErrClosed)
	}
	if sp.f == nil {
		sp.mem = sp.mem[:0]
	} else if sp.n > 0 {
		if err := sp.f.Truncate(0); err != nil {
			return err
		}
		if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
	sp.n = 0
	sp.h.Reset()
	return nil
}

// Write appends to the spool and the digest; writing a finished spool is an error.
func (sp *Spool) Write(p []byte) (int, error) {
	if sp.finished {
		return 0, fmt.Errorf("write to a finished spool: %w", fs.ErrClosed)
	}
	if sp.f == nil {
		if sp.n+int64(len(p)) <= sp.memMax {
			sp.mem = append(sp.mem, p...)
			sp.h.Write(p)
			sp.n += int64(len(p))
			return len(p), nil
		}
		if err := sp.makeFile(); err != nil {
			return 0, err
		}
	}
	n, err := sp.f.Write(p)
	sp.h.Write(p[:n])
	sp.n += int64(n)
	return n, err
}

// Grow makes room for n more bytes when the spool keeps them in memory (they fit under
// its cap), so that a download of known size is not copied again as it grows; it
// implements simpleindex.Grower. Any other spool ignores it, whatever n says.
func (sp *Spool) Grow(n int64) {
	if sp.f != nil || n <= 0 || sp.n+n > sp.memMax || int64(cap(sp.mem)-len(sp.mem)) >= n {
		return
	}
	mem := make([]byte, len(sp.mem), int64(len(sp.mem))+n)
	copy(mem, sp.mem)
	sp.mem = mem
}

// Finish ends writing and returns the sha256 (lower-case hex) of what was written.
func (sp *Spool) Finish() string {
	if !sp.finished {
		sp.finished = true
		sp.sum = hex.EncodeToString(sp.h.Sum(nil))
	}
	return sp.sum
}

// Finished reports whether Finish was called; SHA256 is then the digest.
func (sp *Spool) Finished() bool { return sp.finished }

// SHA256 is the digest Finish computed ("" before).
func (sp *Spool) SHA256() string { return sp.sum }

// Name is the spool file's path; "" while a spool of Batch.Spool holds its bytes in
// memory.
func (sp *Spool) Name() string {
	if sp.f == nil {
		return ""
	}
	return sp.f.Name()
}

// ReadAt reads the spooled bytes.
func (sp *Spool) ReadAt(p []byte, off int64) (int, error) {
	if sp.f != nil {
		return sp.f.ReadAt(p, off)
	}
	if off < 0 {
		return 0, fmt.Errorf("spool: negative offset: %w", fs.ErrInvalid)
	}
	if off >= int64(len(sp.mem)) {
		return 0, io.EOF
	}
	n := copy(p, sp.mem[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Bytes are the spooled bytes while a spool of Batch.Spool holds them in memory (nil
// once it has a file); the caller must not change them.
func (sp *Spool) Bytes() []byte {
	if sp.f != nil {
		return nil
	}
	return sp.mem[:len(sp.mem):len(sp.mem)]
}

// Size is how many bytes were written.
func (sp *Spool) Size() int64 { return sp.n }

// reader reads the whole spool.
func (sp *Spool) reader() io.Reader {
	if sp.f == nil {
		return bytes.NewReader(sp.mem)
	}
	return io.NewSectionReader(sp.f, 0, sp.n)
}

// Close closes the spool and removes its file unless CommitSpool moved it into the store.
func (sp *Spool) Close() error {
	if sp.f == nil {
		sp.mem = nil
		return nil
	}
	err := sp.f.Close()
	if !sp.committed {
		if rerr := os.Remove(sp.f.Name()); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	if errors.Is(err, fs.ErrClosed) {
		err = nil
	}
	return err
}

// adopter is a driver that can take a local file by renaming it (File).
type adopter interface {
	adopt(ctx context.Context, f *os.File, path string) error
}

// CommitSpool stores a finished spool as the blob of its digest: by a rename when the
// driver is a File on the spool's file system, by a copy otherwise. Bytes already stored
// are kept (Created false) and the spool is left for Close to remove.
func (s *Store) CommitSpool(ctx context.Context, sp *Spool) (Result, error) {
	if !sp.finished {
		return Result{}, fmt.Errorf("commit of an unfinished spool: %w", fs.ErrInvalid)
	}
	res := Result{SHA256: sp.sum, Size: sp.n}
	path := s.BlobPath(sp.sum)
	if st, err := s.d.Stat(ctx, path); err == nil && st.Size == sp.n {
		return res, nil
	}
	if a, ok := s.d.(adopter); ok && sp.f != nil {
		if err := a.adopt(ctx, sp.f, path); err == nil {
			sp.committed = true
			res.Created = true
			return res, nil
		}
		// Another file system (EXDEV) or a failed rename: copy instead.
	}
	return s.Write(ctx, sp.reader(), sp.sum, sp.n)
}

// adopt implements adopter: f (synced here) is renamed to path.
func (d *File) adopt(ctx context.Context, f *os.File, path string) error {
	full, err := d.full(path)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), fileMode); err != nil {
		return err
	}
	if err := renameInto(f.Name(), full); err != nil {
		return err
	}
	return syncDir(filepath.Dir(full))
}
