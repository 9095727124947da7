package archives

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
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

// TestSmallZipAllocs: opening a small wheel-like zip, reading one member and verifying
// the rest costs few allocations (a sync inspects thousands of them): the central
// directory is read once, from one read of the file's tail, decompressors are reused,
// the member read whole is not read again by Verify, and the readers of ReadFile and
// Verify come from a pool. archive/zip and a second walk of the directory made it 161;
// 26 before the pool, 16 now.
func TestSmallZipAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops its items at random under the race detector")
	}
	entries := []zipEntry{
		{name: "pkg/__init__.py", body: []byte("VERSION = '1.0'\n")},
		{name: "pkg/data.bin", body: bytes.Repeat([]byte("data "), 400)},
		{name: "pkg-1.0.dist-info/METADATA", body: []byte("Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n\n")},
		{name: "pkg-1.0.dist-info/WHEEL", body: []byte("Wheel-Version: 1.0\n")},
		{name: "pkg-1.0.dist-info/top_level.txt", body: []byte("pkg\n")},
		{name: "pkg-1.0.dist-info/RECORD", body: []byte("pkg/__init__.py,,\n")},
	}
	data := buildZip(t, entries)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(50, func() {
		a, err := openZip(data, DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.ReadFile("pkg-1.0.dist-info/METADATA"); err != nil {
			t.Fatal(err)
		}
		if err := Verify(ctx, a); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%.0f allocations", allocs)
	if allocs > 20 {
		t.Errorf("opening a %d-byte zip of %d members, reading one and verifying: %.0f allocations, want at most 20", len(data), len(entries), allocs)
	}
}

// lent is a reader that lends its bytes (interface{ Bytes() []byte }).
type lent struct {
	*bytes.Reader
	b []byte
}

func (l lent) Bytes() []byte { return l.b }

// noise is n bytes that do not compress.
func noise(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestZipInMemoryNotCopied: a zip whose reader lends its bytes (a sync's download held
// in memory) is read from them: opening it allocates less than the file's size, where a
// plain reader's tail is copied whole; both read the same member.
func TestZipInMemoryNotCopied(t *testing.T) {
	entries := []zipEntry{
		{name: "pkg/data.bin", body: noise(60 << 10)}, // incompressible: the zip is as large
		{name: "pkg-1.0.dist-info/METADATA", body: []byte("Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n\n")},
	}
	data := buildZip(t, entries)
	open := func(r io.ReaderAt) (Archive, uint64) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		a, err := OpenZip(r, int64(len(data)), DefaultLimits())
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		return a, after.TotalAlloc - before.TotalAlloc
	}
	plain, plainBytes := open(bytes.NewReader(data))
	mem, memBytes := open(lent{bytes.NewReader(data), data})
	t.Logf("opening a %d-byte zip allocates %d bytes from a plain reader, %d from lent bytes", len(data), plainBytes, memBytes)
	if memBytes >= uint64(len(data))/2 || plainBytes < 64<<10 {
		t.Errorf("opening a %d-byte zip allocates %d bytes from lent bytes (want under half its size), %d from a plain reader", len(data), memBytes, plainBytes)
	}
	for _, a := range []Archive{plain, mem} {
		got, err := a.ReadFile("pkg-1.0.dist-info/METADATA")
		if err != nil || string(got) != string(entries[1].body) {
			t.Errorf("METADATA: %q, %v", got, err)
		}
		if err := Verify(context.Background(), a); err != nil {
			t.Error(err)
		}
		a.Close()
	}
}
