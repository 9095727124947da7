// Package blobstoretest is the test suite every blobstore.Driver must pass. Drivers call
// RunDriver from their tests; the S3 driver will run it when the environment provides a
// bucket. A driver that implements the optional blobstore.Redirector is checked to serve
// the bytes at the URL it gives; one that does not is checked to give none.
package blobstoretest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/errs"
)

// Factory returns a new, empty driver and a function listing the temporary objects it
// holds (nil when the driver has none to report).
type Factory func(t *testing.T) (blobstore.Driver, func() []string)

// RunDriver runs the whole suite against drivers made by newDriver.
func RunDriver(t *testing.T, newDriver Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, d blobstore.Driver, temps func() []string)
	}{
		{"PutReadStat", testPutReadStat},
		{"Overwrite", testOverwrite},
		{"NotFound", testNotFound},
		{"InvalidPaths", testInvalidPaths},
		{"PrefixTrap", testPrefixTrap},
		{"Delete", testDelete},
		{"CancelLeavesNothing", testCancel},
		{"FailedCopyLeavesNothing", testFailedCopy},
		{"UncommittedInvisible", testUncommittedInvisible},
		{"ConcurrentReadersSeeWholeFiles", testConcurrent},
		{"StorePutOpen", testStore},
		{"StoreVerified", testStoreVerified},
		{"StoreWalk", testStoreWalk},
		{"StoreStatBeforeWrite", testStatBeforeWrite},
		{"StoreRedirectOrStream", testRedirect},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, temps := newDriver(t)
			tc.fn(t, d, temps)
			if temps != nil {
				if left := temps(); len(left) > 0 {
					t.Errorf("temporary files left behind: %v", left)
				}
			}
		})
	}
}

func readAll(t *testing.T, d blobstore.Driver, path string) []byte {
	t.Helper()
	r, size, err := d.Reader(context.Background(), path)
	if err != nil {
		t.Fatalf("Reader(%q): %v", path, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != size {
		t.Errorf("Reader(%q) size %d, read %d bytes", path, size, len(b))
	}
	return b
}

func put(t *testing.T, d blobstore.Driver, path, data string) {
	t.Helper()
	n, err := blobstore.Put(context.Background(), d, path, strings.NewReader(data))
	if err != nil {
		t.Fatalf("Put(%q): %v", path, err)
	}
	if n != int64(len(data)) {
		t.Fatalf("Put(%q) wrote %d, want %d", path, n, len(data))
	}
}

func testPutReadStat(t *testing.T, d blobstore.Driver, _ func() []string) {
	ctx := context.Background()
	for _, tc := range []struct{ path, data string }{
		{"a", "alpha"},
		{"dir/sub/b.txt", "beta"},
		{"empty", ""},
		{"big/x", strings.Repeat("0123456789", 100000)},
	} {
		put(t, d, tc.path, tc.data)
		if got := readAll(t, d, tc.path); string(got) != tc.data {
			t.Errorf("%s: read %d bytes, want %d", tc.path, len(got), len(tc.data))
		}
		st, err := d.Stat(ctx, tc.path)
		if err != nil || st.Size != int64(len(tc.data)) || st.Path != tc.path {
			t.Errorf("Stat(%q) = %+v, %v", tc.path, st, err)
		}
	}
	// Seeking works.
	r, _, err := d.Reader(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Seek(2, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(r)
	if string(rest) != "pha" {
		t.Errorf("after Seek(2) read %q", rest)
	}
}

func testOverwrite(t *testing.T, d blobstore.Driver, _ func() []string) {
	put(t, d, "x/y", "first")
	put(t, d, "x/y", "second version")
	if got := readAll(t, d, "x/y"); string(got) != "second version" {
		t.Errorf("read %q", got)
	}
}

func testNotFound(t *testing.T, d blobstore.Driver, _ func() []string) {
	ctx := context.Background()
	if _, _, err := d.Reader(ctx, "missing"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("Reader: %v, want ErrNotFound", err)
	}
	if _, err := d.Stat(ctx, "missing/deep"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("Stat: %v, want ErrNotFound", err)
	}
	if err := d.Delete(ctx, "missing"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("Delete: %v, want ErrNotFound", err)
	}
	put(t, d, "dir/file", "x")
	if _, err := d.Stat(ctx, "dir"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("Stat of a directory: %v, want ErrNotFound", err)
	}
	if got, err := blobstore.List(ctx, d, "nothing-here"); err != nil || len(got) != 0 {
		t.Errorf("List of a missing prefix = %v, %v", got, err)
	}
}

func testInvalidPaths(t *testing.T, d blobstore.Driver, _ func() []string) {
	ctx := context.Background()
	for _, p := range []string{"", "/abs", "a/../b", "..", "a//b", "a/", "./a", "a\\b", "a/./b"} {
		if _, err := blobstore.Put(ctx, d, p, strings.NewReader("x")); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("Put(%q): %v, want ErrInvalid", p, err)
		}
		if _, _, err := d.Reader(ctx, p); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("Reader(%q): %v, want ErrInvalid", p, err)
		}
	}
}

func testPrefixTrap(t *testing.T, d blobstore.Driver, _ func() []string) {
	ctx := context.Background()
	for _, p := range []string{"foo/a", "foo/sub/b", "foo-bar/c", "foobar", "foo.d/e", "fo/f"} {
		put(t, d, p, p)
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"foo", []string{"foo/a", "foo/sub/b"}},
		{"foo/", []string{"foo/a", "foo/sub/b"}},
		{"foo/sub", []string{"foo/sub/b"}},
		{"foo-bar", []string{"foo-bar/c"}},
		{"fo", []string{"fo/f"}},
		{"", []string{"fo/f", "foo-bar/c", "foo.d/e", "foo/a", "foo/sub/b", "foobar"}},
	}
	for _, tc := range tests {
		got, err := blobstore.List(ctx, d, tc.prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", tc.prefix, err)
		}
		slices.Sort(got)
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("List(%q) = %v, want %v", tc.prefix, got, want)
		}
	}
}

