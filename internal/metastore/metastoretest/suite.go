// Package metastoretest is the test suite every metastore.Store implementation must pass.
// The SQLite store runs it on every go test; PostgreSQL will run it when configured.
package metastoretest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// Factory returns a new, empty store; the suite closes it.
type Factory func(t *testing.T) metastore.Store

// Run runs the whole suite.
func Run(t *testing.T, newStore Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s metastore.Store)
	}{
		{"Repositories", testRepositories},
		{"VersionsAreImmutable", testVersions},
		{"FilenameUnique", testFilenameUnique},
		{"YankKeepsOldVersions", testYank},
		{"Remove", testRemove},
		{"Restore", testRestore},
		{"RestoreFile", testRestoreFile},
		{"Serials", testSerials},
		{"RollbackOnError", testRollbackOnError},
		{"Distributions", testDistributions},
		{"Tokens", testTokens},
		{"ImportProviders", testImports},
		{"BlobReferenced", testBlobReferenced},
		{"ConcurrentWriters", testConcurrentWriters},
		{"IsolationBetweenRepositories", testIsolation},
		{"ContextCanceled", testContextCanceled},
		{"AttributesPerRepository", testAttributesPerRepository},
		{"AttributesVersioned", testAttributesVersioned},
		{"AttributesRollback", testAttributesRollback},
		{"BlobRows", testBlobRows},
		{"Remotes", testRemotes},
		{"Reclaim", testReclaim},
		{"Delta", testDelta},
		{"DistributionSources", testDistributionSources},
		{"ProjectKnown", testProjectKnown},
		{"BlockRules", testBlockRules},
		{"FilePresence", testFilePresence},
		{"Checks", testChecks},
		{"Vulns", testVulns},
		{"BatchReads", testBatchReads},
		{"AddsOfOneProject", testAddsOfOneProject},
		{"RepositoryState", testRepositoryState},
		{"AddFiles", testAddFiles},
		{"AddFilesFreshIDs", testAddFilesFreshIDs},
		{"ParsedMetadataBatch", testParsedMetadataBatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)

func mustTx(t *testing.T, s metastore.Store, fn func(tx metastore.Tx) error) {
	t.Helper()
	if err := s.InTx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func newRepo(t *testing.T, s metastore.Store, name string) *metastore.Repository {
	t.Helper()
	var r *metastore.Repository
	mustTx(t, s, func(tx metastore.Tx) (err error) {
		r, err = tx.CreateRepository(context.Background(), name, "desc "+name, t0)
		return err
	})
	return r
}

// file returns a file row of project p, version v.
func file(repoID int64, p, v, ext string) *metastore.File {
	fn := fmt.Sprintf("%s-%s%s", p, v, ext)
	return &metastore.File{
		RepositoryID: repoID, Filename: fn, Project: p, ProjectName: p, Version: v, Kind: "sdist",
		SHA256: fmt.Sprintf("%064x", len(fn)*7919+int(fn[0])), Size: 10, UploadTime: t0,
		RequiresPython: ">=3.8", Summary: "s", MetadataSHA256: fmt.Sprintf("%064x", 1),
	}
}

// change makes one version of repo with fn's changes.
func change(t *testing.T, s metastore.Store, repoID int64, msg string, fn func(tx metastore.Tx, n int) error) int {
	t.Helper()
	var n int
	mustTx(t, s, func(tx metastore.Tx) (err error) {
		ctx := context.Background()
		if n, err = tx.BeginVersion(ctx, repoID, msg, t0); err != nil {
			return err
		}
		if err := fn(tx, n); err != nil {
			return err
		}
		return tx.FinishVersion(ctx, repoID, n, t0)
	})
	return n
}

func add(t *testing.T, s metastore.Store, repoID int64, fs ...*metastore.File) int {
	t.Helper()
	return change(t, s, repoID, "add", func(tx metastore.Tx, n int) error {
		for _, f := range fs {
			if _, err := tx.AddFile(context.Background(), f, n); err != nil {
				return err
			}
		}
		return nil
	})
}

func filenames(t *testing.T, s metastore.Store, repoID int64, n int, project string) []string {
	t.Helper()
	fs, err := s.ProjectFiles(context.Background(), repoID, n, project)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range fs {
		out = append(out, f.Filename)
	}
	slices.Sort(out)
	return out
}

func testRepositories(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	newRepo(t, s, "alpha")
	if r.Latest != 0 || r.Name != "main" {
		t.Errorf("new repository %+v", r)
	}
	err := s.InTx(ctx, func(tx metastore.Tx) error {
		_, err := tx.CreateRepository(ctx, "main", "", t0)
		return err
	})
	if !errors.Is(err, errs.ErrConflict) {
		t.Errorf("duplicate repository: %v, want ErrConflict", err)
	}
	got, err := s.Repository(ctx, "main")
	if err != nil || got.ID != r.ID || got.Description != "desc main" || !got.CreatedAt.Equal(t0) {
		t.Errorf("Repository = %+v, %v", got, err)
	}
	if _, err := s.Repository(ctx, "nope"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("missing repository: %v", err)
	}
	all, err := s.Repositories(ctx)
	if err != nil || len(all) != 2 || all[0].Name != "alpha" {
		t.Errorf("Repositories = %+v, %v", all, err)
	}
	vs, err := s.Versions(ctx, r.ID)
	if err != nil || len(vs) != 1 || vs[0].Number != 0 || vs[0].Files != 0 {
		t.Errorf("Versions = %+v, %v", vs, err)
	}
}

func testVersions(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	v1 := add(t, s, r.ID, file(r.ID, "foo", "1.0", ".tar.gz"))
	v2 := add(t, s, r.ID, file(r.ID, "foo", "2.0", ".tar.gz"), file(r.ID, "bar", "1.0", ".tar.gz"))
	if v1 != 1 || v2 != 2 {
		t.Fatalf("versions %d %d", v1, v2)
	}
	tests := []struct {
		n     int
		foo   []string
		files int
	}{
		{0, nil, 0},
		{1, []string{"foo-1.0.tar.gz"}, 1},
		{2, []string{"foo-1.0.tar.gz", "foo-2.0.tar.gz"}, 3},
	}
	for _, tc := range tests {
		if got := filenames(t, s, r.ID, tc.n, "foo"); !slices.Equal(got, tc.foo) {
			t.Errorf("version %d: foo files %v, want %v", tc.n, got, tc.foo)
		}
		v, err := s.Version(ctx, r.ID, tc.n)
		if err != nil || v.Files != tc.files {
			t.Errorf("version %d = %+v, %v; want %d files", tc.n, v, err, tc.files)
		}
	}
	ps, _, err := s.Projects(ctx, r.ID, 1)
	if err != nil || len(ps) != 1 || ps[0].Name != "foo" {
		t.Errorf("Projects(1) = %+v, %v", ps, err)
	}
	ps, _, _ = s.Projects(ctx, r.ID, 2)
	if len(ps) != 2 || ps[0].Name != "bar" || ps[1].Name != "foo" {
		t.Errorf("Projects(2) = %+v", ps)
	}
	if _, err := s.Project(ctx, r.ID, 1, "bar"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("bar at version 1: %v, want ErrNotFound", err)
	}
	rr, _ := s.Repository(ctx, "main")
	if rr.Latest != 2 {
		t.Errorf("latest %d", rr.Latest)
	}
	vs, _ := s.Versions(ctx, r.ID)
	if len(vs) != 3 || vs[2].Message != "add" {
		t.Errorf("Versions = %+v", vs)
	}
}

func testFilenameUnique(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	other := newRepo(t, s, "other")
	add(t, s, r.ID, file(r.ID, "foo", "1.0", ".tar.gz"))
	err := s.InTx(ctx, func(tx metastore.Tx) error {
		n, err := tx.BeginVersion(ctx, r.ID, "dup", t0)
		if err != nil {
			return err
		}
		_, err = tx.AddFile(ctx, file(r.ID, "foo", "1.0", ".tar.gz"), n)
		return err
	})
	if !errors.Is(err, errs.ErrConflict) {
		t.Errorf("duplicate filename: %v, want ErrConflict", err)
	}
	// Another repository may hold the same filename.
	add(t, s, other.ID, file(other.ID, "foo", "1.0", ".tar.gz"))
	rr, _ := s.Repository(ctx, "main")
	if rr.Latest != 1 {
		t.Errorf("failed transaction left version %d", rr.Latest)
	}
	f, err := s.FileByFilename(ctx, r.ID, "foo-1.0.tar.gz")
	if err != nil || f.Project != "foo" || f.Size != 10 || f.RequiresPython != ">=3.8" {
		t.Errorf("FileByFilename = %+v, %v", f, err)
	}
}

func testYank(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	add(t, s, r.ID, file(r.ID, "foo", "1.0", ".tar.gz"), file(r.ID, "foo", "1.0", ".zip"), file(r.ID, "foo", "2.0", ".tar.gz"))
	var matched int
	v2 := change(t, s, r.ID, "yank", func(tx metastore.Tx, n int) (err error) {
		matched, err = tx.SetYanked(ctx, r.ID, n, "foo", "1.0", true, "broken")
		return err
	})
	if matched != 2 {
		t.Errorf("yank matched %d", matched)
	}
	yanked := func(n int, fn string) (bool, string) {
		f, err := s.FileAt(ctx, r.ID, n, fn)
		if err != nil {
			t.Fatalf("FileAt(%d, %s): %v", n, fn, err)
		}
		return f.Yanked, f.YankReason
	}
	if y, why := yanked(v2, "foo-1.0.zip"); !y || why != "broken" {
		t.Errorf("after yank: %v %q", y, why)
	}
	if y, _ := yanked(1, "foo-1.0.zip"); y {
		t.Error("yank changed version 1")
	}
	if y, _ := yanked(v2, "foo-2.0.tar.gz"); y {
		t.Error("yank touched another version")
	}
	v3 := change(t, s, r.ID, "unyank", func(tx metastore.Tx, n int) error {
		_, err := tx.SetYanked(ctx, r.ID, n, "foo", "1.0", false, "ignored")
		return err
	})
	if y, why := yanked(v3, "foo-1.0.zip"); y || why != "" {
		t.Errorf("after unyank: %v %q", y, why)
	}
	if y, _ := yanked(v2, "foo-1.0.zip"); !y {
		t.Error("unyank changed version 2")
	}
	for _, n := range []int{1, 2, 3} {
		if got := filenames(t, s, r.ID, n, "foo"); len(got) != 3 {
			t.Errorf("version %d has %v", n, got)
		}
		if v, _ := s.Version(ctx, r.ID, n); v.Files != 3 {
			t.Errorf("version %d counts %d files", n, v.Files)
		}
	}
}

func testRemove(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	add(t, s, r.ID, file(r.ID, "foo", "1.0", ".tar.gz"), file(r.ID, "foo", "1.0", ".zip"), file(r.ID, "foo", "2.0", ".tar.gz"))
	var got int
	v2 := change(t, s, r.ID, "rm", func(tx metastore.Tx, n int) (err error) {
		got, err = tx.RemoveFiles(ctx, r.ID, n, "", "", "foo-1.0.zip")
		return err
	})
	if got != 1 {
		t.Errorf("removed %d", got)
	}
	v3 := change(t, s, r.ID, "rm", func(tx metastore.Tx, n int) (err error) {
		got, err = tx.RemoveFiles(ctx, r.ID, n, "foo", "2.0", "")
		return err
	})
	if got != 1 {
		t.Errorf("removed %d", got)
	}
	if f := filenames(t, s, r.ID, v2, "foo"); !slices.Equal(f, []string{"foo-1.0.tar.gz", "foo-2.0.tar.gz"}) {
		t.Errorf("v2: %v", f)
	}
	if f := filenames(t, s, r.ID, v3, "foo"); !slices.Equal(f, []string{"foo-1.0.tar.gz"}) {
		t.Errorf("v3: %v", f)
	}
	if _, err := s.FileAt(ctx, r.ID, v3, "foo-1.0.zip"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("removed file visible: %v", err)
	}
	if _, err := s.FileByFilename(ctx, r.ID, "foo-1.0.zip"); err != nil {
		t.Errorf("removed file's row gone: %v", err)
	}
	v4 := change(t, s, r.ID, "rm", func(tx metastore.Tx, n int) (err error) {
		got, err = tx.RemoveFiles(ctx, r.ID, n, "foo", "1.0", "")
		return err
	})
	if ps, _, _ := s.Projects(ctx, r.ID, v4); len(ps) != 0 {
		t.Errorf("projects after removing everything: %v", ps)
	}
	if v, _ := s.Version(ctx, r.ID, v4); v.Files != 0 {
		t.Errorf("v4 counts %d files", v.Files)
	}
}

func testRestoreFile(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	f := file(r.ID, "foo", "1.0", ".tar.gz")
	add(t, s, r.ID, f) // 1
	row, err := s.FileByFilename(ctx, r.ID, f.Filename)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.FileDroppedIn(ctx, r.ID, row.ID); n != 0 || err != nil {
		t.Errorf("FileDroppedIn of a held file = %d, %v", n, err)
	}
	change(t, s, r.ID, "yank", func(tx metastore.Tx, n int) error { // 2
		_, err := tx.SetYanked(ctx, r.ID, n, "foo", "1.0", true, "r")
		return err
	})
	v3 := change(t, s, r.ID, "rm", func(tx metastore.Tx, n int) error { // 3
		_, err := tx.RemoveFiles(ctx, r.ID, n, "", "", f.Filename)
		return err
	})
	if n, err := s.FileDroppedIn(ctx, r.ID, row.ID); n != v3 || err != nil {
		t.Errorf("FileDroppedIn = %d, %v, want %d", n, err, v3)
	}
	v4 := change(t, s, r.ID, "restore", func(tx metastore.Tx, n int) error { // 4
		return tx.RestoreFile(ctx, r.ID, n, row.ID)
	})
	got, err := s.FileAt(ctx, r.ID, v4, f.Filename)
	if err != nil || got.Yanked || got.SHA256 != f.SHA256 {
		t.Errorf("restored: %+v, %v", got, err)
	}
	if v, _ := s.Version(ctx, r.ID, v4); v.Files != 1 {
		t.Errorf("v4 counts %d files", v.Files)
	}
	if _, err := s.FileAt(ctx, r.ID, v3, f.Filename); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("restore changed version 3: %v", err)
	}
	if n, _ := s.FileDroppedIn(ctx, r.ID, row.ID); n != 0 {
		t.Errorf("FileDroppedIn after restore = %d", n)
	}
	err = s.InTx(ctx, func(tx metastore.Tx) error {
		n, err := tx.BeginVersion(ctx, r.ID, "again", t0)
		if err != nil {
			return err
		}
		return tx.RestoreFile(ctx, r.ID, n, row.ID)
	})
	if !errors.Is(err, errs.ErrConflict) {
		t.Errorf("restoring a held file: %v", err)
	}
	err = s.InTx(ctx, func(tx metastore.Tx) error {
		n, err := tx.BeginVersion(ctx, r.ID, "nothing", t0)
		if err != nil {
			return err
		}
		return tx.RestoreFile(ctx, r.ID, n, row.ID+1000)
	})
	if !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("restoring a missing file: %v", err)
	}
}

