package blobstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
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
	packs  *packs // small blobs committed together (see pack.go)
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
func NewFile(dir string) (*File, error) { return NewFileWith(dir, FileOptions{}) }

// FileOptions are the choices of a File driver.
type FileOptions struct {
	// OpenPackIndex opens (creating when missing) the SQLite database at path that
	// indexes the packs (see pack.go), with WAL, a busy timeout and synchronous FULL:
	// every commit of it must be durable by itself. Nil: no packs, every blob a file;
	// a folder that holds packs is then refused.
	OpenPackIndex func(path string) (*sql.DB, error)
}

// NewFileWith is NewFile with options.
func NewFileWith(dir string, opts FileOptions) (*File, error) {
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
	pk := &packs{dir: filepath.Join(dir, packDir), openDB: opts.OpenPackIndex}
	if !pk.enabled() {
		if _, err := os.Stat(filepath.Join(pk.dir, packIndex)); err == nil {
			return nil, fmt.Errorf("blob directory %s holds packs of small blobs: open it with their index (blobstore.FileOptions.OpenPackIndex): %w", dir, errs.ErrInvalid)
		}
	}
	return &File{root: dir, layout: l, packs: pk}, nil
}

// Layout implements Driver.
func (d *File) Layout() Layout { return d.layout }

func (d *File) full(path string) (string, error) {
	if err := checkBlobPath(path); err != nil {
		return "", err
	}
	return filepath.Join(d.root, filepath.FromSlash(path)), nil
}

