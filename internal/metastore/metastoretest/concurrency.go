package metastoretest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// testConcurrentWriters has writers make versions at once while readers read the latest
// one: every version is made exactly once, with its numbers dense, and a reader never
// sees a version that is half made.
func testConcurrentWriters(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	const writers, each = 6, 15
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := s.InTx(ctx, func(tx metastore.Tx) error {
					n, err := tx.BeginVersion(ctx, r.ID, "w", t0)
					if err != nil {
						return err
					}
					f := file(r.ID, fmt.Sprintf("p%d", w), fmt.Sprint(i), ".tar.gz")
					if _, err := tx.AddFile(ctx, f, n); err != nil {
						return err
					}
					return tx.FinishVersion(ctx, r.ID, n, t0)
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 30 {
				rr, err := s.Repository(ctx, "main")
				if err != nil {
					t.Error(err)
					return
				}
				if v, err := s.Version(ctx, r.ID, rr.Latest); err != nil || v.Files != rr.Latest {
					t.Errorf("version %d: %+v, %v", rr.Latest, v, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	rr, _ := s.Repository(ctx, "main")
	if rr.Latest != writers*each {
		t.Errorf("latest %d, want %d", rr.Latest, writers*each)
	}
	vs, err := s.Versions(ctx, r.ID)
	if err != nil || len(vs) != writers*each+1 {
		t.Fatalf("%d versions, %v; want %d", len(vs), err, writers*each+1)
	}
	nums := make([]int, len(vs))
	for i, v := range vs {
		nums[i] = v.Number
	}
	slices.Sort(nums)
	for i, n := range nums {
		if n != i {
			t.Fatalf("version numbers are not 0..%d: %v", writers*each, nums)
		}
	}
	ps, last, _ := s.Projects(ctx, r.ID, rr.Latest)
	if len(ps) != writers || last != int64(writers*each) {
		t.Errorf("%d projects, last serial %d", len(ps), last)
	}
}

// repoView is what a reader sees of one repository version.
type repoView struct {
	Latest   int
	Projects []string
	Files    map[string]string // filename -> yank reason ("-" when not yanked)
}

func view(t *testing.T, s metastore.Store, name string, version int) repoView {
	t.Helper()
	ctx := context.Background()
	r, err := s.Repository(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if version < 0 {
		version = r.Latest
	}
	v := repoView{Latest: r.Latest, Files: map[string]string{}}
	ps, _, err := s.Projects(ctx, r.ID, version)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		v.Projects = append(v.Projects, p.Name)
		fs, err := s.ProjectFiles(ctx, r.ID, version, p.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			state := "-"
			if f.Yanked {
				state = "yanked: " + f.YankReason
			}
			v.Files[f.Filename] = state
		}
	}
	return v
}

// testIsolation: changes to one repository leave every version of another as it was,
// also for a repository whose name is a prefix of the other's and for the same filename
// in both.
func testIsolation(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	a, b := newRepo(t, s, "foo"), newRepo(t, s, "foo-bar")
	add(t, s, a.ID, file(a.ID, "shared", "1.0", ".tar.gz"), file(a.ID, "only-a", "1.0", ".tar.gz"))
	add(t, s, a.ID, file(a.ID, "shared", "2.0", ".tar.gz"))
	before := []repoView{view(t, s, "foo", 0), view(t, s, "foo", 1), view(t, s, "foo", 2)}

	// The same files, and more, in b; then yank, remove and restore there.
	add(t, s, b.ID, file(b.ID, "shared", "1.0", ".tar.gz"), file(b.ID, "shared", "2.0", ".tar.gz"), file(b.ID, "only-b", "1.0", ".tar.gz"))
	change(t, s, b.ID, "yank", func(tx metastore.Tx, n int) error {
		_, err := tx.SetYanked(ctx, b.ID, n, "shared", "1.0", true, "broken in b")
		return err
	})
	change(t, s, b.ID, "remove", func(tx metastore.Tx, n int) error {
		_, err := tx.RemoveFiles(ctx, b.ID, n, "shared", "2.0", "")
		return err
	})
	change(t, s, b.ID, "restore", func(tx metastore.Tx, n int) error {
		return tx.RestoreContent(ctx, b.ID, n, 1)
	})
	if got := view(t, s, "foo-bar", -1); got.Latest != 4 || len(got.Files) != 3 {
		t.Errorf("foo-bar after its changes: %+v", got)
	}
	for n, want := range before {
		got := view(t, s, "foo", n)
		if fmt.Sprint(got.Projects, got.Files) != fmt.Sprint(want.Projects, want.Files) || got.Latest != 2 {
			t.Errorf("foo version %d changed by foo-bar's changes:\nbefore %+v\nafter  %+v", n, want, got)
		}
	}
	// Lookups by filename stay in their repository.
	fa, errA := s.FileByFilename(ctx, a.ID, "only-a-1.0.tar.gz")
	if errA != nil || fa.RepositoryID != a.ID {
		t.Errorf("FileByFilename in foo = %+v, %v", fa, errA)
	}
	if _, err := s.FileByFilename(ctx, a.ID, "only-b-1.0.tar.gz"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("foo sees foo-bar's file: %v", err)
	}
	if _, err := s.FileAt(ctx, b.ID, 4, "only-a-1.0.tar.gz"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("foo-bar sees foo's file: %v", err)
	}
	if vs, _ := s.Versions(ctx, a.ID); len(vs) != 3 {
		t.Errorf("foo has %d versions after foo-bar's changes, want 3", len(vs))
	}
}

// testContextCanceled: a canceled context makes reads and transactions return an error
// wrapping context.Canceled, promptly, and a transaction canceled half-way changes
// nothing.
func testContextCanceled(t *testing.T, s metastore.Store) {
	r := newRepo(t, s, "main")
	add(t, s, r.ID, file(r.ID, "foo", "1.0", ".tar.gz"))
	before := view(t, s, "main", -1)

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if _, err := s.Repository(canceled, "main"); !errors.Is(err, context.Canceled) {
		t.Errorf("Repository with a canceled context: %v, want context.Canceled", err)
	}
	if _, _, err := s.Projects(canceled, r.ID, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("Projects with a canceled context: %v, want context.Canceled", err)
	}
	err := s.InTx(canceled, func(tx metastore.Tx) error {
		_, err := tx.CreateRepository(canceled, "other", "", t0)
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("InTx with a canceled context: %v, want context.Canceled", err)
	}

	// Canceled in the middle: the version begun and the file added are not kept, even
	// though fn itself reports success.
	mid, cancelMid := context.WithCancel(context.Background())
	err = s.InTx(mid, func(tx metastore.Tx) error {
		n, err := tx.BeginVersion(mid, r.ID, "half", t0)
		if err != nil {
			return err
		}
		if _, err := tx.AddFile(mid, file(r.ID, "foo", "2.0", ".tar.gz"), n); err != nil {
			return err
		}
		cancelMid()
		if err := tx.FinishVersion(mid, r.ID, n, t0); err != nil {
			return err
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("InTx canceled half-way: %v, want context.Canceled", err)
	}
	// Canceled after the last statement: the commit must not go through.
	late, cancelLate := context.WithCancel(context.Background())
	err = s.InTx(late, func(tx metastore.Tx) error {
		n, err := tx.BeginVersion(late, r.ID, "late", t0)
		if err != nil {
			return err
		}
		if _, err := tx.AddFile(late, file(r.ID, "foo", "3.0", ".tar.gz"), n); err != nil {
			return err
		}
		if err := tx.FinishVersion(late, r.ID, n, t0); err != nil {
			return err
		}
		cancelLate()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("InTx canceled before its commit: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("canceled calls took %v", d)
	}
	if got := view(t, s, "main", -1); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Errorf("a canceled transaction changed the store:\nbefore %+v\nafter  %+v", before, got)
	}
	if _, err := s.Repository(context.Background(), "other"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("repository made under a canceled context: %v", err)
	}
}