func testRestore(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	add(t, s, r.ID, file(r.ID, "foo", "1.0", ".tar.gz"))            // 1
	add(t, s, r.ID, file(r.ID, "foo", "2.0", ".tar.gz"))            // 2
	change(t, s, r.ID, "yank", func(tx metastore.Tx, n int) error { // 3
		_, err := tx.SetYanked(ctx, r.ID, n, "foo", "1.0", true, "r")
		return err
	})
	change(t, s, r.ID, "rm", func(tx metastore.Tx, n int) error { // 4
		_, err := tx.RemoveFiles(ctx, r.ID, n, "foo", "2.0", "")
		return err
	})
	add(t, s, r.ID, file(r.ID, "bar", "1.0", ".tar.gz")) // 5
	v6 := change(t, s, r.ID, "rollback", func(tx metastore.Tx, n int) error {
		return tx.RestoreContent(ctx, r.ID, n, 2)
	})
	if f := filenames(t, s, r.ID, v6, "foo"); !slices.Equal(f, []string{"foo-1.0.tar.gz", "foo-2.0.tar.gz"}) {
		t.Errorf("after rollback to 2: %v", f)
	}
	if f, _ := s.FileAt(ctx, r.ID, v6, "foo-1.0.tar.gz"); f == nil || f.Yanked {
		t.Errorf("rollback kept the later yank: %+v", f)
	}
	if ps, _, _ := s.Projects(ctx, r.ID, v6); len(ps) != 1 {
		t.Errorf("projects after rollback: %+v", ps)
	}
	if v, _ := s.Version(ctx, r.ID, v6); v.Files != 2 {
		t.Errorf("v6 counts %d files", v.Files)
	}
	// Every older version is unchanged.
	want := map[int][]string{1: {"foo-1.0.tar.gz"}, 4: {"foo-1.0.tar.gz"}, 5: {"foo-1.0.tar.gz"}}
	for n, w := range want {
		if f := filenames(t, s, r.ID, n, "foo"); !slices.Equal(f, w) {
			t.Errorf("version %d changed: %v", n, f)
		}
	}
	v7 := change(t, s, r.ID, "rollback", func(tx metastore.Tx, n int) error {
		return tx.RestoreContent(ctx, r.ID, n, 5)
	})
	for _, p := range []string{"foo", "bar"} {
		if a, b := filenames(t, s, r.ID, 5, p), filenames(t, s, r.ID, v7, p); !slices.Equal(a, b) {
			t.Errorf("%s: v7 %v != v5 %v", p, b, a)
		}
	}
	if f, _ := s.FileAt(ctx, r.ID, v7, "foo-1.0.tar.gz"); f == nil || !f.Yanked {
		t.Errorf("rollback to 5 lost the yank: %+v", f)
	}
	v8 := change(t, s, r.ID, "rollback", func(tx metastore.Tx, n int) error {
		return tx.RestoreContent(ctx, r.ID, n, 0)
	})
	if v, _ := s.Version(ctx, r.ID, v8); v.Files != 0 {
		t.Errorf("rollback to 0 leaves %d files", v.Files)
	}
}