func testDelete(t *testing.T, d blobstore.Driver, _ func() []string) {
	ctx := context.Background()
	put(t, d, "foo", "1")
	put(t, d, "foo-bar", "2")
	if err := d.Delete(ctx, "foo"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Stat(ctx, "foo"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("deleted object still there: %v", err)
	}
	if got := readAll(t, d, "foo-bar"); string(got) != "2" {
		t.Errorf("neighbour changed: %q", got)
	}
}

func testCancel(t *testing.T, d blobstore.Driver, _ func() []string) {
	ctx := context.Background()
	w, err := d.Writer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "half")
	if err := w.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := blobstore.List(ctx, d, ""); len(got) != 0 {
		t.Errorf("objects after Cancel: %v", got)
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	k := min(len(p), f.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	f.n -= k
	return k, nil
}

func testFailedCopy(t *testing.T, d blobstore.Driver, _ func() []string) {
	ctx := context.Background()
	if _, err := blobstore.Put(ctx, d, "p", &failingReader{n: 100000}); err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	if _, err := d.Stat(ctx, "p"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("half-written object visible: %v", err)
	}
	s := blobstore.NewStore(d)
	if _, _, err := s.Put(ctx, &failingReader{n: 5000}); err == nil {
		t.Fatal("Store.Put from a failing reader succeeded")
	}
	if got, _ := blobstore.List(ctx, d, ""); len(got) != 0 {
		t.Errorf("objects after failed puts: %v", got)
	}
}

func testUncommittedInvisible(t *testing.T, d blobstore.Driver, _ func() []string) {
	ctx := context.Background()
	w, err := d.Writer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "not yet")
	if got, _ := blobstore.List(ctx, d, ""); len(got) != 0 {
		t.Errorf("uncommitted write visible: %v", got)
	}
	if w.Size() != 7 {
		t.Errorf("Size = %d", w.Size())
	}
	if err := w.Commit(ctx, "now"); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, d, "now"); string(got) != "not yet" {
		t.Errorf("read %q", got)
	}
	if _, err := w.Write([]byte("more")); err == nil {
		t.Error("Write after Commit succeeded")
	}
}

