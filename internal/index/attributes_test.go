package index_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

// namedWheel builds a minimal wheel whose metadata writes the project name as display
// (the file name uses the same spelling, as some build backends do).
func namedWheel(t *testing.T, display, version string) (string, []byte) {
	t.Helper()
	dist := strings.ReplaceAll(display, "-", "_")
	di := dist + "-" + version + ".dist-info/"
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct{ name, body string }{
		{"attrpkg/__init__.py", "X = 1\n"},
		{di + "METADATA", "Metadata-Version: 2.1\nName: " + display + "\nVersion: " + version + "\nSummary: attributes\n\n"},
		{di + "WHEEL", "Wheel-Version: 1.0\nGenerator: pydepot-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		{di + "RECORD", ""},
	} {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, f.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return dist + "-" + version + "-py3-none-any.whl", buf.Bytes()
}

func uploadTo(t *testing.T, s *index.Service, repo, display, version string) {
	t.Helper()
	fn, data := namedWheel(t, display, version)
	if _, _, err := s.Upload(context.Background(), index.Upload{Repository: repo, Filename: fn, Content: bytes.NewReader(data)}); err != nil {
		t.Fatalf("uploading %s to %s: %v", fn, repo, err)
	}
}

// readAll is everything the read functions serve for every version of repo: the project
// list and each project with its name, status and files.
func readAll(t *testing.T, s *index.Service, repo string) []string {
	t.Helper()
	ctx := context.Background()
	r, err := s.Repository(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for n := 0; n <= r.Latest; n++ {
		d := &index.Distribution{BasePath: repo, Repository: repo, Pinned: &n}
		ps, serial, err := s.Projects(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		v := fmt.Sprintf("version %d serial %d projects %+v", n, serial, ps)
		for _, p := range ps {
			pr, err := s.Project(ctx, d, p.Name)
			if err != nil {
				t.Fatal(err)
			}
			v += fmt.Sprintf("\n  %+v", *pr)
		}
		out = append(out, v)
	}
	return out
}

// TestUploadToOtherRepositoryLeavesVersions: uploads to repository b of a project that
// main holds, under another spelling, and a status set in b, leave every version of main
// reading exactly as before (names, status, files).
func TestUploadToOtherRepositoryLeavesVersions(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	uploadTo(t, s, "main", "Attr_Demo", "1.0")
	if _, err := s.YankRelease(ctx, "main", "attr-demo", "1.0", strPtr("old")); err != nil {
		t.Fatal(err)
	}
	uploadTo(t, s, "main", "Attr_Demo", "2.0")
	if _, err := s.SetProjectStatus(ctx, "main", "attr-demo", index.StatusDeprecated, "use other"); err != nil {
		t.Fatal(err)
	}
	uploadTo(t, s, "main", "other", "1.0")
	before := readAll(t, s, "main")
	if !strings.Contains(before[len(before)-1], "DisplayName:Attr_Demo") || !strings.Contains(before[len(before)-1], "Status:deprecated") {
		t.Fatalf("main reads:\n%s", before[len(before)-1])
	}

	if _, err := s.CreateRepository(ctx, "b", ""); err != nil {
		t.Fatal(err)
	}
	uploadTo(t, s, "b", "ATTR_DEMO", "3.0")
	uploadTo(t, s, "b", "Other", "2.0")
	if _, err := s.SetProjectStatus(ctx, "b", "Attr-Demo", index.StatusQuarantined, "malware"); err != nil {
		t.Fatal(err)
	}
	after := readAll(t, s, "main")
	if len(after) != len(before) {
		t.Fatalf("main has %d versions, had %d", len(after), len(before))
	}
	for i := range before {
		if after[i] != before[i] {
			t.Errorf("main version %d changed with uploads to b:\n%s\nwas:\n%s", i, after[i], before[i])
		}
	}
	b := readAll(t, s, "b")
	if last := b[len(b)-1]; !strings.Contains(last, "DisplayName:ATTR_DEMO") || !strings.Contains(last, "Status:quarantined StatusReason:malware") {
		t.Errorf("b reads:\n%s", last)
	}
}

func strPtr(s string) *string { return &s }

// TestSetProjectStatus: a status change makes one version that only it shows, with a new
// serial; the same status again makes none; bad input changes nothing.
func TestSetProjectStatus(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	uploadTo(t, s, "main", "Attr_Demo", "1.0")
	d := mainDist(t, s)
	p1, err := s.Project(ctx, d, "attr-demo")
	if err != nil || p1.Status != index.StatusActive {
		t.Fatalf("new project: %+v, %v", p1, err)
	}
	res, err := s.SetProjectStatus(ctx, "main", "ATTR.demo", index.StatusArchived, "finished")
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || res.RepositoryVersion != 2 || res.Project != "attr-demo" || res.Status != index.StatusArchived {
		t.Errorf("result %+v", res)
	}
	p2, _ := s.Project(ctx, d, "attr-demo")
	if p2.Status != index.StatusArchived || p2.StatusReason != "finished" || p2.Serial <= p1.Serial || p2.DisplayName != "Attr_Demo" {
		t.Errorf("after archiving: %+v (was serial %d)", p2, p1.Serial)
	}
	if len(p2.Files) != 1 {
		t.Errorf("archiving changed the files: %+v", p2.Files)
	}
	one := 1
	if old, _ := s.Project(ctx, &index.Distribution{Repository: "main", Pinned: &one}, "attr-demo"); old.Status != index.StatusActive {
		t.Errorf("version 1 changed: %+v", old)
	}
	again, err := s.SetProjectStatus(ctx, "main", "attr-demo", index.StatusArchived, "finished")
	if err != nil || again.Changed || again.RepositoryVersion != 2 {
		t.Errorf("same status again: %+v, %v", again, err)
	}
	for _, tc := range []struct {
		project, status, reason string
		want                    error
	}{
		{"attr-demo", "retired", "", errs.ErrInvalid},
		{"attr-demo", "", "", errs.ErrInvalid},
		{"attr-demo", "Archived", "", errs.ErrInvalid},
		{"attr-demo", index.StatusActive, strings.Repeat("x", index.MaxStatusReason+1), errs.ErrInvalid},
		{"attr-demo", index.StatusActive, "two\nlines", errs.ErrInvalid},
		{"nope", index.StatusActive, "", errs.ErrNotFound},
	} {
		if _, err := s.SetProjectStatus(ctx, "main", tc.project, tc.status, tc.reason); !errors.Is(err, tc.want) {
			t.Errorf("SetProjectStatus(%s, %q, %.20q) = %v, want %v", tc.project, tc.status, tc.reason, err, tc.want)
		}
	}
	if _, err := s.SetProjectStatus(ctx, "nope", "attr-demo", index.StatusActive, ""); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("unknown repository: %v", err)
	}
	if r, _ := s.Repository(ctx, "main"); r.Latest != 2 {
		t.Errorf("refused changes made versions: latest %d", r.Latest)
	}
	// An upload keeps the status and brings its name.
	if _, err := s.SetProjectStatus(ctx, "main", "attr-demo", index.StatusDeprecated, "see other"); err != nil {
		t.Fatal(err)
	}
	uploadTo(t, s, "main", "attr.demo", "2.0")
	if p, _ := s.Project(ctx, d, "attr-demo"); p.Status != index.StatusDeprecated || p.StatusReason != "see other" || p.DisplayName != "attr.demo" {
		t.Errorf("after an upload: %+v", p)
	}
}

// TestStatusRefusesUploads: PEP 792 says an archived or quarantined project takes no new
// files; deprecated and active do. The refusal changes nothing, in this repository only.
func TestStatusRefusesUploads(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	uploadTo(t, s, "main", "Attr_Demo", "1.0")
	if _, err := s.CreateRepository(ctx, "b", ""); err != nil {
		t.Fatal(err)
	}
	version := 1
	for _, tc := range []struct {
		status  string
		refused bool
	}{
		{index.StatusArchived, true},
		{index.StatusQuarantined, true},
		{index.StatusDeprecated, false},
		{index.StatusActive, false},
	} {
		if _, err := s.SetProjectStatus(ctx, "main", "attr-demo", tc.status, ""); err != nil {
			t.Fatal(err)
		}
		before, _ := s.Repository(ctx, "main")
		version++
		fn, data := namedWheel(t, "Attr_Demo", fmt.Sprintf("2.%d", version))
		_, _, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: fn, Content: bytes.NewReader(data)})
		if tc.refused != errors.Is(err, index.ErrStatusRefusesUpload) || tc.refused != errors.Is(err, errs.ErrInvalid) {
			t.Errorf("upload to a project %s: %v (refused: want %v)", tc.status, err, tc.refused)
		}
		if after, _ := s.Repository(ctx, "main"); tc.refused && after.Latest != before.Latest {
			t.Errorf("a refused upload made version %d", after.Latest)
		}
		if tc.refused && !strings.Contains(err.Error(), tc.status) {
			t.Errorf("refusal does not name the status: %v", err)
		}
		// Another repository's status is its own.
		if tc.refused {
			fnb, datab := namedWheel(t, "Attr_Demo", fmt.Sprintf("3.%d", version))
			if _, _, err := s.Upload(ctx, index.Upload{Repository: "b", Filename: fnb, Content: bytes.NewReader(datab)}); err != nil {
				t.Errorf("upload to b while main has it %s: %v", tc.status, err)
			}
		}
	}
	// A removed file restored by uploading its bytes again is an upload too.
	fn, data := namedWheel(t, "Attr_Demo", "1.0")
	if err := s.Remove(ctx, "main", "", "", fn); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetProjectStatus(ctx, "main", "attr-demo", index.StatusArchived, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: fn, Content: bytes.NewReader(data)}); !errors.Is(err, index.ErrStatusRefusesUpload) {
		t.Errorf("restoring a file of an archived project: %v", err)
	}
}
