// Package blobstore stores immutable bytes in two layers.
//
// A Driver is a small path-based storage backend (File on a local directory, Memory for
// tests; S3 later). Paths are slash-separated, relative and clean ("sha256/ab/abcd…").
// Writes go through a Writer that buffers to a temporary location and becomes visible
// only when committed, in one atomic step: no reader ever sees half a file.
//
// Store is the content-addressed layer on top: it hashes while streaming, verifies an
// expected digest and size, commits to the path its driver's Layout gives
// (sha256/aa/<hash> for new stores, sha256/aa/bb/<hash> for older ones), and treats "already exists"
// as success. Nothing is left behind when a write fails or is rejected.
package blobstore

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
)

// Info describes a stored object.
type Info struct {
	Path    string
	Size    int64
	ModTime time.Time
}

// Driver is a path-based object store. Every method takes ctx first. Errors for missing
// paths wrap errs.ErrNotFound; invalid paths wrap errs.ErrInvalid.
type Driver interface {
	// Reader opens path for reading and returns its size.
	Reader(ctx context.Context, path string) (io.ReadSeekCloser, int64, error)
	// Writer starts a new object whose path is chosen when it is committed.
	Writer(ctx context.Context) (Writer, error)
	// Stat describes path.
	Stat(ctx context.Context, path string) (Info, error)
	// Delete removes path.
	Delete(ctx context.Context, path string) error
	// Walk calls fn for every object under the directory prefix ("" = everything), in
	// lexical path order. A prefix names whole path components: "foo" matches
	// "foo/x" but never "foo-bar/x". An error from fn stops the walk and is returned.
	Walk(ctx context.Context, prefix string, fn func(Info) error) error
	// Layout is how a Store on this driver lays out its blobs. It is fixed when the
	// storage is first set up and recorded with it, never replaced, so that every
	// process on the same storage agrees (File: a _layout file linked in whole; S3 will
	// put a marker object with If-None-Match); a new storage gets LayoutOneLevel, one
	// holding blobs and no marker LayoutTwoLevel.
	Layout() Layout
}

// Writer is an object being written. Exactly one of Commit or Cancel must be called;
// either one releases every temporary resource.
type Writer interface {
	io.Writer
	// Size is the number of bytes written so far.
	Size() int64
	// Commit makes the bytes visible at path atomically, replacing what was there.
	Commit(ctx context.Context, path string) error
	// Cancel discards the bytes.
	Cancel(ctx context.Context) error
}

// Put writes r to path through d.
func Put(ctx context.Context, d Driver, path string, r io.Reader) (int64, error) {
	if err := CheckPath(path); err != nil {
		return 0, err
	}
	w, err := d.Writer(ctx)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(w, r)
	if err != nil {
		_ = w.Cancel(ctx)
		return n, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := w.Commit(ctx, path); err != nil {
		return n, err
	}
	return n, nil
}

// List returns the paths of every object under prefix (see Driver.Walk).
func List(ctx context.Context, d Driver, prefix string) ([]string, error) {
	var out []string
	err := d.Walk(ctx, prefix, func(i Info) error {
		out = append(out, i.Path)
		return nil
	})
	return out, err
}

// CheckPath reports whether p is a clean relative slash path without "." or ".."
// components.
func CheckPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "\\") || strings.ContainsRune(p, 0) {
		return fmt.Errorf("blob path %q: %w", p, errs.ErrInvalid)
	}
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." || c == ".." {
			return fmt.Errorf("blob path %q: %w", p, errs.ErrInvalid)
		}
	}
	return nil
}

func checkPrefix(p string) error {
	if p == "" {
		return nil
	}
	return CheckPath(strings.TrimSuffix(p, "/"))
}

// under reports whether path lies under the directory prefix.
func under(path, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	return prefix == "" || path == prefix || strings.HasPrefix(path, prefix+"/")
}
