package index_test

import (
	"context"
	"io"
	"sync/atomic"
	"testing"

	"github.com/pydepot/pydepot/internal/index"
)

// countingReaderAt counts the ReadAt calls made on it.
type countingReaderAt struct {
	r     io.ReaderAt
	calls atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.calls.Add(1)
	return c.r.ReadAt(p, off)
}

// TestSyncedReadsSmallFileOnce: a sync's small file is read from its content a bounded
// number of times (once into memory), not once per zip structure the inspection visits:
// each ReadAt on a download is a pread(2), and tens of them per wheel were a good part of
// the CPU of a sync of 20,000 small files. The file is still hashed, inspected and stored.
func TestSyncedReadsSmallFileOnce(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	name, data := synthWheel("reads-once", "1.0")
	c := &countingReaderAt{r: bytesReaderAt(data)}
	b := s.NewSyncBatch()
	p, err := b.Synced(ctx, index.SyncedFile{Filename: name, SHA256: hexSum(data), Size: int64(len(data)), Remote: "up"},
		index.SizedReaderAt(c, int64(len(data))))
	if err != nil {
		t.Fatal(err)
	}
	if n := c.calls.Load(); n > 2 {
		t.Errorf("%d ReadAt calls on a %d-byte file, want at most 2", n, len(data))
	}
	if p.ReleaseKey() == "" {
		t.Error("no release key")
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Blobs().Stat(ctx, hexSum(data)); err != nil {
		t.Errorf("the file's blob after Commit: %v", err)
	}
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
