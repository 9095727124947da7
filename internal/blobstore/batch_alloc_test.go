package blobstore_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/pydepot/pydepot/internal/blobstore"
)

// TestBatchWriteSmallAllocatesLittle: writing a small blob into a batch does not allocate
// io.Copy's 32 KiB buffer (a sync writes one metadata blob of a few hundred bytes per
// file, thousands of them).
func TestBatchWriteSmallAllocatesLittle(t *testing.T) {
	d, err := blobstore.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := blobstore.NewStore(d).NewBatch()
	defer b.Cancel()
	ctx := context.Background()
	const runs = 20
	datas := make([][]byte, runs)
	for i := range datas {
		datas[i] = []byte(fmt.Sprintf("Metadata-Version: 2.1\nName: small-%d\nVersion: 1.0\n", i))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, data := range datas {
		if _, err := b.Write(ctx, bytes.NewReader(data), hexOf(data), int64(len(data))); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 16<<10 {
		t.Errorf("a batch write of a ~50-byte blob allocates %d bytes, want at most %d", per, 16<<10)
	}
}
