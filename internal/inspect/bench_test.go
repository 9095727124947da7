package inspect

import (
	"math/rand/v2"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// smallWheel is a wheel like those of bench/bench-sync.sh (bench/synctree): a package
// with its __init__.py, 2 KiB of random data, METADATA, WHEEL, top_level.txt and RECORD,
// about 3.6 KB in all.
func smallWheel(tb testing.TB) (string, []byte) {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 2048)
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	di := "bench_project_00042-1.3.dist-info/"
	data, err := testdist.WheelZip(di, [][2]string{
		{"bench_project_00042/__init__.py", "VERSION = \"1.3\"\n"},
		{"bench_project_00042/data.bin", string(noise)},
		{di + "METADATA", "Metadata-Version: 2.1\nName: bench-project-00042\nVersion: 1.3\nSummary: sync benchmark project\nRequires-Python: >=3.8\n\n"},
		{di + "WHEEL", "Wheel-Version: 1.0\nGenerator: synctree\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		{di + "top_level.txt", "bench_project_00042\n"},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return "bench_project_00042-1.3-py3-none-any.whl", data
}

// BenchmarkInspectSmallWheel inspects one small wheel of a sync (what a sync of 20,000
// of them pays per file).
func BenchmarkInspectSmallWheel(b *testing.B) {
	name, data := smallWheel(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := inspectBytes(name, data); err != nil {
			b.Fatal(err)
		}
	}
}

// TestInspectSmallWheelAllocs: inspecting a small wheel of a sync stays cheap in
// allocations (there are 20,000 in a sync, and an upload counts them): 248 before the
// zip reader read the directory once and reused its decompressors, 85 after, 60 once
// the member list is not copied, missing files make no error, the namespace tree holds
// only the top-level packages' folders and the metadata's header names are not copied,
// 51 with the member readers and the copy buffer of ReadFile and Verify pooled.
func TestInspectSmallWheelAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops its items at random under the race detector")
	}
	name, data := smallWheel(t)
	allocs := testing.AllocsPerRun(50, func() {
		if _, err := inspectBytes(name, data); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%.0f allocations", allocs)
	if allocs > 60 {
		t.Errorf("Inspect of a %d-byte wheel: %.0f allocations, want at most 60", len(data), allocs)
	}
}
