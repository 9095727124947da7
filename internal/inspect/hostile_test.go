package inspect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/hostile"
)

// measure runs fn and returns the bytes it allocated.
func measure(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestBigRecord: a wheel whose RECORD is over MaxRecordSize is refused from its declared
// size with ErrTooLarge naming RECORD and the limit, without inflating it. The old code
// read RECORD whole and split it (the report: a 1 GiB RECORD held 10 GB).
func TestBigRecord(t *testing.T) {
	var w bytes.Buffer
	if err := hostile.BigRecordWheel(&w, "bigrec", 2*MaxRecordSize); err != nil {
		t.Fatal(err)
	}
	data := w.Bytes()
	var err error
	alloc := measure(func() { _, err = inspectBytes("bigrec-1.0-py3-none-any.whl", data) })
	if !errors.Is(err, errs.ErrTooLarge) || !strings.Contains(err.Error(), "RECORD") || !strings.Contains(err.Error(), "limit of 33554432 bytes") {
		t.Fatalf("Inspect(%d byte RECORD) = %v, want ErrTooLarge naming RECORD and the limit", 2*MaxRecordSize, err)
	}
	if alloc > 4<<20 {
		t.Errorf("refusing the RECORD allocated %d bytes", alloc)
	}
	// With a top_level.txt, RECORD is not read for the import names, but capped all the same.
	w.Reset()
	tl := hostile.File{Name: "bigrec-1.0.dist-info/top_level.txt", Body: strings.NewReader("bigrec\n")}
	if err := hostile.BigRecordWheel(&w, "bigrec", MaxRecordSize+1, tl); err != nil {
		t.Fatal(err)
	}
	if _, err := Inspect(context.Background(), "bigrec-1.0-py3-none-any.whl", bytes.NewReader(w.Bytes()), int64(w.Len())); !errors.Is(err, errs.ErrTooLarge) || !strings.Contains(err.Error(), "RECORD") {
		t.Errorf("big RECORD beside top_level.txt: %v", err)
	}
	// A RECORD under the cap is streamed: allocations stay near the size of the paths kept.
	w.Reset()
	if err := hostile.BigRecordWheel(&w, "bigrec", 8<<20); err != nil {
		t.Fatal(err)
	}
	data = w.Bytes()
	var info *Info
	start := time.Now()
	alloc = measure(func() { info, err = inspectBytes("bigrec-1.0-py3-none-any.whl", data) })
	if err != nil {
		t.Fatalf("Inspect(8 MiB RECORD): %v", err)
	}
	// pkg/ddd.../ has no __init__.py: a namespace, reported by its modules (1080 distinct
	// ones, each listed 8 times), of which at most maxSubpackages are recorded.
	if n := len(info.ImportNames); n != maxSubpackages || !strings.HasPrefix(info.ImportNames[0], "pkg.ddd") {
		t.Errorf("Inspect(8 MiB RECORD) gave %d import names", n)
	}
	if alloc > 128<<20 {
		t.Errorf("an 8 MiB RECORD allocated %d bytes", alloc)
	}
	// Deduplicating the names searched the list once per name: 136 s for 80,000 names.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("an 8 MiB RECORD took %v", d)
	}
	t.Logf("8 MiB RECORD: %d import names, %v, %d bytes allocated", len(info.ImportNames), time.Since(start), alloc)
}

// TestBigTopLevel: top_level.txt over its cap is refused the same way (names.go reads
// the sdist's through the same helper).
func TestBigTopLevel(t *testing.T) {
	files := hostile.Minimal("tl", hostile.Metadata("tl", "1.0"))
	files = append(files, hostile.File{Name: "tl-1.0.dist-info/top_level.txt", Body: strings.NewReader(strings.Repeat("name\n", MaxTopLevelSize/5+1))})
	_, err := inspectBytes("tl-1.0-py3-none-any.whl", hostile.WheelBytes(files...))
	if !errors.Is(err, errs.ErrTooLarge) || !strings.Contains(err.Error(), "top_level.txt") || !strings.Contains(err.Error(), "limit of 1048576 bytes") {
		t.Errorf("big top_level.txt: %v", err)
	}
}

