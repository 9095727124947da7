package index_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
)

// TestPrepareSynced: a synced file keeps what the upstream says of it (upload time, yank,
// requires-python, origin); its bytes are checked against the upstream's digest, and a
// filename used for other bytes is refused before any Apply.
func TestPrepareSynced(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	name, data := synthWheel("demo", "1.0")
	when := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	sf := index.SyncedFile{Filename: name, SHA256: hexSum(data), Size: int64(len(data)), UploadTime: when,
		RequiresPython: ">=3.9", Yanked: true, YankReason: "old", Remote: "up", UpstreamURL: "https://x/f/" + name,
		UpstreamHashes: "sha256=" + hexSum(data)}
	bad := sf
	bad.SHA256 = strings.Repeat("0", 64)
	if _, err := s.PrepareSynced(ctx, "main", bad, bytes.NewReader(data)); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("wrong digest: %v", err)
	}
	p, err := s.PrepareSynced(ctx, "main", sf, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Apply(ctx, "main", "sync up", []index.Change{{Kind: index.ChangeAdd, File: p}})
	if err != nil || !res.Made {
		t.Fatalf("Apply: %+v, %v", res, err)
	}
	f, err := s.Store().FileAt(ctx, 1, res.Version, name)
	if err != nil {
		t.Fatal(err)
	}
	if !f.UploadTime.Equal(when) || f.RequiresPython != ">=3.9" || !f.Yanked || f.YankReason != "old" ||
		f.Origin != metastore.OriginSync || f.OriginRemote != "up" || f.UpstreamURL != sf.UpstreamURL || f.MetadataSHA256 == "" {
		t.Errorf("row %+v", f)
	}
	if err := s.Remove(ctx, "main", "", "", name); err != nil {
		t.Fatal(err)
	}
	_, other := synthWheel("demo", "1.0")
	other = append(other, 0) // other bytes, same name
	o := sf
	o.SHA256 = hexSum(other)
	if _, err := s.PrepareSynced(ctx, "main", o, bytes.NewReader(other)); !errors.Is(err, index.ErrFilenameReused) {
		t.Errorf("reused filename: %v", err)
	}
}

// TestPrepareRemote: a remote-only row has the upstream's digest and size, no body blob,
// and its metadata parsed and stored; metadata that names another project or version is
// refused.
func TestPrepareRemote(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	meta := []byte("Metadata-Version: 2.1\nName: demo\nVersion: 2.0\nSummary: remote demo\nRequires-Python: >=3.8\n\n")
	sf := index.SyncedFile{Filename: "demo-2.0-py3-none-any.whl", SHA256: strings.Repeat("ab", 32), Size: 1234, Remote: "up",
		UpstreamURL: "https://x/demo-2.0-py3-none-any.whl"}
	for _, tc := range []struct {
		name string
		f    index.SyncedFile
		meta []byte
	}{
		{"no size", index.SyncedFile{Filename: sf.Filename, SHA256: sf.SHA256, Size: -1, Remote: "up"}, meta},
		{"other project", sf, bytes.Replace(meta, []byte("Name: demo"), []byte("Name: other"), 1)},
		{"other version", sf, bytes.Replace(meta, []byte("Version: 2.0"), []byte("Version: 2.1"), 1)},
		{"no remote", index.SyncedFile{Filename: sf.Filename, SHA256: sf.SHA256, Size: 1}, meta},
		{"bad digest", index.SyncedFile{Filename: sf.Filename, SHA256: "xyz", Size: 1, Remote: "up"}, meta},
	} {
		if _, err := s.PrepareRemote(ctx, "main", tc.f, tc.meta); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", tc.name, err)
		}
	}
	p, err := s.PrepareRemote(ctx, "main", sf, meta)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Apply(ctx, "main", "", []index.Change{{Kind: index.ChangeAdd, File: p}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Store().FileAt(ctx, 1, res.Version, sf.Filename)
	if err != nil {
		t.Fatal(err)
	}
	if f.Presence != metastore.PresenceRemote || f.Size != 1234 || f.SHA256 != sf.SHA256 || f.Summary != "remote demo" {
		t.Errorf("row %+v", f)
	}
	if ok, _ := s.Blobs().Exists(ctx, sf.SHA256); ok {
		t.Error("a body blob exists for a remote-only row")
	}
	if ok, _ := s.Blobs().Exists(ctx, f.MetadataSHA256); !ok {
		t.Error("the metadata file was not stored")
	}
	if md, err := s.CoreMetadata(ctx, f.MetadataSHA256); err != nil || md.Summary != "remote demo" {
		t.Errorf("parsed metadata: %+v, %v", md, err)
	}
}

// TestSyncedCorruptMemberMirrored: a synced wheel is the upstream's bytes (its digest
// matched): a member that does not inflate to its CRC, which an upload of the same wheel
// is refused for, does not stop the mirror from holding the file; the metadata it reads
// is checked all the same.
func TestSyncedCorruptMemberMirrored(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	name, data := synthWheel("demo", "1.0")
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	off, err := zr.File[0].DataOffset() // demo/__init__.py
	if err != nil {
		t.Fatal(err)
	}
	data[off+1] ^= 0xff
	if _, _, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: name, Content: bytes.NewReader(data)}); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("upload of a wheel with a corrupt member: %v", err)
	}
	sf := index.SyncedFile{Filename: name, SHA256: hexSum(data), Size: int64(len(data)), Remote: "up", UpstreamURL: "https://x/f/" + name}
	p, err := s.PrepareSynced(ctx, "main", sf, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, "main", "sync up", []index.Change{{Kind: index.ChangeAdd, File: p}}); err != nil {
		t.Fatal(err)
	}
	rc, _, err := s.Blobs().Open(ctx, hexSum(data))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, _ := io.ReadAll(rc); !bytes.Equal(got, data) {
		t.Error("the mirrored bytes differ from the upstream's")
	}
	// A corrupt METADATA, which the mirror reads, is refused.
	name2, data2 := synthWheel("demo", "2.0")
	zr2, err := zip.NewReader(bytes.NewReader(data2), int64(len(data2)))
	if err != nil {
		t.Fatal(err)
	}
	off2, err := zr2.File[1].DataOffset() // METADATA
	if err != nil {
		t.Fatal(err)
	}
	data2[off2+2] ^= 0xff
	sf2 := index.SyncedFile{Filename: name2, SHA256: hexSum(data2), Size: int64(len(data2)), Remote: "up", UpstreamURL: "https://x/f/" + name2}
	if _, err := s.PrepareSynced(ctx, "main", sf2, bytes.NewReader(data2)); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("a synced wheel with a corrupt METADATA: %v", err)
	}
}
