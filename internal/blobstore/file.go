package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
)

// tmpDir is the directory under a File driver's root that holds writes in progress. It
// is on the same file system as the objects, so committing is a rename.
const tmpDir = "_tmp"

// staleTemp is how old a temporary file must be for NewFile to remove it as left by a
// crash.
const staleTemp = 24 * time.Hour

// File is a Driver on a local directory.
type File struct {
	root   string
	layout Layout
}

var _ Driver = (*File)(nil)

// Modes of what a File driver creates: the blobs are private data (a private
// distribution's files), so neither other users nor the group may read them. They are
// set with chmod after creation, so the umask cannot widen or narrow them.
const (
	dirMode  fs.FileMode = 0o700
	fileMode fs.FileMode = 0o600
)

// NewFile returns a File driver rooted at dir, creating it when missing. Temporary files
// left by a crash (older than a day) are removed. The root is made private (0700) even when it exists, which
// also closes the blobs of older versions (created 0644 in 0755 folders) to other users.
// The store's Layout is read from its marker, or recorded in one when dir has none (see
// setupLayout): a new folder gets LayoutOneLevel, one with blobs of an older pydepot
// keeps LayoutTwoLevel.
func NewFile(dir string) (*File, error) {
	if err := MkdirPrivate(filepath.Join(dir, tmpDir)); err != nil {
		return nil, fmt.Errorf("blob directory: %w", err)
	}
	for _, p := range []string{dir, filepath.Join(dir, tmpDir)} {
		if err := os.Chmod(p, dirMode); err != nil {
			return nil, fmt.Errorf("blob directory: %w", err)
		}
	}
	ents, err := os.ReadDir(filepath.Join(dir, tmpDir))
	if err != nil {
		return nil, fmt.Errorf("blob directory: %w", err)
	}
	// Only old ones: another process on the same folder (a second server, pydepot gc)
	// may be writing the young ones right now.
	cutoff := time.Now().Add(-staleTemp)
	for _, e := range ents {
		if info, err := e.Info(); err == nil && info.ModTime().Before(cutoff) {
			_ = os.Remove(filepath.Join(dir, tmpDir, e.Name()))
		}
	}
	l, err := setupLayout(dir)
	if err != nil {
		return nil, err
	}
	return &File{root: dir, layout: l}, nil
}

// Layout implements Driver.
func (d *File) Layout() Layout { return d.layout }

func (d *File) full(path string) (string, error) {
	if err := CheckPath(path); err != nil {
		return "", err
	}
	if path == tmpDir || strings.HasPrefix(path, tmpDir+"/") || path == layoutMarker {
		return "", fmt.Errorf("blob path %q is reserved: %w", path, errs.ErrInvalid)
	}
	return filepath.Join(d.root, filepath.FromSlash(path)), nil
}

func notFound(path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob %s: %w", path, errs.ErrNotFound)
	}
	return fmt.Errorf("blob %s: %w", path, err)
}

// Reader implements Driver.
func (d *File) Reader(ctx context.Context, path string) (io.ReadSeekCloser, int64, error) {
	full, err := d.full(path)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(full)
	if err != nil {
		return nil, 0, notFound(path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, notFound(path, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("blob %s: %w", path, errs.ErrNotFound)
	}
	return f, st.Size(), nil
}

// Stat implements Driver.
func (d *File) Stat(ctx context.Context, path string) (Info, error) {
	full, err := d.full(path)
	if err != nil {
		return Info{}, err
	}
	st, err := os.Stat(full)
	if err != nil {
		return Info{}, notFound(path, err)
	}
	if !st.Mode().IsRegular() {
		return Info{}, fmt.Errorf("blob %s: %w", path, errs.ErrNotFound)
	}
	return Info{Path: path, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// Delete implements Driver.
func (d *File) Delete(ctx context.Context, path string) error {
	full, err := d.full(path)
	if err != nil {
		return err
	}
	st, err := os.Lstat(full)
	if err != nil {
		return notFound(path, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("blob %s: %w", path, errs.ErrNotFound)
	}
	if err := os.Remove(full); err != nil {
		return notFound(path, err)
	}
	return syncDir(filepath.Dir(full))
}

// Walk implements Driver.
func (d *File) Walk(ctx context.Context, prefix string, fn func(Info) error) error {
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	prefix = strings.TrimSuffix(prefix, "/")
	start := d.root
	if prefix != "" {
		start = filepath.Join(d.root, filepath.FromSlash(prefix))
	}
	err := filepath.WalkDir(start, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(d.root, p)
		rel = filepath.ToSlash(rel)
		if e.IsDir() {
			if rel == tmpDir {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() || rel == tmpDir || rel == layoutMarker {
			return nil
		}
		st, err := e.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		return fn(Info{Path: rel, Size: st.Size(), ModTime: st.ModTime()})
	})
	return err
}

// Writer implements Driver.
func (d *File) Writer(ctx context.Context) (Writer, error) {
	f, err := os.CreateTemp(filepath.Join(d.root, tmpDir), "put-*")
	if err != nil {
		return nil, fmt.Errorf("blob temporary file: %w", err)
	}
	return &fileWriter{d: d, f: f}, nil
}

type fileWriter struct {
	d    *File
	f    *os.File
	n    int64
	done bool
}

func (w *fileWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("write after commit or cancel: %w", errs.ErrInvalid)
	}
	n, err := w.f.Write(p)
	w.n += int64(n)
	return n, err
}

func (w *fileWriter) Size() int64 { return w.n }

func (w *fileWriter) Commit(ctx context.Context, path string) error {
	if w.done {
		return fmt.Errorf("commit after commit or cancel: %w", errs.ErrInvalid)
	}
	full, err := w.d.full(path)
	if err != nil {
		_ = w.Cancel(ctx)
		return err
	}
	w.done = true
	tmp := w.f.Name()
	fail := func(err error) error {
		w.f.Close()
		os.Remove(tmp)
		return fmt.Errorf("committing blob %s: %w", path, err)
	}
	if err := w.f.Sync(); err != nil {
		return fail(err)
	}
	if err := w.f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Chmod(tmp, fileMode); err != nil {
		return fail(err)
	}
	if err := renameInto(tmp, full); err != nil {
		return fail(err)
	}
	return syncDir(filepath.Dir(full))
}

// renameInto renames tmp to full, making full's folder only when the rename finds it
// missing: the folders of LayoutOneLevel exist from the start, and a driver path in
// another folder (an object that is not a blob) makes its folder once.
func renameInto(tmp, full string) error {
	if err := rename(tmp, full); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := MkdirPrivate(filepath.Dir(full)); err != nil {
		return err
	}
	return rename(tmp, full)
}

// rename is rename(2) of a file: os.Rename stats the new name first (to refuse a
// folder there, which rename(2) refuses anyway for a file: EISDIR), a stat per blob.
func rename(from, to string) error {
	if err := syscall.Rename(from, to); err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}

func (w *fileWriter) Cancel(ctx context.Context) error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	if err := os.Remove(w.f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing blob temporary file: %w", err)
	}
	return nil
}

// MkdirPrivate is os.MkdirAll that gives every folder it creates exactly 0700, set by
// chmod so that the umask does not matter; an existing folder keeps its mode. The blob
// store and the index's data folder hold private data and use it.
func MkdirPrivate(dir string) error {
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := MkdirPrivate(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, dirMode); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil // made meanwhile by a concurrent commit
		}
		return err
	}
	return os.Chmod(dir, dirMode)
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
