package index_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

func fileNames(t *testing.T, s *index.Service, d *index.Distribution, project string) []string {
	t.Helper()
	p, err := s.Project(context.Background(), d, project)
	if errors.Is(err, errs.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range p.Files {
		n := f.Filename
		if f.Yanked {
			n += " (yanked: " + f.YankReason + ")"
		}
		out = append(out, n)
	}
	return out
}

func TestYankRemoveRollback(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	dists := built(t)
	for _, n := range []string{"demo_pkg-1.9-py3-none-any.whl", "demo_pkg-1.10-py3-none-any.whl", "demo_pkg-1.10.tar.gz"} {
		_, data := pick(t, dists, n)
		upload(t, s, n, data)
	}
	d := mainDist(t, s)
	// version 3 holds the three files.
	if err := s.Yank(ctx, "main", "Demo.Pkg", "1.10.0", "broken build"); err != nil {
		t.Fatal(err)
	}
	want4 := []string{"demo_pkg-1.9-py3-none-any.whl", "demo_pkg-1.10-py3-none-any.whl (yanked: broken build)", "demo_pkg-1.10.tar.gz (yanked: broken build)"}
	if got := fileNames(t, s, d, "demo-pkg"); !slices.Equal(got, want4) {
		t.Errorf("after yank %v", got)
	}
	if err := s.Unyank(ctx, "main", "demo-pkg", "1.10"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "main", "", "", "demo_pkg-1.10.tar.gz"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "main", "demo-pkg", "1.9", ""); err != nil {
		t.Fatal(err)
	}
	if got := fileNames(t, s, d, "demo-pkg"); !slices.Equal(got, []string{"demo_pkg-1.10-py3-none-any.whl"}) {
		t.Errorf("after removals %v", got)
	}
	vs, _ := s.Versions(ctx, "main")
	var msgs []string
	for _, v := range vs {
		msgs = append(msgs, v.Message)
	}
	wantMsgs := []string{"create", "upload demo_pkg-1.9-py3-none-any.whl", "upload demo_pkg-1.10-py3-none-any.whl", "upload demo_pkg-1.10.tar.gz",
		"yank demo-pkg 1.10.0", "unyank demo-pkg 1.10", "remove demo_pkg-1.10.tar.gz", "remove demo-pkg 1.9"}
	if !slices.Equal(msgs, wantMsgs) {
		t.Errorf("version messages %q", msgs)
	}
	// Old versions stay readable through a pinned distribution.
	pin := 4
	pinned, err := s.CreateDistribution(ctx, index.Distribution{BasePath: "pinned", Repository: "main", Pinned: &pin})
	if err != nil {
		t.Fatal(err)
	}
	if got := fileNames(t, s, pinned, "demo-pkg"); !slices.Equal(got, want4) {
		t.Errorf("pinned version 4: %v", got)
	}
	// Nothing matches: ErrNotFound and no new version.
	for name, fn := range map[string]func() error{
		"yank":   func() error { return s.Yank(ctx, "main", "demo-pkg", "7.0", "") },
		"unyank": func() error { return s.Unyank(ctx, "main", "nope", "1.0") },
		"remove": func() error { return s.Remove(ctx, "main", "", "", "demo_pkg-1.10.tar.gz") },
		"repo":   func() error { return s.Yank(ctx, "nope", "demo-pkg", "1.10", "") },
	} {
		if err := fn(); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	if err := s.Yank(ctx, "main", "demo-pkg", "not a version", ""); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("bad version: %v", err)
	}
	if err := s.Remove(ctx, "main", "demo-pkg", "", ""); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("remove without version: %v", err)
	}
	if vs2, _ := s.Versions(ctx, "main"); len(vs2) != len(vs) {
		t.Errorf("failed changes made versions: %d -> %d", len(vs), len(vs2))
	}
	// Rollback to version 3 restores all three files, unyanked.
	rv, err := s.Rollback(ctx, "main", 3)
	if err != nil || rv.Number != 8 || rv.Files != 3 || rv.Message != "rollback to 3" {
		t.Fatalf("Rollback = %+v, %v", rv, err)
	}
	if got, want := fileNames(t, s, d, "demo-pkg"), fileNames(t, s, pinnedAt(t, s, 3), "demo-pkg"); !slices.Equal(got, want) || len(got) != 3 {
		t.Errorf("after rollback %v, version 3 %v", got, want)
	}
	if _, err := s.Rollback(ctx, "main", 99); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("rollback to a missing version: %v", err)
	}
	// Serials only grow.
	p, _ := s.Project(ctx, d, "demo-pkg")
	pp, _ := s.Project(ctx, pinned, "demo-pkg")
	if p.Serial <= pp.Serial {
		t.Errorf("serial %d not above the pinned %d", p.Serial, pp.Serial)
	}
}

func pinnedAt(t *testing.T, s *index.Service, n int) *index.Distribution {
	return &index.Distribution{BasePath: "x", Repository: "main", Pinned: &n}
}