func testSerials(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	add(t, s, r.ID, file(r.ID, "foo", "1.0", ".tar.gz"), file(r.ID, "bar", "1.0", ".tar.gz"))
	serial := func(n int, p string) int64 {
		ps, err := s.Project(ctx, r.ID, n, p)
		if err != nil {
			t.Fatal(err)
		}
		return ps.Serial
	}
	foo1, bar1 := serial(1, "foo"), serial(1, "bar")
	if foo1 <= 0 || bar1 <= 0 || foo1 == bar1 {
		t.Errorf("serials foo %d bar %d", foo1, bar1)
	}
	add(t, s, r.ID, file(r.ID, "foo", "2.0", ".tar.gz"))
	foo2, bar2 := serial(2, "foo"), serial(2, "bar")
	if foo2 <= max(foo1, bar1) || bar2 != bar1 {
		t.Errorf("after upload of foo: foo %d->%d, bar %d->%d", foo1, foo2, bar1, bar2)
	}
	if serial(1, "foo") != foo1 {
		t.Error("serial of an old version changed")
	}
	_, last1, _ := s.Projects(ctx, r.ID, 1)
	ps, last2, _ := s.Projects(ctx, r.ID, 2)
	if last1 != max(foo1, bar1) || last2 != foo2 {
		t.Errorf("last serials %d %d", last1, last2)
	}
	for _, p := range ps {
		if p.Serial != serial(2, p.Name) {
			t.Errorf("Projects serial of %s = %d", p.Name, p.Serial)
		}
	}
	checkEachProject(t, s, r.ID, 1, last1)
	checkEachProject(t, s, r.ID, 2, last2)
	checkEachProject(t, s, r.ID, 0, 0)
	change(t, s, r.ID, "yank", func(tx metastore.Tx, n int) error {
		_, err := tx.SetYanked(ctx, r.ID, n, "bar", "1.0", true, "")
		return err
	})
	if bar3 := serial(3, "bar"); bar3 <= foo2 {
		t.Errorf("yank did not raise bar's serial: %d", bar3)
	}
}