// TestContinuationWheel: the 200,000 continuation lines parse in bounded time and memory.
func TestContinuationWheel(t *testing.T) {
	data := hostile.ContinuationWheel("cont", 200_000)
	var err error
	start := time.Now()
	alloc := measure(func() { _, err = inspectBytes("cont-1.0-py3-none-any.whl", data) })
	if err != nil {
		t.Fatal(err)
	}
	if alloc > 32<<20 {
		t.Errorf("inspecting 600 KB of METADATA allocated %d bytes", alloc)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("inspecting took %v", d)
	}
}

// TestLocalHeaderMismatch: the report's wheel (central directory evil/__init__.py, local
// header ../../../etc/pwn) is refused.
func TestLocalHeaderMismatch(t *testing.T) {
	_, err := inspectBytes("evil-1.0-py3-none-any.whl", hostile.LocalHeaderMismatch("evil"))
	if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), `"../../../etc/pwn"`) {
		t.Errorf("local header mismatch: %v", err)
	}
}

// slowReader cancels its context once a read reaches past at.
type slowReader struct {
	r      io.ReaderAt
	at     int64
	cancel context.CancelFunc
}

func (s slowReader) ReadAt(p []byte, off int64) (int, error) {
	if off > s.at {
		s.cancel()
	}
	return s.r.ReadAt(p, off)
}

// TestInspectCanceled: a canceled context (a client that hung up) stops Inspect promptly,
// before the first member or in the middle of a large one.
func TestInspectCanceled(t *testing.T) {
	big := strings.Repeat("x = 'some python source'\n", 2<<20) // 50 MiB, deflates ~ 150:1
	files := append(hostile.Minimal("canc", hostile.Metadata("canc", "1.0")), hostile.File{Name: "canc/big.py", Body: strings.NewReader(big)})
	data := hostile.WheelBytes(files...)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if _, err := Inspect(ctx, "canc-1.0-py3-none-any.whl", bytes.NewReader(data), int64(len(data))); !errors.Is(err, context.Canceled) {
		t.Errorf("Inspect(canceled) = %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	r := slowReader{r: bytes.NewReader(data), at: int64(len(data)) / 8, cancel: cancel}
	if _, err := Inspect(ctx, "canc-1.0-py3-none-any.whl", r, int64(len(data))); !errors.Is(err, context.Canceled) {
		t.Errorf("Inspect(canceled mid-member) = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("canceled Inspect took %v", d)
	}
}

// TestManyImportNames: deduplicating import names is not quadratic (it searched the list
// once per name: 136 s for 80,000 names).
func TestManyImportNames(t *testing.T) {
	in := make([]string, 200_000)
	for i := range in {
		in[i] = fmt.Sprintf("m%d", i%100_000)
	}
	start := time.Now()
	out := cleanImportNames(in)
	if len(out) != 100_000 || out[0] != "m0" {
		t.Errorf("cleanImportNames gave %d names", len(out))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cleanImportNames(200,000 names) took %v", d)
	}
}

func BenchmarkInspectContinuationLines(b *testing.B) {
	data := hostile.ContinuationWheel("cont", 200_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := inspectBytes("cont-1.0-py3-none-any.whl", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInspectBigRecord is the refusal of a 1 GiB RECORD (a 10 MB wheel).
func BenchmarkInspectBigRecord(b *testing.B) {
	var w bytes.Buffer
	if err := hostile.BigRecordWheel(&w, "bigrec", 1<<30); err != nil {
		b.Fatal(err)
	}
	data := w.Bytes()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := inspectBytes("bigrec-1.0-py3-none-any.whl", data); !errors.Is(err, errs.ErrTooLarge) {
			b.Fatal(err)
		}
	}
}
