package index_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/pydepot/pydepot/internal/index"
)

// TestProjectReadAllocs bounds the allocations of reading a project per file it has
// (BenchmarkProject500Files: b580f39 made 29.8, issue 8's file origin and presence
// columns 33.8). Skipped with -short, which the race run uses.
func TestProjectReadAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts differ under the race detector (-short)")
	}
	ctx := context.Background()
	s := newService(t)
	const files = 300
	fill(t, s, 1, files)
	d := mainDist(t, s)
	got := testing.AllocsPerRun(10, func() {
		if p, err := s.Project(ctx, d, "project-00000"); err != nil || len(p.Files) != files {
			t.Fatalf("%v %v", p, err)
		}
	}) / files
	if got > 31 {
		t.Errorf("%.1f allocations per file read, want at most 31", got)
	}
}

// TestProjectListAllocs bounds the allocations of listing the projects per project
// (BenchmarkProjects10000: 12 at b580f39 and after issue 8's attributes join).
func TestProjectListAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts differ under the race detector (-short)")
	}
	ctx := context.Background()
	s := newService(t)
	const projects = 2000
	fill(t, s, projects, 1)
	d := mainDist(t, s)
	got := testing.AllocsPerRun(5, func() {
		if ps, _, err := s.Projects(ctx, d); err != nil || len(ps) != projects {
			t.Fatalf("%d %v", len(ps), err)
		}
	}) / projects
	if got > 11 {
		t.Errorf("%.1f allocations per project listed, want at most 11", got)
	}
}

// TestUploadAndImportAllocs bounds the allocations of an upload and of an import lookup
// at what they were before issue 8's foundation (b580f39: BenchmarkUpload 575,
// BenchmarkImportCandidates 61). Skipped with -short, which the race run uses.
func TestUploadAndImportAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts differ under the race detector (-short)")
	}
	ctx := context.Background()
	s := newService(t)
	// AllocsPerRun counts the whole process's allocations, so whatever else runs then
	// (goroutines a test before left ending) adds to a round: the fewest of a few rounds
	// is the upload's own count.
	const runs, rounds = 10, 4
	var names []string
	var bodies [][]byte
	for i := range rounds * (runs + 1) {
		name, data := synthWheel("alloc-pkg", fmt.Sprintf("1.0.%d", i))
		names, bodies = append(names, name), append(bodies, data)
	}
	i := 0
	got := fewest(rounds, func() float64 {
		return testing.AllocsPerRun(runs, func() {
			if _, _, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: names[i], Content: bytes.NewReader(bodies[i])}); err != nil {
				t.Fatal(err)
			}
			i++
		})
	})
	t.Logf("%.0f allocations per upload", got)
	if got > 575 {
		t.Errorf("%.0f allocations per upload, want at most 575", got)
	}
	fill(t, s, 1000, 1)
	d := mainDist(t, s)
	got = fewest(rounds, func() float64 {
		return testing.AllocsPerRun(runs, func() {
			if got, err := s.ImportCandidates(ctx, d, "project_00500.sub"); err != nil || len(got) != 1 {
				t.Fatalf("%v %v", got, err)
			}
		})
	})
	t.Logf("%.0f allocations per import lookup", got)
	if got > 61 {
		t.Errorf("%.0f allocations per import lookup, want at most 61", got)
	}
}

// TestSyncBatchAllocs bounds the allocations of one add of a sync's batch applied to an
// open version (BenchmarkOpenVersionApply500: 347 per add at 9e1bbf1, when each add read
// its rules itself, 96 with the read ahead and the statements prepared on the write
// connection, 63 with the adds written together by AddFiles). Skipped with -short, which
// the race run uses.
func TestSyncBatchAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts differ under the race detector (-short)")
	}
	ctx := context.Background()
	s := newService(t)
	const perRun = 200
	var batches [][]index.Change
	for i := range 3 {
		var changes []index.Change
		for p := range perRun / 10 {
			changes = append(changes, syncedBatch(t, s, fmt.Sprintf("allocs%d-%d", i, p), 0, 10)...)
		}
		batches = append(batches, changes)
	}
	v, err := s.OpenVersion(ctx, "main", "sync")
	if err != nil {
		t.Fatal(err)
	}
	defer v.Discard(ctx)
	i := 0
	got := testing.AllocsPerRun(2, func() {
		res, err := v.Apply(ctx, batches[i])
		if err != nil || len(res) != perRun || !res[perRun-1].Changed {
			t.Fatalf("%d results, %v", len(res), err)
		}
		i++
	}) / perRun
	t.Logf("%.1f allocations per add", got)
	if got > 80 {
		t.Errorf("%.1f allocations per add of a sync's batch, want at most 80", got)
	}
}

// fewest is the smallest of n measurements.
func fewest(n int, measure func() float64) float64 {
	least := measure()
	for range n - 1 {
		least = min(least, measure())
	}
	return least
}
