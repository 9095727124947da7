package index_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
)

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Ino
}

// TestUploadFromSpoolIsRenamed: an upload received into a blobstore.Spool on the data
// folder's file system is hashed while written and becomes the blob by a rename (the
// same inode), not by a second copy; a wrong expected digest stores nothing.
func TestUploadFromSpoolIsRenamed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := newServiceAt(t, dir)
	spoolDir := filepath.Join(dir, "tmp")
	if err := os.Mkdir(spoolDir, 0o700); err != nil {
		t.Fatal(err)
	}
	name, data := synthWheel("spooled", "1.0")
	spool := func() *blobstore.Spool {
		sp, err := blobstore.NewSpool(spoolDir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(sp, strings.NewReader(string(data))); err != nil {
			t.Fatal(err)
		}
		sp.Finish()
		return sp
	}
	bad := spool()
	if _, _, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: name, Content: bad, SHA256: strings.Repeat("0", 64)}); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("wrong digest: %v", err)
	}
	if ok, _ := s.Blobs().Exists(ctx, hexSum(data)); ok {
		t.Error("an upload with a wrong digest stored its blob")
	}
	bad.Close()

	sp := spool()
	if sp.SHA256() != hexSum(data) {
		t.Fatalf("spool digest %s, want %s", sp.SHA256(), hexSum(data))
	}
	ino := inode(t, sp.Name())
	f, _, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: name, Content: sp, SHA256: hexSum(data)})
	if err != nil {
		t.Fatal(err)
	}
	blob := filepath.Join(dir, "blobs", filepath.FromSlash(s.Blobs().BlobPath(f.SHA256)))
	if got := inode(t, blob); got != ino {
		t.Errorf("the blob is inode %d, the spool was %d: copied, not renamed", got, ino)
	}
	if err := sp.Close(); err != nil {
		t.Errorf("closing a committed spool: %v", err)
	}
	if left, _ := os.ReadDir(spoolDir); len(left) != 0 {
		t.Errorf("spool files left: %v", left)
	}
	of, err := s.OpenFile(ctx, mainDist(t, s), name, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(of.Body)
	of.Body.Close()
	if string(got) != string(data) || of.SHA256 != f.SHA256 || of.Metadata {
		t.Errorf("OpenFile served %d bytes, sha %s, metadata %v", len(got), of.SHA256, of.Metadata)
	}
	if of, err := s.OpenFile(ctx, mainDist(t, s), name+".metadata", 0); err != nil || !of.Metadata || of.SHA256 != f.MetadataSHA256 {
		t.Errorf("OpenFile of the metadata: %+v, %v", of, err)
	} else {
		of.Body.Close()
	}
}

// TestOpenFileOfAFileNotDownloaded: a file row known from a remote but not stored yet
// (presence remote) is not found by OpenFile, naming why; this is where on-demand
// fetching will hook in.
func TestOpenFileOfAFileNotDownloaded(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	addRows(t, s, "sync", &metastore.File{Filename: "far-1.0.tar.gz", Project: "far", ProjectName: "far",
		Version: "1.0", Kind: "sdist", SHA256: strings.Repeat("ab", 32), Size: 10, UploadTime: t0(),
		Origin: metastore.OriginSync, OriginRemote: "pypi", UpstreamURL: "https://files.example/far-1.0.tar.gz",
		UpstreamHashes: "sha256=" + strings.Repeat("ab", 32), Presence: metastore.PresenceRemote})
	f, err := s.File(ctx, mainDist(t, s), "far-1.0.tar.gz")
	if err != nil || f.Origin != metastore.OriginSync || f.OriginRemote != "pypi" || f.Presence != metastore.PresenceRemote {
		t.Fatalf("File = %+v, %v", f, err)
	}
	if _, err := s.OpenFile(ctx, mainDist(t, s), "far-1.0.tar.gz", 0); !errors.Is(err, errs.ErrNotFound) || !strings.Contains(err.Error(), "not downloaded yet") {
		t.Errorf("OpenFile of a remote file: %v", err)
	}
}

func t0() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
