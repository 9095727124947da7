package index_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

func ptrTo[T any](v T) *T { return &v }

// TestNoOpChangesMakeNoVersions: re-yanking with the same reason, yanking without a
// reason what is yanked, unyanking what is not yanked and removing nothing leave the
// repository as it is; a yank without a reason keeps the reason.
func TestNoOpChangesMakeNoVersions(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	d := mainDist(t, s)
	whl, wdata := synthWheel("demo", "1.0")
	sd, sdata := synthSdist(t, "demo", "1.0", ".tar.gz")
	upload(t, s, whl, wdata)
	upload(t, s, sd, sdata)
	latest := func() int {
		r, err := s.Repository(ctx, "main")
		if err != nil {
			t.Fatal(err)
		}
		return r.Latest
	}
	state := func() map[string]string {
		p, err := s.Project(ctx, d, "demo")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, f := range p.Files {
			out[f.Filename] = "-"
			if f.Yanked {
				out[f.Filename] = "yanked:" + f.YankReason
			}
		}
		return out
	}
	steps := []struct {
		name    string
		do      func() (*index.YankResult, error)
		changed int
		reason  string // the release's reason after the step
		yanked  bool
	}{
		{"yank", func() (*index.YankResult, error) { return s.YankRelease(ctx, "main", "demo", "1.0", ptrTo("bad")) }, 2, "bad", true},
		{"yank again, same reason", func() (*index.YankResult, error) { return s.YankRelease(ctx, "main", "Demo", "1.0.0", ptrTo("bad")) }, 0, "bad", true},
		{"yank without a reason keeps it", func() (*index.YankResult, error) { return s.YankRelease(ctx, "main", "demo", "1.0", nil) }, 0, "bad", true},
		{"new reason", func() (*index.YankResult, error) { return s.YankRelease(ctx, "main", "demo", "1.0", ptrTo("worse")) }, 2, "worse", true},
		{"empty reason is a reason", func() (*index.YankResult, error) { return s.YankRelease(ctx, "main", "demo", "1.0", ptrTo("")) }, 2, "", true},
		{"no reason keeps the empty one", func() (*index.YankResult, error) { return s.YankRelease(ctx, "main", "demo", "1.0", nil) }, 0, "", true},
		{"unyank", func() (*index.YankResult, error) { return s.UnyankRelease(ctx, "main", "demo", "1.0") }, 2, "", false},
		{"unyank again", func() (*index.YankResult, error) { return s.UnyankRelease(ctx, "main", "demo", "1.0") }, 0, "", false},
	}
	for _, st := range steps {
		before := latest()
		res, err := st.do()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		after := latest()
		if res.Changed != st.changed || res.Files != 2 || res.Reason != st.reason || res.Yanked != st.yanked {
			t.Errorf("%s: %+v, want changed %d, reason %q", st.name, res, st.changed, st.reason)
		}
		if wantVersions := before + min(st.changed, 1); after != wantVersions || res.RepositoryVersion != after {
			t.Errorf("%s: latest version %d -> %d (result says %d), want %d", st.name, before, after, res.RepositoryVersion, wantVersions)
		}
		for fn, got := range state() {
			want := "-"
			if st.yanked {
				want = "yanked:" + st.reason
			}
			if got != want {
				t.Errorf("%s: %s is %s, want %s", st.name, fn, got, want)
			}
		}
	}
	// A file added to a yanked release is not yanked; yanking without a reason gives
	// it the release's reason and leaves the others alone.
	if _, err := s.YankRelease(ctx, "main", "demo", "1.0", ptrTo("kept")); err != nil {
		t.Fatal(err)
	}
	upload(t, s, "demo-1.0-py2.py3-none-any.whl", wdata)
	res, err := s.YankRelease(ctx, "main", "demo", "1.0", nil)
	if err != nil || res.Changed != 1 || res.Files != 3 || res.Reason != "kept" {
		t.Errorf("yank of a partly yanked release: %+v, %v", res, err)
	}
	for fn, got := range state() {
		if got != "yanked:kept" {
			t.Errorf("%s: %s", fn, got)
		}
	}
	// Nothing to change: not found, and no version.
	before := latest()
	if _, err := s.UnyankRelease(ctx, "main", "demo", "9.9"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("unyank of a missing release: %v", err)
	}
	if err := s.Remove(ctx, "main", "", "", "demo-9.9.tar.gz"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("remove of a missing file: %v", err)
	}
	if err := s.Remove(ctx, "main", "demo", "9.9", ""); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("remove of a missing release: %v", err)
	}
	if latest() != before {
		t.Errorf("failed changes made versions")
	}
	// A rollback to the latest version is a no-op too.
	v, err := s.Rollback(ctx, "main", before)
	if err != nil || v.Number != before || latest() != before {
		t.Errorf("rollback to the latest version: %+v, %v; latest %d -> %d", v, err, before, latest())
	}
}

// TestRepeatedYankMakesOneVersion uses only Yank and Unyank (the API that was there
// before YankRelease): repeating either makes no second version.
func TestRepeatedYankMakesOneVersion(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	whl, wdata := synthWheel("demo", "1.0")
	upload(t, s, whl, wdata)
	count := func() int {
		vs, err := s.Versions(ctx, "main")
		if err != nil {
			t.Fatal(err)
		}
		return len(vs)
	}
	start := count()
	for range 2 {
		if err := s.Yank(ctx, "main", "demo", "1.0", "bad"); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(); got != start+1 {
		t.Errorf("two identical yanks made %d versions", got-start)
	}
	for range 2 {
		if err := s.Unyank(ctx, "main", "demo", "1.0"); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(); got != start+2 {
		t.Errorf("two unyanks made %d versions", got-start-1)
	}
}