// checkEachProject holds EachProject and LastSerial to what Projects returns.
func checkEachProject(t *testing.T, s metastore.Store, repoID int64, version int, last int64) {
	t.Helper()
	ctx := context.Background()
	want, wantLast, err := s.Projects(ctx, repoID, version)
	if err != nil {
		t.Fatal(err)
	}
	var got []metastore.ProjectSummary
	if err := s.EachProject(ctx, repoID, version, func(p *metastore.ProjectSummary) error {
		got = append(got, *p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("version %d: EachProject %v, Projects %v", version, got, want)
	}
	if n, err := s.LastSerial(ctx, repoID, version); err != nil || n != wantLast || n != last {
		t.Errorf("version %d: LastSerial %d %v, Projects %d, want %d", version, n, err, wantLast, last)
	}
	stop := errors.New("stop")
	calls := 0
	if err := s.EachProject(ctx, repoID, version, func(*metastore.ProjectSummary) error { calls++; return stop }); len(want) > 0 && (!errors.Is(err, stop) || calls != 1) {
		t.Errorf("EachProject after fn's error: %v, %d calls", err, calls)
	}
}

func testRollbackOnError(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx metastore.Tx) error {
		n, err := tx.BeginVersion(ctx, r.ID, "x", t0)
		if err != nil {
			return err
		}
		if _, err := tx.AddFile(ctx, file(r.ID, "foo", "1.0", ".tar.gz"), n); err != nil {
			return err
		}
		// A transaction reads its own writes.
		if _, err := tx.FileAt(ctx, r.ID, n, "foo-1.0.tar.gz"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v", err)
	}
	if _, err := s.FileByFilename(ctx, r.ID, "foo-1.0.tar.gz"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("rolled back file visible: %v", err)
	}
	if rr, _ := s.Repository(ctx, "main"); rr.Latest != 0 {
		t.Errorf("rolled back version visible: %d", rr.Latest)
	}
	if vs, _ := s.Versions(ctx, r.ID); len(vs) != 1 {
		t.Errorf("versions %+v", vs)
	}
}

func testDistributions(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	r2 := newRepo(t, s, "other")
	d := &metastore.Distribution{BasePath: "team/dev", RepositoryID: r.ID, Public: true, CreatedAt: t0}
	mustTx(t, s, func(tx metastore.Tx) error { return tx.CreateDistribution(ctx, d) })
	err := s.InTx(ctx, func(tx metastore.Tx) error { return tx.CreateDistribution(ctx, d) })
	if !errors.Is(err, errs.ErrConflict) {
		t.Errorf("duplicate distribution: %v", err)
	}
	got, err := s.Distribution(ctx, "team/dev")
	if err != nil || got.Repository != "main" || !got.Public || got.Pinned != nil {
		t.Errorf("Distribution = %+v, %v", got, err)
	}
	pin := 0
	mustTx(t, s, func(tx metastore.Tx) error {
		return tx.UpdateDistribution(ctx, &metastore.Distribution{BasePath: "team/dev", RepositoryID: r2.ID, Pinned: &pin})
	})
	got, _ = s.Distribution(ctx, "team/dev")
	if got.Repository != "other" || got.Pinned == nil || *got.Pinned != 0 || got.Public {
		t.Errorf("after update %+v", got)
	}
	ds, _ := s.Distributions(ctx)
	if len(ds) != 1 {
		t.Errorf("Distributions = %+v", ds)
	}
	mustTx(t, s, func(tx metastore.Tx) error { return tx.DeleteDistribution(ctx, "team/dev") })
	if _, err := s.Distribution(ctx, "team/dev"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("deleted distribution: %v", err)
	}
	err = s.InTx(ctx, func(tx metastore.Tx) error { return tx.DeleteDistribution(ctx, "team/dev") })
	if !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
}

func testTokens(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	tok := &metastore.Token{Name: "ci", Scope: "upload", Repository: "main", Hash: []byte("0123456789abcdef0123456789abcdef"), CreatedAt: t0}
	mustTx(t, s, func(tx metastore.Tx) error { return tx.CreateToken(ctx, tok) })
	if tok.ID == 0 {
		t.Error("CreateToken did not set the ID")
	}
	got, err := s.TokenByHash(ctx, tok.Hash)
	if err != nil || got.Name != "ci" || got.Scope != "upload" || got.Repository != "main" || string(got.Hash) != string(tok.Hash) {
		t.Errorf("TokenByHash = %+v, %v", got, err)
	}
	if _, err := s.TokenByHash(ctx, []byte("nope")); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("unknown hash: %v", err)
	}
	dup := *tok
	if err := s.InTx(ctx, func(tx metastore.Tx) error { return tx.CreateToken(ctx, &dup) }); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("duplicate hash: %v", err)
	}
	mustTx(t, s, func(tx metastore.Tx) error { return tx.DeleteToken(ctx, tok.ID) })
	if ts, _ := s.Tokens(ctx); len(ts) != 0 {
		t.Errorf("tokens after delete: %+v", ts)
	}
}

