package metastoretest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// testBatchReads: the set-based reads of a batch of adds answer as the one-file reads
// they stand for (FileByFilename, Project's status, ProjectFilenames), through a version,
// inside a transaction (its own writes) and at their bound.
func testBatchReads(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	other := newRepo(t, s, "other")
	add(t, s, r.ID, file(r.ID, "foo", "1.0", ".tar.gz"), file(r.ID, "foo", "1.0.1", ".tar.gz"), file(r.ID, "foo", "1.1", ".tar.gz"),
		file(r.ID, "foo", "2.0", ".tar.gz"), file(r.ID, "bar", "1.0", ".tar.gz")) // 1
	add(t, s, other.ID, file(other.ID, "baz", "1.0", ".tar.gz"))
	setAttrs(t, s, r.ID, "bar", metastore.ProjectAttributes{DisplayName: "bar", Status: "archived"}) // 2
	n3 := change(t, s, r.ID, "remove", func(tx metastore.Tx, n int) error {                          // 3
		_, err := tx.RemoveFiles(ctx, r.ID, n, "foo", "2.0", "")
		return err
	})

	// UsedFilenames: rows, held or not; not another repository's.
	used, err := s.UsedFilenames(ctx, r.ID, []string{"foo-2.0.tar.gz", "foo-9.tar.gz", "baz-1.0.tar.gz", "bar-1.0.tar.gz", "foo-2.0.tar.gz"})
	slices.Sort(used)
	used = slices.Compact(used)
	if err != nil || !slices.Equal(used, []string{"bar-1.0.tar.gz", "foo-2.0.tar.gz"}) {
		t.Errorf("UsedFilenames = %v, %v", used, err)
	}
	if got, err := s.UsedFilenames(ctx, r.ID, nil); err != nil || len(got) != 0 {
		t.Errorf("UsedFilenames(nil) = %v, %v", got, err)
	}
	many := make([]string, metastore.MaxBatch+1)
	for i := range many {
		many[i] = fmt.Sprintf("f%d.tar.gz", i)
	}
	if _, err := s.UsedFilenames(ctx, r.ID, many); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("UsedFilenames over MaxBatch: %v, want ErrInvalid", err)
	}
	if got, err := s.UsedFilenames(ctx, r.ID, append(many[:metastore.MaxBatch-1], "foo-1.0.tar.gz")); err != nil || !slices.Equal(got, []string{"foo-1.0.tar.gz"}) {
		t.Errorf("UsedFilenames at MaxBatch = %v, %v", got, err)
	}

	// ProjectStatuses: held projects only, active without a row, per version.
	statuses := func(n int, projects ...string) map[string]string {
		t.Helper()
		sts, err := s.ProjectStatuses(ctx, r.ID, n, projects)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, st := range sts {
			m[st.Project] = st.Status
		}
		return m
	}
	if got := statuses(1, "foo", "bar", "baz", "nope"); len(got) != 2 || got["foo"] != "active" || got["bar"] != "active" {
		t.Errorf("ProjectStatuses(1) = %v", got)
	}
	if got := statuses(n3, "foo", "bar"); len(got) != 2 || got["foo"] != "active" || got["bar"] != "archived" {
		t.Errorf("ProjectStatuses(3) = %v", got)
	}
	if got := statuses(0, "foo"); len(got) != 0 {
		t.Errorf("ProjectStatuses(0) = %v", got)
	}
	if _, err := s.ProjectStatuses(ctx, r.ID, n3, many); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("ProjectStatuses over MaxBatch: %v, want ErrInvalid", err)
	}

	// ReleaseFiles: ProjectFilenames of each release, each file once.
	release := func(n int, qs ...metastore.ReleaseQuery) []string {
		t.Helper()
		fs, err := s.ReleaseFiles(ctx, r.ID, n, qs)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range fs {
			if f.ID == 0 || f.Project == "" || f.Kind != "sdist" || f.SHA256 == "" || f.RepositoryID != r.ID {
				t.Errorf("ReleaseFiles row %+v", f)
			}
			out = append(out, f.Project+" "+f.Filename)
		}
		slices.Sort(out)
		return out
	}
	q := func(p, prefix string) metastore.ReleaseQuery {
		return metastore.ReleaseQuery{Project: p, VersionPrefix: prefix}
	}
	if got := release(1, q("foo", "1"), q("foo", "1.0"), q("bar", "1"), q("baz", "1")); !slices.Equal(got,
		[]string{"bar bar-1.0.tar.gz", "foo foo-1.0.1.tar.gz", "foo foo-1.0.tar.gz", "foo foo-1.1.tar.gz"}) {
		t.Errorf("ReleaseFiles(1) = %v", got)
	}
	if got := release(1, q("foo", "2")); !slices.Equal(got, []string{"foo foo-2.0.tar.gz"}) {
		t.Errorf("ReleaseFiles(1, foo 2) = %v", got)
	}
	if got := release(n3, q("foo", "2"), q("foo", "")); len(got) != 3 {
		t.Errorf("ReleaseFiles(3) = %v, want foo's three files left", got)
	}
	qs := make([]metastore.ReleaseQuery, metastore.MaxBatch+1)
	for i := range qs {
		qs[i] = q("foo", fmt.Sprint(i))
	}
	if _, err := s.ReleaseFiles(ctx, r.ID, n3, qs); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("ReleaseFiles over MaxBatch: %v, want ErrInvalid", err)
	}

	// ReleaseState: the status of a held project and one release's files; "" for a
	// project not held.
	state := func(n int, project, prefix string) (string, []string) {
		t.Helper()
		st, fs, err := s.ReleaseState(ctx, r.ID, n, project, prefix)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range fs {
			if f.ID == 0 || f.Project != project || f.Kind != "sdist" || f.SHA256 == "" || f.RepositoryID != r.ID {
				t.Errorf("ReleaseState row %+v", f)
			}
			out = append(out, f.Filename)
		}
		slices.Sort(out)
		return st, out
	}
	if st, fs := state(1, "foo", "1.0"); st != "active" || !slices.Equal(fs, []string{"foo-1.0.1.tar.gz", "foo-1.0.tar.gz"}) {
		t.Errorf("ReleaseState(1, foo 1.0) = %q %v", st, fs)
	}
	if st, fs := state(n3, "foo", "2"); st != "active" || len(fs) != 0 {
		t.Errorf("ReleaseState(3, foo 2) = %q %v, want active and no file", st, fs)
	}
	if st, fs := state(n3, "bar", "1"); st != "archived" || !slices.Equal(fs, []string{"bar-1.0.tar.gz"}) {
		t.Errorf("ReleaseState(3, bar 1) = %q %v", st, fs)
	}
	if st, fs := state(n3, "baz", ""); st != "" || len(fs) != 0 {
		t.Errorf("ReleaseState of another repository's project = %q %v", st, fs)
	}
	if st, _ := state(0, "foo", ""); st != "" {
		t.Errorf("ReleaseState before any version = %q", st)
	}

	// Inside a transaction, its own writes.
	mustTx(t, s, func(tx metastore.Tx) error {
		n, err := tx.BeginVersion(ctx, r.ID, "more", t0)
		if err != nil {
			return err
		}
		if _, err := tx.AddFile(ctx, file(r.ID, "new", "1.0", ".tar.gz"), n); err != nil {
			return err
		}
		if got, err := tx.UsedFilenames(ctx, r.ID, []string{"new-1.0.tar.gz"}); err != nil || len(got) != 1 {
			t.Errorf("UsedFilenames in the transaction = %v, %v", got, err)
		}
		if sts, err := tx.ProjectStatuses(ctx, r.ID, n, []string{"new"}); err != nil || len(sts) != 1 || sts[0].Status != "active" {
			t.Errorf("ProjectStatuses in the transaction = %v, %v", sts, err)
		}
		if fs, err := tx.ReleaseFiles(ctx, r.ID, n, []metastore.ReleaseQuery{q("new", "1")}); err != nil || len(fs) != 1 {
			t.Errorf("ReleaseFiles in the transaction = %v, %v", fs, err)
		}
		return tx.FinishVersion(ctx, r.ID, n, t0)
	})
}