// checkBlobPath refuses a path that is not a blob's: invalid, or the driver's own.
func checkBlobPath(path string) error {
	if err := CheckPath(path); err != nil {
		return err
	}
	if under(path, tmpDir) || under(path, packDir) || path == layoutMarker {
		return fmt.Errorf("blob path %q is reserved: %w", path, errs.ErrInvalid)
	}
	return nil
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
	if errors.Is(err, fs.ErrNotExist) {
		r, n, ok, perr := d.packs.reader(ctx, path)
		if ok || perr != nil {
			return r, n, perr
		}
	}
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
	if errors.Is(err, fs.ErrNotExist) {
		l, _, ok, perr := d.packs.lookup(ctx, path)
		if perr != nil {
			return Info{}, perr
		}
		if ok {
			return Info{Path: path, Size: l.size, ModTime: l.mtime}, nil
		}
	}
	if err != nil {
		return Info{}, notFound(path, err)
	}
	if !st.Mode().IsRegular() {
		return Info{}, fmt.Errorf("blob %s: %w", path, errs.ErrNotFound)
	}
	return Info{Path: path, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// statMany is Stat of many paths: what is stored among them, the packed ones first (a
// query per hundreds: a sync's blobs are mostly packed, and a stat that finds no file
// costs more than a row looked up with hundreds), then the others by a stat each, but
// for the paths i with packedOnly(i) (Store.Reusable; nil: none). A blob both packed and
// a file is given with its packed Info (the same bytes).
func (d *File) statMany(ctx context.Context, paths []string, packedOnly func(int) bool) (map[string]Info, error) {
	for _, path := range paths {
		if err := checkBlobPath(path); err != nil {
			return nil, err
		}
	}
	out, err := d.packs.lookupMany(ctx, paths)
	if err != nil {
		return nil, err
	}
	var look []string // the paths to stat
	for i, path := range paths {
		if _, ok := out[path]; !ok && (packedOnly == nil || !packedOnly(i)) {
			look = append(look, path)
		}
	}
	absent := d.absentByListing(look)
	for _, path := range look {
		if absent[path] {
			continue
		}
		st, err := os.Stat(filepath.Join(d.root, filepath.FromSlash(path)))
		switch {
		case err == nil && st.Mode().IsRegular():
			out[path] = Info{Path: path, Size: st.Size(), ModTime: st.ModTime()}
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return nil, notFound(path, err)
		}
	}
	return out, nil
}

// listMax is the most entries absentByListing reads from one folder.
const listMax = 64

// absentByListing is a set of paths of look that are not there, learnt by listing their
// folders rather than by a stat each: a folder that holds at least three of them and
// lists in one read of at most listMax entries (a fan-out folder of a store whose blobs
// are nearly all packed) tells in three calls about all of them. A sync from a PEP 503
// tree, whose pages give no sizes, stat'ed each of its 20,000 files, at 10 us a call on
// a VM. A folder that cannot be listed so, or fails, leaves its paths to their stats.
func (d *File) absentByListing(look []string) map[string]bool {
	if len(look) < 3 {
		return nil // no folder can hold three
	}
	byDir := map[string][]string{}
	for _, p := range look {
		dir := path.Dir(p)
		byDir[dir] = append(byDir[dir], p)
	}
	var absent map[string]bool
	for dir, ps := range byDir {
		if len(ps) < 3 {
			continue
		}
		names, ok := listSmall(filepath.Join(d.root, filepath.FromSlash(dir)))
		if !ok {
			continue
		}
		if absent == nil {
			absent = make(map[string]bool, len(look))
		}
		for _, p := range ps {
			if !names[path.Base(p)] {
				absent[p] = true
			}
		}
	}
	return absent
}

// listSmall lists the names in dir when it holds at most listMax entries (a missing
// folder holds none); ok is false otherwise.
func listSmall(dir string) (names map[string]bool, ok bool) {
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, true
	}
	if err != nil {
		return nil, false
	}
	defer f.Close()
	ents, err := f.ReadDir(listMax + 1)
	if err != nil && !errors.Is(err, io.EOF) || len(ents) > listMax {
		return nil, false
	}
	names = make(map[string]bool, len(ents))
	for _, e := range ents {
		names[e.Name()] = true
	}
	return names, true
}

// Deletions counts the deletions of this folder's blobs (Store.Deletions); ok is false
// when the driver keeps no pack index, where the count lives.
func (d *File) Deletions(ctx context.Context) (n int64, ok bool, err error) {
	if !d.packs.enabled() {
		return 0, false, nil
	}
	n, err = d.packs.deletions(ctx)
	return n, err == nil, err
}

// Delete implements Driver.
func (d *File) Delete(ctx context.Context, path string) error {
	full, err := d.full(path)
	if err != nil {
		return err
	}
	// Both copies go: a blob can be packed and, written again alone, a file too.
	packed, err := d.packs.remove(ctx, path)
	if err != nil {
		return err
	}
	st, err := os.Lstat(full)
	if err != nil {
		if packed && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return notFound(path, err)
	}
	if !st.Mode().IsRegular() {
		if packed {
			return nil
		}
		return fmt.Errorf("blob %s: %w", path, errs.ErrNotFound)
	}
	if err := os.Remove(full); err != nil {
		return notFound(path, err)
	}
	return syncDir(filepath.Dir(full))
}

// Close closes the pack index.
func (d *File) Close() error { return d.packs.close() }

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
	// The packed blobs are merged into the files' walk in path order (a path that is
	// both is given once, as the file).
	packed := d.packs.pull(ctx, prefix)
	next, more, perr := packed()
	emitBefore := func(path string) error {
		for more && perr == nil && (path == "" || next.Path <= path) {
			if next.Path != path {
				if err := fn(next); err != nil {
					return err
				}
			}
			next, more, perr = packed()
		}
		return perr
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
			if rel == tmpDir || rel == packDir {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() || rel == tmpDir || rel == packDir || rel == layoutMarker {
			return nil
		}
		st, err := e.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		if err := emitBefore(rel); err != nil {
			return err
		}
		return fn(Info{Path: rel, Size: st.Size(), ModTime: st.ModTime()})
	})
	if err == nil {
		err = emitBefore("")
	}
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
