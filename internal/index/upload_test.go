package index_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/index"
)

func hexSum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestUploadSystemWheels(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	wheels := systemWheels(t)
	for name, path := range wheels {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, existed, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: name, Content: bytes.NewReader(data), SHA256: hexSum(data)})
		if err != nil || existed {
			t.Fatalf("Upload(%s) = %v, %v", name, existed, err)
		}
		if f.SHA256 != hexSum(data) || f.Size != int64(len(data)) || f.Kind != filenames.KindWheel || f.MetadataSHA256 == "" {
			t.Errorf("%s: %+v", name, f)
		}
		// The stored body and the PEP 658 metadata file are the exact bytes.
		checkBlob(t, s, f.SHA256, data)
		checkBlob(t, s, f.MetadataSHA256, zipMember(t, data, ".dist-info/METADATA"))
	}
	d := mainDist(t, s)
	ps, serial, err := s.Projects(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Name)
		if p.Serial <= 0 || p.Serial > serial {
			t.Errorf("%s serial %d, last %d", p.Name, p.Serial, serial)
		}
	}
	if !slices.Equal(got, []string{"pip", "setuptools", "wheel"}) {
		t.Errorf("projects %v", got)
	}
	p, err := s.Project(ctx, d, "Pip")
	if err != nil || len(p.Files) != 1 || p.Files[0].RequiresPython == "" || p.Files[0].Summary == "" || p.DisplayName != "pip" || p.Status != "active" {
		t.Errorf("Project(pip) = %+v, %v", p, err)
	}
	for module, want := range map[string][]string{
		"pip":                {"pip"},
		"pkg_resources":      {"setuptools"},
		"setuptools.command": {"setuptools"},
		"wheel":              {"wheel"},
		"numpy":              nil,
	} {
		got, err := s.ImportCandidates(ctx, d, module)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ImportCandidates(%s) = %v, %v; want %v", module, got, err, want)
		}
	}
	vs, _ := s.Versions(ctx, "main")
	if len(vs) != len(wheels)+1 || vs[len(vs)-1].Files != len(wheels) || !strings.HasPrefix(vs[1].Message, "upload ") {
		t.Errorf("versions %+v", vs)
	}
}

func checkBlob(t *testing.T, s *index.Service, sha string, want []byte) {
	t.Helper()
	r, size, err := s.OpenBlob(context.Background(), sha)
	if err != nil {
		t.Fatalf("OpenBlob(%s): %v", sha, err)
	}
	defer r.Close()
	got, _ := io.ReadAll(r)
	if size != int64(len(want)) || !bytes.Equal(got, want) {
		t.Errorf("blob %s: %d bytes, want %d", sha, len(got), len(want))
	}
}

func TestUploadBuiltSortsByPEP440(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	dists := built(t)
	var names []string
	for n := range dists {
		names = append(names, n)
	}
	slices.Sort(names) // string order, which is not the order Project must return
	for _, n := range names {
		data, _ := os.ReadFile(dists[n])
		f, _, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: n, Content: bytes.NewReader(data), Name: "Demo-Pkg", Version: strings.TrimSuffix(strings.Split(n, "-")[1], ".tar.gz")})
		if err != nil {
			t.Fatalf("Upload(%s): %v", n, err)
		}
		if f.Project != "demo-pkg" || f.RequiresPython != ">=3.8" {
			t.Errorf("%s: %+v", n, f)
		}
	}
	p, err := s.Project(ctx, mainDist(t, s), "demo_pkg")
	if err != nil {
		t.Fatal(err)
	}
	wantVersions := []string{"1.0.post1", "1.9", "1.10", "2.0rc1", "2.0"}
	if !slices.Equal(p.Versions, wantVersions) {
		t.Errorf("Versions = %v, want %v", p.Versions, wantVersions)
	}
	var order []string
	for _, f := range p.Files {
		order = append(order, f.Version+" "+string(f.Kind))
	}
	want := []string{"1.0.post1 bdist_wheel", "1.9 bdist_wheel", "1.10 bdist_wheel", "1.10 sdist", "2.0rc1 bdist_wheel", "2.0 bdist_wheel"}
	if !slices.Equal(order, want) {
		t.Errorf("files in order %v, want %v", order, want)
	}
	if got, _ := s.ImportCandidates(ctx, mainDist(t, s), "demo_pkg"); !slices.Equal(got, []string{"demo-pkg"}) {
		t.Errorf("ImportCandidates(demo_pkg) = %v", got)
	}
	sd, err := s.File(ctx, mainDist(t, s), "demo_pkg-1.10.tar.gz")
	if err != nil || sd.Kind != filenames.KindSdist || sd.MetadataSHA256 == "" {
		t.Errorf("sdist %+v, %v", sd, err)
	}
}

func TestUploadIdenticalIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	name, data := pick(t, systemWheels(t), "wheel-")
	first := upload(t, s, name, data)
	before := takeSnapshot(t, s)
	f, existed, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: name, Content: bytes.NewReader(data)})
	if err != nil || !existed || f.SHA256 != first.SHA256 || !f.UploadTime.Equal(first.UploadTime) {
		t.Fatalf("re-upload = %+v, %v, %v", f, existed, err)
	}
	if after := takeSnapshot(t, s); !before.equal(after) {
		t.Errorf("identical re-upload changed the repository:\n%+v\n%+v", before, after)
	}
}

func TestUploadOtherContentConflicts(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	name, data := pick(t, systemWheels(t), "wheel-")
	upload(t, s, name, data)
	before := takeSnapshot(t, s)
	other := withComment(t, data, "other bytes")
	_, _, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: name, Content: bytes.NewReader(other)})
	if !errors.Is(err, errs.ErrConflict) || !strings.Contains(err.Error(), "File already exists") {
		t.Fatalf("upload of other content: %v, want ErrConflict 'File already exists'", err)
	}
	if after := takeSnapshot(t, s); !before.equal(after) {
		t.Errorf("conflicting upload changed the repository")
	}
	// A removed filename cannot be used again with other bytes (the same bytes restore
	// the file: TestReuploadAfterRemovalOrRollback).
	if err := s.Remove(ctx, "main", "", "", name); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Upload(ctx, index.Upload{Repository: "main", Filename: name, Content: bytes.NewReader(other)})
	if !errors.Is(err, index.ErrFilenameReused) {
		t.Errorf("re-upload of a removed file with other bytes: %v, want ErrFilenameReused", err)
	}
}

func TestBadUploadsChangeNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := newServiceAt(t, dir)
	wheels := systemWheels(t)
	pipName, pipData := pick(t, wheels, "pip-")
	upload(t, s, pipName, pipData)
	wname, wdata := pick(t, wheels, "wheel-")
	truncated := wdata[:len(wdata)/2]
	tests := []struct {
		name string
		up   index.Upload
		want error
	}{
		{"sha256 mismatch", index.Upload{Filename: wname, Content: bytes.NewReader(wdata), SHA256: hexSum([]byte("x"))}, errs.ErrInvalid},
		{"not a zip", index.Upload{Filename: "junk-1.0-py3-none-any.whl", Content: strings.NewReader("not a wheel at all")}, errs.ErrInvalid},
		{"truncated", index.Upload{Filename: wname, Content: bytes.NewReader(truncated)}, errs.ErrInvalid},
		{"form name", index.Upload{Filename: wname, Content: bytes.NewReader(wdata), Name: "notwheel"}, errs.ErrInvalid},
		{"form version", index.Upload{Filename: wname, Content: bytes.NewReader(wdata), Version: "99.0"}, errs.ErrInvalid},
		{"filename of another project", index.Upload{Filename: "other-0.38.4-py3-none-any.whl", Content: bytes.NewReader(wdata)}, errs.ErrInvalid},
		{"filename of another version", index.Upload{Filename: "wheel-1.0-py3-none-any.whl", Content: bytes.NewReader(wdata)}, errs.ErrInvalid},
		{"bad extension", index.Upload{Filename: "wheel-0.38.4.exe", Content: bytes.NewReader(wdata)}, errs.ErrInvalid},
		{"path in filename", index.Upload{Filename: "../wheel-0.38.4-py3-none-any.whl", Content: bytes.NewReader(wdata)}, errs.ErrInvalid},
		{"no content", index.Upload{Filename: wname}, errs.ErrInvalid},
		{"existing filename, other bytes", index.Upload{Filename: pipName, Content: bytes.NewReader(wdata)}, errs.ErrConflict},
		{"unknown repository", index.Upload{Repository: "nope", Filename: wname, Content: bytes.NewReader(wdata)}, errs.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := takeSnapshot(t, s)
			if tc.up.Repository == "" {
				tc.up.Repository = "main"
			}
			_, _, err := s.Upload(ctx, tc.up)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if after := takeSnapshot(t, s); !before.equal(after) {
				t.Errorf("failed upload changed the repository:\nbefore %+v\nafter  %+v", before, after)
			}
			if left, _ := os.ReadDir(filepath.Join(dir, "blobs", "_tmp")); len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
	_, _, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: wname, Content: bytes.NewReader(wdata), SHA256: "0000"})
	if err == nil || !strings.Contains(err.Error(), "sha256_digest does not match") {
		t.Errorf("sha mismatch message: %v", err)
	}
}

func TestConcurrentUploadsOfOneFilename(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	name, data := pick(t, systemWheels(t), "wheel-")
	contents := [][]byte{withComment(t, data, "A"), withComment(t, data, "B")}
	const n = 8
	var wg sync.WaitGroup
	results := make([]struct {
		existed bool
		err     error
		sha     string
	}, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			body := contents[i%2]
			f, existed, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: name, Content: bytes.NewReader(body)})
			results[i].existed, results[i].err, results[i].sha = existed, err, hexSum(body)
			_ = f
		}()
	}
	close(start)
	wg.Wait()
	stored, err := s.File(ctx, mainDist(t, s), name)
	if err != nil {
		t.Fatal(err)
	}
	created, conflicts := 0, 0
	for i, r := range results {
		switch {
		case r.err == nil && !r.existed:
			created++
		case r.err == nil && r.existed:
			if r.sha != stored.SHA256 {
				t.Errorf("upload %d of other bytes reported existed", i)
			}
		case errors.Is(r.err, errs.ErrConflict):
			conflicts++
			if r.sha == stored.SHA256 {
				t.Errorf("upload %d of the stored bytes conflicted: %v", i, r.err)
			}
		default:
			t.Errorf("upload %d: %v", i, r.err)
		}
	}
	if created != 1 || conflicts != n/2 {
		t.Errorf("created %d, conflicts %d; want 1 and %d", created, conflicts, n/2)
	}
	if vs, _ := s.Versions(ctx, "main"); len(vs) != 2 {
		t.Errorf("%d versions, want 2", len(vs))
	}
	loser := hexSum(contents[0])
	if loser == stored.SHA256 {
		loser = hexSum(contents[1])
	}
	// A blob is never deleted on a request path: the loser's stays until gc.
	if ok, _ := s.Blobs().Exists(ctx, loser); !ok {
		t.Error("the losing upload's blob was deleted by the request")
	}
	rep, err := s.GC(ctx, index.GCOptions{})
	if err != nil || rep.Removed != 1 || rep.Example[0] != loser {
		t.Errorf("GC = %+v, %v; want the loser %s removed", rep, err, loser)
	}
	if ok, _ := s.Blobs().Exists(ctx, loser); ok {
		t.Error("gc left the losing upload's blob")
	}
	if ok, _ := s.Blobs().Exists(ctx, stored.SHA256); !ok {
		t.Error("gc removed the stored file's blob")
	}
}
