package index_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

// synthSdist builds a minimal sdist name-version.ext (".tar.gz" or ".zip") holding
// name-version/PKG-INFO.
func synthSdist(t *testing.T, name, version, ext string) (string, []byte) {
	t.Helper()
	stem := name + "-" + version
	pkgInfo := "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\nSummary: synthetic sdist\n\n"
	var buf bytes.Buffer
	if ext == ".zip" {
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create(stem + "/PKG-INFO")
		w.Write([]byte(pkgInfo))
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return stem + ".zip", buf.Bytes()
	}
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, m := range []struct{ name, body string }{{stem + "/PKG-INFO", pkgInfo}, {stem + "/setup.py", "pass\n"}} {
		if err := tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(m.body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	gz.Close()
	return stem + ".tar.gz", buf.Bytes()
}

func uploadAs(s *index.Service, filename string, data []byte) (*index.File, bool, error) {
	return s.Upload(context.Background(), index.Upload{Repository: "main", Filename: filename, Content: bytes.NewReader(data)})
}

// TestOneFilePerReleaseAndTags is issue 6's case: after foo_bar-1.2-py3-none-any.whl,
// foo_bar-01.2-… and foo_bar-1.2.0-… with other bytes were accepted, and pip then fetched
// the new one for foo-bar==1.2.
func TestOneFilePerReleaseAndTags(t *testing.T) {
	s := newService(t)
	first, data := synthWheel("foo_bar", "1.2")
	upload(t, s, first, data)
	before := takeSnapshot(t, s)
	for _, v := range []string{"01.2", "1.2.0", "1.2.0.0"} {
		name, other := synthWheel("foo_bar", v)
		_, _, err := uploadAs(s, name, other)
		if !errors.Is(err, index.ErrDuplicateFile) || !errors.Is(err, errs.ErrConflict) || !strings.Contains(err.Error(), first) || !strings.Contains(err.Error(), "File already exists") {
			t.Errorf("upload of %s: %v, want a conflict naming %s", name, err, first)
		}
	}
	if after := takeSnapshot(t, s); !before.equal(after) {
		t.Errorf("refused uploads changed the repository:\n%+v\n%+v", before, after)
	}
	// The identical file under its own name is still a no-op success.
	if _, existed, err := uploadAs(s, first, data); err != nil || !existed {
		t.Errorf("identical re-upload: %v, %v", existed, err)
	}
	// Other tags, other build tags and the other sdist format are other files; equal
	// spellings of them are refused again.
	_, bytes12 := synthWheel("foo_bar", "1.2")
	_, bytes120 := synthWheel("foo_bar", "1.2.0")
	sdist, sdata := synthSdist(t, "foo_bar", "1.2", ".tar.gz")
	sdist0, sdata0 := synthSdist(t, "foo_bar", "1.2.0", ".tar.gz")
	zsdist, zdata := synthSdist(t, "foo_bar", "1.2.0", ".zip")
	steps := []struct {
		filename string
		data     []byte
		dupOf    string // "" when accepted
	}{
		{"foo_bar-1.2-py2.py3-none-any.whl", bytes12, ""},
		{"foo_bar-1.2.0-py3.py2-none-any.whl", bytes120, "foo_bar-1.2-py2.py3-none-any.whl"},
		{"foo_bar-1.2-1-py3-none-any.whl", bytes12, ""},
		{"foo_bar-1.2.0-01-py3-none-any.whl", bytes120, "foo_bar-1.2-1-py3-none-any.whl"},
		{"foo_bar-1.2-1a-py3-none-any.whl", bytes12, ""},
		{"foo_bar-1.2-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", bytes12, ""},
		{"foo_bar-1.2.0-cp312-cp312-manylinux2014_x86_64.manylinux_2_17_x86_64.whl", bytes120, "foo_bar-1.2-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"},
		{sdist, sdata, ""},
		{sdist0, sdata0, sdist},
		{zsdist, zdata, ""},
		{"foo_bar-1.3-py3-none-any.whl", nil, ""},
	}
	for _, st := range steps {
		if st.data == nil {
			st.filename, st.data = synthWheel("foo_bar", "1.3")
		}
		_, _, err := uploadAs(s, st.filename, st.data)
		switch {
		case st.dupOf == "" && err != nil:
			t.Errorf("upload of %s: %v", st.filename, err)
		case st.dupOf != "" && (!errors.Is(err, index.ErrDuplicateFile) || !strings.Contains(err.Error(), st.dupOf)):
			t.Errorf("upload of %s: %v, want a conflict naming %s", st.filename, err, st.dupOf)
		}
	}
	p, err := s.Project(context.Background(), mainDist(t, s), "foo-bar")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 8 {
		var got []string
		for _, f := range p.Files {
			got = append(got, f.Filename)
		}
		t.Errorf("files %v", got)
	}
}

// TestReuploadAfterRemovalOrRollback: the same bytes bring a removed or rolled-back file
// back in a new version; other bytes are refused, saying which of the two happened.
func TestReuploadAfterRemovalOrRollback(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	d := mainDist(t, s)
	name, data := synthWheel("comeback", "1.0")
	other := withComment(t, data, "other bytes")
	upload(t, s, name, data)
	if err := s.Remove(ctx, "main", "", "", name); err != nil {
		t.Fatal(err)
	}
	vs, _ := s.Versions(ctx, "main")
	_, _, err := uploadAs(s, name, other)
	if !errors.Is(err, index.ErrFilenameReused) || !errors.Is(err, errs.ErrConflict) || !strings.Contains(err.Error(), "removed") || strings.Contains(err.Error(), "rolled back") {
		t.Errorf("other bytes after removal: %v", err)
	}
	f, existed, err := uploadAs(s, name, data)
	if err != nil || existed || f.Filename != name {
		t.Fatalf("same bytes after removal: %+v, %v, %v", f, existed, err)
	}
	vs2, _ := s.Versions(ctx, "main")
	if len(vs2) != len(vs)+1 || vs2[len(vs2)-1].Files != 1 || !strings.Contains(vs2[len(vs2)-1].Message, name) {
		t.Errorf("restore made versions %+v after %+v", vs2, vs)
	}
	if got, err := s.File(ctx, d, name); err != nil || got.SHA256 != hexSum(data) || got.MetadataSHA256 == "" {
		t.Errorf("restored file: %+v, %v", got, err)
	}
	// Once back, it is there: the same bytes are a no-op again.
	if _, existed, err := uploadAs(s, name, data); err != nil || !existed {
		t.Errorf("upload after restore: %v, %v", existed, err)
	}

	// Rolled back.
	name2, data2 := synthWheel("comeback", "2.0")
	before := len(vs2)
	upload(t, s, name2, data2)
	if _, err := s.Rollback(ctx, "main", before-1); err != nil {
		t.Fatal(err)
	}
	_, _, err = uploadAs(s, name2, withComment(t, data2, "x"))
	if !errors.Is(err, index.ErrFilenameReused) || !strings.Contains(err.Error(), "rolled back") {
		t.Errorf("other bytes after rollback: %v", err)
	}
	if _, existed, err := uploadAs(s, name2, data2); err != nil || existed {
		t.Errorf("same bytes after rollback: %v, %v", existed, err)
	}
	if _, err := s.File(ctx, d, name2); err != nil {
		t.Errorf("rolled-back file not restored: %v", err)
	}

	// A restore may not make a second file of its release.
	name3, data3 := synthWheel("comeback", "3.0")
	upload(t, s, name3, data3)
	if err := s.Remove(ctx, "main", "", "", name3); err != nil {
		t.Fatal(err)
	}
	name30, data30 := synthWheel("comeback", "3.0.0")
	upload(t, s, name30, data30)
	if _, _, err := uploadAs(s, name3, data3); !errors.Is(err, index.ErrDuplicateFile) || !strings.Contains(err.Error(), name30) {
		t.Errorf("restore beside %s: %v", name30, err)
	}
}

// TestConcurrentReleaseRules: racing uploads of equal spellings of one release leave one
// file, and racing restores of a removed file make one version.
func TestConcurrentReleaseRules(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	spellings := []string{"3.1", "3.1.0", "03.1", "3.1.0.0", "3.01", "3.1.00"}
	errs := make(chan error, len(spellings))
	for _, v := range spellings {
		go func() {
			name, data := synthWheel("racer", v)
			_, _, err := uploadAs(s, name, data)
			errs <- err
		}()
	}
	ok := 0
	for range spellings {
		if err := <-errs; err == nil {
			ok++
		} else if !errors.Is(err, index.ErrDuplicateFile) {
			t.Errorf("racing upload: %v", err)
		}
	}
	p, err := s.Project(ctx, mainDist(t, s), "racer")
	if ok != 1 || err != nil || len(p.Files) != 1 {
		t.Fatalf("%d uploads accepted, project %+v, %v", ok, p, err)
	}
	name := p.Files[0].Filename
	var data []byte
	for _, v := range spellings {
		if n, d := synthWheel("racer", v); n == name {
			data = d
		}
	}
	if err := s.Remove(ctx, "main", "", "", name); err != nil {
		t.Fatal(err)
	}
	vs, _ := s.Versions(ctx, "main")
	restored := make(chan bool, 6)
	for range 6 {
		go func() {
			_, existed, err := uploadAs(s, name, data)
			if err != nil {
				t.Errorf("racing restore: %v", err)
			}
			restored <- err == nil && !existed
		}()
	}
	n := 0
	for range 6 {
		if <-restored {
			n++
		}
	}
	vs2, _ := s.Versions(ctx, "main")
	if n != 1 || len(vs2) != len(vs)+1 {
		t.Errorf("%d restores, %d new versions", n, len(vs2)-len(vs))
	}
}
