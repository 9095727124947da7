package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/metastore/metastoretest"
	"github.com/pydepot/pydepot/internal/metastore/sqlite"
)

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSuite(t *testing.T) {
	metastoretest.Run(t, func(t *testing.T) metastore.Store {
		return open(t, filepath.Join(t.TempDir(), "pydepot.db"))
	})
}

func TestMigrationsAreIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pydepot.db")
	s := open(t, path)
	if err := s.InTx(ctx, func(tx metastore.Tx) error {
		_, err := tx.CreateRepository(ctx, "main", "", t0())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	v1, err := s.SchemaVersion(ctx)
	if err != nil || v1 < 1 {
		t.Fatalf("SchemaVersion = %d, %v", v1, err)
	}
	s.Close()
	s = open(t, path)
	defer s.Close()
	if v2, _ := s.SchemaVersion(ctx); v2 != v1 {
		t.Errorf("schema version %d after reopening, was %d", v2, v1)
	}
	if _, err := s.Repository(ctx, "main"); err != nil {
		t.Errorf("data lost on reopen: %v", err)
	}
}

func TestConcurrentWritersAndReaders(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "pydepot.db"))
	defer s.Close()
	var repoID int64
	if err := s.InTx(ctx, func(tx metastore.Tx) error {
		r, err := tx.CreateRepository(ctx, "main", "", t0())
		repoID = r.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	const writers, each = 6, 15
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := s.InTx(ctx, func(tx metastore.Tx) error {
					n, err := tx.BeginVersion(ctx, repoID, "w", t0())
					if err != nil {
						return err
					}
					f := &metastore.File{RepositoryID: repoID, Filename: fmt.Sprintf("p%d-%d.tar.gz", w, i), Project: fmt.Sprintf("p%d", w),
						ProjectName: "p", Version: fmt.Sprint(i), Kind: "sdist", SHA256: "x", UploadTime: t0()}
					if _, err := tx.AddFile(ctx, f, n); err != nil {
						return err
					}
					return tx.FinishVersion(ctx, repoID, n, t0())
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
				r, err := s.Repository(ctx, "main")
				if err != nil {
					t.Error(err)
					return
				}
				if v, err := s.Version(ctx, repoID, r.Latest); err != nil || v.Files != r.Latest {
					t.Errorf("version %d: %+v, %v", r.Latest, v, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	r, _ := s.Repository(ctx, "main")
	if r.Latest != writers*each {
		t.Errorf("latest %d, want %d", r.Latest, writers*each)
	}
	ps, last, _ := s.Projects(ctx, repoID, r.Latest)
	if len(ps) != writers || last != int64(writers*each) {
		t.Errorf("%d projects, last serial %d", len(ps), last)
	}
}
