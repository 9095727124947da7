package index_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/testcpu"
)

// BenchmarkOpenVersionApply500 applies a sync's batch of 500 new synced files of 50
// projects (ten releases each) to an open version: the write path of a sync, without its
// downloads. Its allocations per op are the batch's (divide by 500 for one add).
func BenchmarkOpenVersionApply500(b *testing.B) {
	ctx := context.Background()
	s := newService(b)
	b.ReportAllocs()
	var cpu time.Duration // the process's CPU time in the timed parts: the machine is shared, wall time is noisy
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		var changes []index.Change
		for p := range 50 {
			changes = append(changes, syncedBatch(b, s, fmt.Sprintf("bench%d-%d", i, p), 0, 10)...)
		}
		v, err := s.OpenVersion(ctx, "main", "sync")
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		before := testcpu.Used()
		res, err := v.Apply(ctx, changes)
		if err != nil || len(res) != 500 || !res[499].Changed {
			b.Fatalf("%d results, %v", len(res), err)
		}
		cpu += testcpu.Used() - before
		b.StopTimer()
		if _, err := v.Publish(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}
