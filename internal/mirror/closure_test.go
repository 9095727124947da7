package mirror_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

// closureIndex is an index where app needs lib (>=2) and, on Windows only, winlib; with
// its extra "fast", speedups; old Pythons only, backport; lib needs base. other is
// needed by nothing.
func closureIndex(t *testing.T, opts indextest.Options) *indextest.Server {
	paths := writeAll(t,
		dist{name: "app", version: "1.0", extras: []string{"fast"}, requires: []string{
			"lib>=2", `winlib; sys_platform == "win32"`, `speedups; extra == "fast"`, `backport; python_version < "3.8"`}},
		dist{name: "lib", version: "1.0"},
		dist{name: "lib", version: "2.0", requires: []string{"base"}},
		dist{name: "lib", version: "2.1", tag: "sdist", requires: []string{"base"}},
		dist{name: "base", version: "0.1"},
		dist{name: "winlib", version: "1.0"},
		dist{name: "speedups", version: "1.0"},
		dist{name: "backport", version: "1.0"},
		dist{name: "other", version: "1.0"},
	)
	return indextest.New(t, paths, opts)
}

func TestSyncWithDependencies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    indextest.Options
		remote  mirror.Remote
		want    []string
		wantNot []string
	}{
		{"linux, no extra", indextest.Options{}, mirror.Remote{Includes: []string{"app"}, Platforms: []string{"manylinux_2_17_x86_64"}, Pythons: []string{"3.12"}},
			[]string{"app", "lib", "base"}, []string{"winlib", "speedups", "backport", "other"}},
		{"windows and the extra, from the files (no PEP 658)", indextest.Options{NoMetadata: true, HTML: true},
			mirror.Remote{Includes: []string{"app[fast]"}, Platforms: []string{"win_amd64", "manylinux_2_17_x86_64"}, Pythons: []string{"3.12"}},
			[]string{"app", "lib", "base", "winlib", "speedups"}, []string{"backport", "other"}},
		{"any platform and python", indextest.Options{}, mirror.Remote{Includes: []string{"app"}},
			[]string{"app", "lib", "base", "winlib"}, []string{"speedups", "backport", "other"}},
		{"excluded dependency", indextest.Options{}, mirror.Remote{Includes: []string{"app"}, Excludes: []string{"base"}},
			[]string{"app", "lib"}, []string{"base"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := closureIndex(t, tc.opts)
			s := newSink(t, mirror.Options{})
			r := tc.remote
			r.Name, r.URL, r.WithDependencies = "up", up.SimpleURL, true
			s.remote(t, r)
			s.sync(t, mirror.SyncRequest{Remote: "up"})
			for _, p := range tc.want {
				if len(s.files(t, p)) == 0 {
					t.Errorf("%s is in the closure but was not synced", p)
				}
			}
			for _, p := range tc.wantNot {
				if len(s.files(t, p)) != 0 {
					t.Errorf("%s is outside the closure but was synced", p)
				}
			}
			if fs := s.files(t, "lib"); len(fs) != 2 || fs["lib-1.0-py3-none-any.whl"].Filename != "" {
				t.Errorf("lib: want the releases lib>=2 selects, got %v", keys(fs))
			}
		})
	}
}

func TestSyncClosureCap(t *testing.T) {
	up := closureIndex(t, indextest.Options{})
	s := newSink(t, mirror.Options{MaxClosure: 2})
	s.remote(t, mirror.Remote{Name: "up", URL: up.SimpleURL, Includes: []string{"app"}, WithDependencies: true})
	_, err := s.m.Sync(context.Background(), mirror.SyncRequest{Repository: "main", Remote: "up"}, nil)
	if !errors.Is(err, mirror.ErrClosureTooLarge) {
		t.Fatalf("sync: %v, want ErrClosureTooLarge", err)
	}
	if s.latest(t) != 0 {
		t.Error("a failed closure made a version")
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestSyncClosureResync: the pages the closure reads serve the sync too (one read per
// project), and a re-sync of an unchanged upstream reads each page once and no metadata
// or file: the dependencies of files already held are read from the repository.
func TestSyncClosureResync(t *testing.T) {
	up := closureIndex(t, indextest.Options{})
	s := newSink(t, mirror.Options{})
	s.remote(t, mirror.Remote{Name: "up", URL: up.SimpleURL, Includes: []string{"app"}, WithDependencies: true,
		Platforms: []string{"manylinux_2_17_x86_64"}, Pythons: []string{"3.12"}})
	first := s.sync(t, mirror.SyncRequest{Remote: "up"})
	n1 := up.Requests.Load()
	// app, lib, base: 3 pages; app 1.0, lib 2.0, lib 2.1, base 0.1: 4 metadata files and 4 files.
	if first.Added != 4 || n1 != 3+4+4 {
		t.Errorf("first sync: %d requests, %+v", n1, first)
	}
	second := s.sync(t, mirror.SyncRequest{Remote: "up"})
	if n2 := up.Requests.Load() - n1; n2 != 3 || second.Version != 0 || second.NotModified != 3 {
		t.Errorf("re-sync: %d requests (want 3 pages), %+v", n2, second)
	}
}
