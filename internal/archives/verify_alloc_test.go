package archives

import (
	"archive/zip"
	"context"
	"fmt"
	"runtime"
	"testing"
)

// TestVerifySmallMembersAllocateLittle: verifying an archive of many small members does
// not allocate a 32 KiB copy buffer per member (a sync verifies thousands of small
// wheels; those buffers were most of what it allocated, and its garbage collections).
func TestVerifySmallMembersAllocateLittle(t *testing.T) {
	var entries []zipEntry
	for i := range 16 {
		entries = append(entries, zipEntry{name: fmt.Sprintf("pkg/m%02d.py", i), body: []byte("x = 1\n"), method: zip.Store})
	}
	data := buildZip(t, entries)
	ctx := context.Background()
	const runs = 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		a, err := openZip(data, DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	per := (after.TotalAlloc - before.TotalAlloc) / runs
	// 16 members: 512 KiB more with a buffer each (about 620 KiB in all; about 100 KiB with
	// one small buffer, the rest being the zip reader's own structures).
	if per > 200<<10 {
		t.Errorf("opening and verifying a %d-byte zip of 16 small members allocates %d bytes, want at most %d", len(data), per, 200<<10)
	}
}
