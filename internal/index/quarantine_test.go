package index_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/metastore/sqlite"
)

// verdictCounter counts the quarantine's reads of verdicts.
type verdictCounter struct {
	metastore.Store
	passed, verdict atomic.Int64
}

func (c *verdictCounter) PassedFiles(ctx context.Context, repoID int64, project string) ([]string, error) {
	c.passed.Add(1)
	return c.Store.PassedFiles(ctx, repoID, project)
}

func (c *verdictCounter) CheckVerdict(ctx context.Context, repoID int64, filename string) (string, error) {
	c.verdict.Add(1)
	return c.Store.CheckVerdict(ctx, repoID, filename)
}

// quarantineService is a Service over a store that counts verdict reads, with project
// "many" of n files of which those with an even number passed their check, and the
// distribution "strict" requiring checks.
func quarantineService(t testing.TB, n int) (*index.Service, *verdictCounter, []string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "pydepot.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	drv, err := blobstore.NewFile(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	vc := &verdictCounter{Store: st}
	svc := index.New(vc, drv, nil)
	if err := svc.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	repo, _ := st.Repository(ctx, "main")
	var passed []string
	for i := range n {
		name, data := synthWheel("many", fmt.Sprintf("1.%d", i))
		if _, _, err := svc.Upload(ctx, index.Upload{Repository: "main", Filename: name, Content: bytes.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
		verdict := "fail"
		if i%2 == 0 {
			verdict = "pass"
			passed = append(passed, name)
		}
		if err := st.InTx(ctx, func(tx metastore.Tx) error {
			return tx.AddCheckReport(ctx, &metastore.CheckReport{RepositoryID: repo.ID, Filename: name, Project: "many", Verdict: verdict, Report: []byte("{}")})
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.CreateDistribution(ctx, index.Distribution{BasePath: "strict", Repository: "main", Public: true, RequireChecks: true}); err != nil {
		t.Fatal(err)
	}
	return svc, vc, passed
}

// TestQuarantineOneQueryPerPage: a project page of a distribution requiring checks
// reads the verdicts once, whatever the number of files; a distribution without the
// setting reads none; a download reads one verdict.
func TestQuarantineOneQueryPerPage(t *testing.T) {
	ctx := context.Background()
	svc, vc, passed := quarantineService(t, 40)
	strict, _ := svc.Distribution(ctx, "strict")
	main, _ := svc.Distribution(ctx, "main")
	p, err := svc.Project(ctx, strict, "many")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != len(passed) || vc.passed.Load() != 1 || vc.verdict.Load() != 0 {
		t.Errorf("strict page: %d files (want %d), %d PassedFiles, %d CheckVerdict calls", len(p.Files), len(passed), vc.passed.Load(), vc.verdict.Load())
	}
	vc.passed.Store(0)
	if p, _ := svc.Project(ctx, main, "many"); len(p.Files) != 40 || vc.passed.Load() != 0 {
		t.Errorf("main page: %d files, %d verdict reads", len(p.Files), vc.passed.Load())
	}
	of, err := svc.OpenFile(ctx, strict, passed[0], 0)
	if err != nil {
		t.Fatal(err)
	}
	of.Body.Close()
	if vc.verdict.Load() != 1 {
		t.Errorf("a download read %d verdicts", vc.verdict.Load())
	}
}

// BenchmarkQuarantinedProject: a project page of 200 files, with and without
// require-checks (the cost of the quarantine's one query).
func BenchmarkQuarantinedProject(b *testing.B) {
	ctx := context.Background()
	svc, _, _ := quarantineService(b, 200)
	for _, base := range []string{"main", "strict"} {
		d, _ := svc.Distribution(ctx, base)
		b.Run(base, func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.Project(ctx, d, "many"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
