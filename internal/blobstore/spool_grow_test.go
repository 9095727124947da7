package blobstore

import (
	"bytes"
	"slices"
	"testing"
)

// TestSpoolGrow: a spool that holds its bytes in memory makes room for a download of
// known size once (its writes then copy into that room, not into a slice grown again and
// again), and ignores a size past its cap (an index may say anything): the bytes go to
// a file then, as without Grow.
func TestSpoolGrow(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 300)
	sp := newMemSpool(t.TempDir(), "grow-*", 64<<10)
	defer sp.Close()
	allocs := testing.AllocsPerRun(20, func() {
		if err := sp.Reset(); err != nil {
			t.Fatal(err)
		}
		sp.mem = nil
		sp.Grow(int64(len(data)))
		for chunk := range slices.Chunk(data, 512) {
			if _, err := sp.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs > 1 || !bytes.Equal(sp.Bytes(), data) {
		t.Errorf("%.0f allocations to spool %d bytes after Grow (want 1), %d bytes held", allocs, len(data), len(sp.Bytes()))
	}
	big := newMemSpool(t.TempDir(), "grow-*", 1024)
	defer big.Close()
	big.Grow(1 << 40)
	if cap(big.mem) != 0 {
		t.Errorf("Grow past the cap made room for %d bytes", cap(big.mem))
	}
	if _, err := big.Write(data); err != nil || big.Name() == "" || big.Size() != int64(len(data)) {
		t.Errorf("a write past the cap: %v, file %q, %d bytes", err, big.Name(), big.Size())
	}
}