func testImports(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	a := file(r.ID, "pyyaml", "6.0", ".tar.gz")
	a.ImportNames = []string{"yaml", "_yaml"}
	b := file(r.ID, "protobuf", "4.0", ".tar.gz")
	b.ImportNames = []string{"google"}
	add(t, s, r.ID, a, b)
	tests := []struct {
		names []string
		want  []string
	}{
		{[]string{"yaml"}, []string{"pyyaml"}},
		{[]string{"google.protobuf", "google"}, []string{"protobuf"}},
		{[]string{"numpy"}, nil},
		{[]string{"yaml", "google"}, []string{"protobuf", "pyyaml"}},
	}
	for _, tc := range tests {
		got, err := s.ImportProviders(ctx, r.ID, 1, tc.names)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ImportProviders(%v) = %v, %v; want %v", tc.names, got, err, tc.want)
		}
	}
	if got, _ := s.ImportProviders(ctx, r.ID, 0, []string{"yaml"}); len(got) != 0 {
		t.Errorf("version 0 provides %v", got)
	}
	c := file(r.ID, "pyyaml-ext", "1.0", ".tar.gz")
	c.ImportNames = []string{"yaml"}
	add(t, s, r.ID, c)
	byName, err := s.ImportProvidersByName(ctx, r.ID, 2, []string{"yaml", "google", "numpy", "_yaml"})
	want := []metastore.ImportProvider{{Name: "_yaml", Project: "pyyaml"}, {Name: "google", Project: "protobuf"},
		{Name: "yaml", Project: "pyyaml"}, {Name: "yaml", Project: "pyyaml-ext"}}
	if err != nil || !slices.Equal(byName, want) {
		t.Errorf("ImportProvidersByName = %v, %v; want %v", byName, err, want)
	}
	if got, err := s.ImportProvidersByName(ctx, r.ID, 1, []string{"yaml"}); err != nil || !slices.Equal(got, want[2:3]) {
		t.Errorf("ImportProvidersByName in version 1 = %v, %v", got, err)
	}
	f, _ := s.FileAt(ctx, r.ID, 1, a.Filename)
	if slices.Sort(f.ImportNames); !slices.Equal(f.ImportNames, []string{"_yaml", "yaml"}) {
		t.Errorf("ImportNames = %v", f.ImportNames)
	}
}

