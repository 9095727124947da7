package blobstore_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/testcpu"
)

// BenchmarkBatchCommit500Small commits a batch of 500 small blobs (3.6 KB, a synced small
// wheel of bench-sync) into a File store with packs, as pydepot opens it: a sync's blob
// commit without its downloads (one pack written and fsynced, its rows committed; a file
// made for each, two syncfs and a rename each before packs: 340-520 ms of CPU an op
// after a mass deletion on this machine, 21-24 ms with packs). cpu-ns/op is the
// process's CPU in the timed parts (user and system: the machine is shared, wall time is
// noisy).
func BenchmarkBatchCommit500Small(b *testing.B) {
	ctx := context.Background()
	s := blobstore.NewStore(mustFile(b, b.TempDir()))
	rng := rand.New(rand.NewPCG(3, 4))
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		blobs := make([][]byte, 500)
		for i := range blobs {
			blobs[i] = make([]byte, 3600)
			for j := range blobs[i] {
				blobs[i][j] = byte(rng.Uint32())
			}
		}
		b.StartTimer()
		before := testcpu.Used()
		batch := s.NewBatch()
		for _, c := range blobs {
			if _, err := batch.Write(ctx, bytes.NewReader(c), hexOf(c), int64(len(c))); err != nil {
				b.Fatal(err)
			}
		}
		if err := batch.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		cpu += testcpu.Used() - before
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}
