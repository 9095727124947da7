package simpleindex

import (
	"bytes"
	"io"
	"runtime"
	"testing"
)

// TestCopyBodySmallAllocatesLittle: a small download of a known size is not copied
// through a 64 KiB buffer (a sync downloads thousands of small files), and the bytes all
// arrive when the size said is wrong.
func TestCopyBodySmallAllocatesLittle(t *testing.T) {
	data := bytes.Repeat([]byte("w"), 3000)
	var out bytes.Buffer
	out.Grow(8 << 10)
	perRun := func(expect int64) float64 {
		var total float64
		for range 20 {
			out.Reset()
			before := testingAllocBytes()
			if _, err := copyBody(&out, bytes.NewReader(data), expect); err != nil {
				t.Fatal(err)
			}
			total += float64(testingAllocBytes() - before)
		}
		return total / 20
	}
	if got := perRun(int64(len(data))); got > 16<<10 {
		t.Errorf("copying a %d-byte body of known size allocates %.0f bytes, want at most %d", len(data), got, 16<<10)
	}
	for _, expect := range []int64{-1, 10, 0} {
		out.Reset()
		n, err := copyBody(&out, bytes.NewReader(data), expect)
		if err != nil || n != int64(len(data)) || !bytes.Equal(out.Bytes(), data) {
			t.Errorf("expect %d: copied %d bytes, %v", expect, n, err)
		}
	}
	if _, err := copyBody(io.Discard, bytes.NewReader(nil), 0); err != nil {
		t.Error(err)
	}
}

func testingAllocBytes() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}