// testAddsOfOneProject: the display name of a project that several adds of one version
// name is the last add's, its status stays through them, and a status set between two of
// them stays too; the versions before keep theirs.
func testAddsOfOneProject(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	add(t, s, r.ID, named(file(r.ID, "foo", "1.0", ".tar.gz"), "Foo"))                                                      // 1
	setAttrs(t, s, r.ID, "foo", metastore.ProjectAttributes{DisplayName: "Foo", Status: "deprecated", StatusReason: "old"}) // 2
	n3 := change(t, s, r.ID, "adds", func(tx metastore.Tx, n int) error {
		for i, name := range []string{"FOO", "Foo", "FOO"} {
			if _, err := tx.AddFile(ctx, named(file(r.ID, "foo", fmt.Sprintf("2.%d", i), ".tar.gz"), name), n); err != nil {
				return err
			}
		}
		return nil
	})
	if got, _, _ := attrs(t, s, r.ID, n3, "foo"); got != (metastore.ProjectAttributes{DisplayName: "FOO", Status: "deprecated", StatusReason: "old"}) {
		t.Errorf("after three adds: %+v", got)
	}
	n4 := change(t, s, r.ID, "adds and a status", func(tx metastore.Tx, n int) error {
		if _, err := tx.AddFile(ctx, named(file(r.ID, "foo", "3.0", ".tar.gz"), "Foo"), n); err != nil {
			return err
		}
		if _, err := tx.SetProjectAttributes(ctx, r.ID, n, "foo", metastore.ProjectAttributes{DisplayName: "F", Status: "archived"}); err != nil {
			return err
		}
		_, err := tx.AddFile(ctx, named(file(r.ID, "foo", "3.1", ".tar.gz"), "Foo"), n)
		return err
	})
	if got, _, _ := attrs(t, s, r.ID, n4, "foo"); got != (metastore.ProjectAttributes{DisplayName: "Foo", Status: "archived"}) {
		t.Errorf("after an add, a status and an add: %+v", got)
	}
	if got, _, _ := attrs(t, s, r.ID, n3, "foo"); got.DisplayName != "FOO" || got.Status != "deprecated" {
		t.Errorf("version %d changed: %+v", n3, got)
	}
}