// testConcurrent has writers replace one path with whole files of one byte value while
// readers check they never see a mix or a short file.
func testConcurrent(t *testing.T, d blobstore.Driver, _ func() []string) {
	ctx := context.Background()
	const size = 64 << 10
	put(t, d, "c", strings.Repeat("a", size))
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 10 {
				c := byte('a' + (i*10+j)%26)
				if _, err := blobstore.Put(ctx, d, "c", bytes.NewReader(bytes.Repeat([]byte{c}, size))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 40 {
				r, _, err := d.Reader(ctx, "c")
				if err != nil {
					t.Error(err)
					return
				}
				b, err := io.ReadAll(r)
				r.Close()
				if err != nil || len(b) != size || bytes.Count(b, b[:1]) != size {
					t.Errorf("reader saw a partial or mixed file (%d bytes, err %v)", len(b), err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func sum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

func testStore(t *testing.T, d blobstore.Driver, _ func() []string) {
	ctx := context.Background()
	s := blobstore.NewStore(d)
	data := []byte("hello, blobs")
	sha, n, err := s.Put(ctx, bytes.NewReader(data))
	if err != nil || sha != sum(data) || n != int64(len(data)) {
		t.Fatalf("Put = %s, %d, %v", sha, n, err)
	}
	if p := s.BlobPath(sha); p != d.Layout().Path(sha) || !strings.HasPrefix(p, "sha256/"+sha[:2]+"/") {
		t.Errorf("blob path %s, not in the driver's layout %s", p, d.Layout())
	} else if _, err := d.Stat(ctx, p); err != nil {
		t.Errorf("blob not at %s: %v", p, err)
	}
	res, err := s.Write(ctx, bytes.NewReader(data), "", -1)
	if err != nil || res.Created || res.SHA256 != sha {
		t.Errorf("second Put = %+v, %v; want success, not created", res, err)
	}
	r, size, err := s.Open(ctx, sha)
	if err != nil || size != int64(len(data)) {
		t.Fatalf("Open = %d, %v", size, err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, data) {
		t.Errorf("Open read %q", got)
	}
	if sz, err := s.Stat(ctx, sha); err != nil || sz != int64(len(data)) {
		t.Errorf("Stat = %d, %v", sz, err)
	}
	if ok, err := s.Exists(ctx, sha); !ok || err != nil {
		t.Errorf("Exists = %v, %v", ok, err)
	}
	if err := s.Delete(ctx, sha); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Open(ctx, sha); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("Open after Delete: %v", err)
	}
	if _, _, err := s.Open(ctx, "../../etc/passwd"); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("Open of a bad digest: %v", err)
	}
	if _, _, err := s.Open(ctx, strings.ToUpper(sha)); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("Open of an upper-case digest: %v", err)
	}
}

func testStoreVerified(t *testing.T, d blobstore.Driver, _ func() []string) {
	ctx := context.Background()
	s := blobstore.NewStore(d)
	data := []byte("verified content")
	good := sum(data)
	tests := []struct {
		name    string
		sha     string
		size    int64
		wantErr error
	}{
		{"wrong digest", sum([]byte("other")), int64(len(data)), errs.ErrInvalid},
		{"wrong size", good, int64(len(data)) + 1, errs.ErrInvalid},
		{"bad digest syntax", "xyz", -1, errs.ErrInvalid},
		{"good, size unchecked", good, -1, nil},
		{"good", good, int64(len(data)), nil},
	}
	for _, tc := range tests {
		sha, _, err := s.PutVerified(ctx, bytes.NewReader(data), tc.sha, tc.size)
		if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.wantErr)
		}
		if tc.wantErr != nil {
			if got, _ := blobstore.List(ctx, d, ""); len(got) != 0 {
				t.Errorf("%s: rejected put left %v", tc.name, got)
			}
		} else if sha != good {
			t.Errorf("%s: sha %s", tc.name, sha)
		}
	}
}

func testStoreWalk(t *testing.T, d blobstore.Driver, _ func() []string) {
	ctx := context.Background()
	s := blobstore.NewStore(d)
	want := map[string]int64{}
	for _, v := range []string{"one", "two", "three"} {
		sha, n, err := s.Put(ctx, strings.NewReader(v))
		if err != nil {
			t.Fatal(err)
		}
		want[sha] = n
	}
	put(t, d, "sha256/not-a-blob", "x")
	got := map[string]int64{}
	if err := s.Walk(ctx, func(sha string, size int64) error { got[sha] = size; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("Walk found %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Walk: %s size %d, want %d", k, got[k], v)
		}
	}
}