func testBlobReferenced(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	f := file(r.ID, "foo", "1.0", ".tar.gz")
	f.MetadataSHA256 = fmt.Sprintf("%064x", 42)
	add(t, s, r.ID, f)
	for sha, want := range map[string]bool{f.SHA256: true, f.MetadataSHA256: true, fmt.Sprintf("%064x", 43): false} {
		if got, err := s.BlobReferenced(ctx, sha); got != want || err != nil {
			t.Errorf("BlobReferenced(%s) = %v, %v", sha, got, err)
		}
	}
	batch := []string{fmt.Sprintf("%064x", 43), f.MetadataSHA256, f.SHA256, f.SHA256}
	for i := len(batch); i < metastore.MaxBatch; i++ {
		batch = append(batch, fmt.Sprintf("%064x", 1000+i))
	}
	got, err := s.ReferencedBlobs(ctx, batch)
	slices.Sort(got)
	want := []string{f.SHA256, f.MetadataSHA256}
	slices.Sort(want)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ReferencedBlobs = %v, %v; want %v", got, err, want)
	}
	if _, err := s.ReferencedBlobs(ctx, append(batch, "x")); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("ReferencedBlobs over MaxBatch: %v", err)
	}
}

// testBlobRows: AddFile get-or-inserts the blobs rows of a file's body and metadata;
// TouchBlob moves touched_at forward only and keeps first_seen; DeleteBlob drops a row;
// parsed metadata counts as a reference.
func testBlobRows(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	f := file(r.ID, "foo", "1.0", ".tar.gz")
	f.MetadataSHA256, f.MetadataSize = fmt.Sprintf("%064x", 77), 12
	early := t0.Add(-time.Hour)
	mustTx(t, s, func(tx metastore.Tx) error { return tx.TouchBlob(ctx, f.SHA256, f.Size, early) })
	add(t, s, r.ID, f)
	rows, err := s.Blobs(ctx, []string{f.SHA256, f.MetadataSHA256, fmt.Sprintf("%064x", 78)})
	if err != nil || len(rows) != 2 {
		t.Fatalf("Blobs = %+v, %v; want the body and metadata rows", rows, err)
	}
	for _, b := range rows {
		switch b.SHA256 {
		case f.SHA256:
			if b.Size != f.Size || !b.FirstSeen.Equal(early) || !b.TouchedAt.Equal(early) {
				t.Errorf("body row %+v: AddFile changed the touched row", b)
			}
		case f.MetadataSHA256:
			if b.Size != 12 {
				t.Errorf("metadata row %+v", b)
			}
		}
	}
	mustTx(t, s, func(tx metastore.Tx) error { return tx.TouchBlob(ctx, f.SHA256, f.Size, t0.Add(time.Hour)) })
	mustTx(t, s, func(tx metastore.Tx) error { return tx.TouchBlob(ctx, f.SHA256, f.Size, t0) }) // older: ignored
	if rows, _ := s.Blobs(ctx, []string{f.SHA256}); len(rows) != 1 || !rows[0].TouchedAt.Equal(t0.Add(time.Hour)) || !rows[0].FirstSeen.Equal(early) {
		t.Errorf("after touches: %+v", rows)
	}
	mustTx(t, s, func(tx metastore.Tx) error { return tx.DeleteBlob(ctx, f.SHA256) })
	mustTx(t, s, func(tx metastore.Tx) error { return tx.DeleteBlob(ctx, f.SHA256) }) // none: no error
	if rows, _ := s.Blobs(ctx, []string{f.SHA256}); len(rows) != 0 {
		t.Errorf("deleted row still there: %+v", rows)
	}
	// TouchBlobs: one new row, one known (touched later, its size kept), one of unknown size.
	unknown := fmt.Sprintf("%064x", 80)
	mustTx(t, s, func(tx metastore.Tx) error { return tx.TouchBlob(ctx, unknown, -1, early) })
	mustTx(t, s, func(tx metastore.Tx) error {
		return tx.TouchBlobs(ctx, []metastore.Blob{{SHA256: f.SHA256, Size: 99}, {SHA256: f.MetadataSHA256, Size: 5}, {SHA256: unknown, Size: 7}}, t0)
	})
	rows, err = s.Blobs(ctx, []string{f.SHA256, f.MetadataSHA256, unknown})
	if err != nil || len(rows) != 3 {
		t.Fatalf("after TouchBlobs: %+v, %v", rows, err)
	}
	for _, b := range rows {
		want := map[string]metastore.Blob{f.SHA256: {Size: 99, FirstSeen: t0}, f.MetadataSHA256: {Size: 12}, unknown: {Size: 7, FirstSeen: early}}[b.SHA256]
		if b.Size != want.Size || !b.TouchedAt.Equal(t0) || !want.FirstSeen.IsZero() && !b.FirstSeen.Equal(want.FirstSeen) {
			t.Errorf("TouchBlobs row %+v, want size %d touched %v", b, want.Size, t0)
		}
	}
	if err := s.InTx(ctx, func(tx metastore.Tx) error {
		return tx.TouchBlobs(ctx, make([]metastore.Blob, metastore.MaxBatch+1), t0)
	}); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("TouchBlobs over MaxBatch: %v", err)
	}
	parsedOnly := fmt.Sprintf("%064x", 79)
	mustTx(t, s, func(tx metastore.Tx) error { return tx.PutParsedMetadata(ctx, parsedOnly, []byte("{}")) })
	if used, err := s.BlobReferenced(ctx, parsedOnly); !used || err != nil {
		t.Errorf("parsed metadata does not count as a reference: %v, %v", used, err)
	}
	if _, err := s.Blobs(ctx, make([]string, metastore.MaxBatch+1)); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("Blobs over MaxBatch: %v", err)
	}
}