// testRepositoryState: one read answers Repository, HasStaged and the blocklist's size;
// RepositoryLatest answers Repository's ID and Latest.
func testRepositoryState(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	other := newRepo(t, s, "other")
	add(t, s, r.ID, file(r.ID, "foo", "1.0", ".tar.gz"))
	st, err := s.RepositoryState(ctx, "main")
	if err != nil || st.ID != r.ID || st.Name != "main" || st.Description != "desc main" || st.Latest != 1 || !st.CreatedAt.Equal(t0) ||
		st.Staged || st.BlockRules != 0 {
		t.Fatalf("RepositoryState = %+v, %v", st, err)
	}
	mustTx(t, s, func(tx metastore.Tx) error {
		for _, rule := range []string{"a", "b"} {
			if err := tx.AddBlockRule(ctx, &metastore.BlockRule{RepositoryID: r.ID, Rule: rule, Project: rule, CreatedAt: t0}); err != nil {
				return err
			}
		}
		_, err := tx.AddFile(ctx, file(other.ID, "bar", "1.0", ".tar.gz"), 1) // staged: above its latest (0)
		return err
	})
	if st, err := s.RepositoryState(ctx, "main"); err != nil || st.Staged || st.BlockRules != 2 {
		t.Errorf("RepositoryState(main) = %+v, %v; want 2 rules, nothing staged", st, err)
	}
	mustTx(t, s, func(tx metastore.Tx) error {
		st, err := tx.RepositoryState(ctx, "other")
		if err != nil || !st.Staged || st.BlockRules != 0 {
			t.Errorf("RepositoryState(other) in the transaction = %+v, %v; want staged rows", st, err)
		}
		return err
	})
	if _, err := s.RepositoryState(ctx, "nope"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("RepositoryState(nope): %v, want ErrNotFound", err)
	}
	// RepositoryLatest: the id and the latest version, alone.
	if id, latest, err := s.RepositoryLatest(ctx, "main"); err != nil || id != r.ID || latest != 1 {
		t.Errorf("RepositoryLatest(main) = %d %d, %v", id, latest, err)
	}
	if id, latest, err := s.RepositoryLatest(ctx, "other"); err != nil || id != other.ID || latest != 0 {
		t.Errorf("RepositoryLatest(other) = %d %d, %v", id, latest, err)
	}
	if _, _, err := s.RepositoryLatest(ctx, "nope"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("RepositoryLatest(nope): %v, want ErrNotFound", err)
	}
}
