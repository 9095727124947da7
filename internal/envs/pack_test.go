package envs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/interpreters"
)

// bundleOnce bundles Debian's python3.11 into a temp dir.
func bundleOnce(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	in, err := interpreters.Query(ctx, "/usr/bin/python3.11")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "env")
	if _, err := interpreters.Bundle(ctx, in, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPackReproducible(t *testing.T) {
	ctx := context.Background()
	dir := bundleOnce(t)
	for _, f := range []Format{Gzip, Zstd} {
		t.Run(string(f), func(t *testing.T) {
			var a, b bytes.Buffer
			if err := Pack(ctx, dir, &a, f); err != nil {
				t.Fatal(err)
			}
			// touch a file: times are not packed
			os.Chtimes(filepath.Join(dir, "bin", "python3"), interpreters.Epoch.AddDate(1, 0, 0), interpreters.Epoch.AddDate(1, 0, 0))
			if err := Pack(ctx, dir, &b, f); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatalf("two packs differ (%d and %d bytes)", a.Len(), b.Len())
			}
			t.Logf("%s: %d bytes", f, a.Len())
		})
	}
}

func TestPackMembers(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "bin"), 0o700)
	os.WriteFile(filepath.Join(dir, "bin", "tool"), []byte("#!/bin/sh\n"), 0o700)
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a"), 0o600)
	var buf bytes.Buffer
	if err := Pack(context.Background(), dir, &buf, Gzip); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() && zr.ModTime.Unix() != 0 {
		t.Errorf("gzip header name %q time %v", zr.Name, zr.ModTime)
	}
	tr := tar.NewReader(zr)
	want := []struct {
		name string
		mode int64
	}{{"a.txt", 0o644}, {"bin/", 0o755}, {"bin/tool", 0o755}}
	for _, w := range want {
		h, err := tr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if h.Name != w.name || h.Mode != w.mode || !h.ModTime.Equal(interpreters.Epoch) || h.Uid != 0 || h.Uname != "" {
			t.Errorf("member %+v, want %s %o", h, w.name, w.mode)
		}
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Errorf("extra member: %v", err)
	}
}

func TestPackRefusesLinks(t *testing.T) {
	dir := t.TempDir()
	os.Symlink("/etc/passwd", filepath.Join(dir, "link"))
	err := Pack(context.Background(), dir, io.Discard, Gzip)
	if !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": Gzip, "gz": Gzip, "tar.gz": Gzip, "zstd": Zstd, "zst": Zstd} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("bz2"); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("bz2: %v", err)
	}
}
