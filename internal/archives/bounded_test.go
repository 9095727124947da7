package archives

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
)

// noRatio is DefaultLimits without the compression ratio cap, for repetitive test data.
var noRatio = Limits{MaxMembers: 100, MaxMemberSize: 1 << 30, MaxTotalSize: 1 << 30, MaxRatio: 1e9}

// TestReadFileCap: a member over MaxReadFile is refused by ReadFile from its declared
// size, naming the member and the limit, without being read; ReadFileMax applies a
// smaller cap the same way. The old ReadFile read any member whole.
func TestReadFileCap(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), (MaxReadFile+16)/16)
	data := rawZip(t, []string{"x.dist-info/RECORD", "small.txt"}, []string{string(big), "hello"})
	a, err := openZip(data, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = a.ReadFile("x.dist-info/RECORD")
	runtime.ReadMemStats(&after)
	if !errors.Is(err, errs.ErrTooLarge) || !strings.Contains(err.Error(), "RECORD") || !strings.Contains(err.Error(), "limit of 33554432 bytes") {
		t.Errorf("ReadFile(big RECORD) = %v, want ErrTooLarge naming it and the limit", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("refusing the big member allocated %d bytes", alloc)
	}
	if _, err := ReadFileMax(a, "small.txt", 4); !errors.Is(err, errs.ErrTooLarge) || !strings.Contains(err.Error(), "limit of 4 bytes") {
		t.Errorf("ReadFileMax(small.txt, 4) = %v", err)
	}
	if b, err := ReadFileMax(a, "small.txt", 5); err != nil || string(b) != "hello" {
		t.Errorf("ReadFileMax(small.txt, 5) = %q, %v", b, err)
	}
	if _, err := ReadFileMax(a, "nope", 5); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("ReadFileMax(nope) = %v", err)
	}
	tgz := buildTarGz(t, []tarEntry{reg("p-1/RECORD", string(big[:MaxReadFile+1])), reg("p-1/small", "hello")})
	ta, err := openTarGz(tgz, noRatio)
	if err != nil {
		t.Fatal(err)
	}
	defer ta.Close()
	if _, err := ta.ReadFile("p-1/RECORD"); !errors.Is(err, errs.ErrTooLarge) || !strings.Contains(err.Error(), "limit of 33554432 bytes") {
		t.Errorf("tar ReadFile(big) = %v", err)
	}
	if _, err := ReadFileMax(ta, "p-1/small", 4); !errors.Is(err, errs.ErrTooLarge) {
		t.Errorf("tar ReadFileMax(small, 4) = %v", err)
	}
}

// cancelAfter cancels when a read reaches past offset at: the member's data is being read.
type cancelAfter struct {
	r      io.ReaderAt
	at     int64
	cancel context.CancelFunc
}

func (c cancelAfter) ReadAt(p []byte, off int64) (int, error) {
	if off > c.at {
		c.cancel()
	}
	return c.r.ReadAt(p, off)
}

// TestCanceledMidMember: a context canceled while a large member is being read stops
// Verify and OpenTarGz there, not after the member (the old Verify looked at the context
// only between members, and OpenTarGz had none).
func TestCanceledMidMember(t *testing.T) {
	body := bytes.Repeat([]byte("abcdefghijklmnop"), 1<<20) // 16 MiB
	data := rawZip(t, []string{"big.bin"}, []string{string(body)})
	ctx, cancel := context.WithCancel(context.Background())
	r := cancelAfter{r: bytes.NewReader(data), at: 1 << 20, cancel: cancel}
	a, err := OpenZip(r, int64(len(data)), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(ctx, a); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify canceled mid-member = %v, want context.Canceled", err)
	}
	noise := make([]byte, 8<<20)
	rand.NewChaCha8([32]byte{1}).Read(noise) // incompressible: the gzip stream is 8 MiB too
	tgz := buildTarGz(t, []tarEntry{reg("p-1/big", string(noise))})
	ctx, cancel = context.WithCancel(context.Background())
	tr := cancelAfter{r: bytes.NewReader(tgz), at: 1 << 20, cancel: cancel}
	if _, err := OpenTarGz(ctx, tr, int64(len(tgz)), noRatio); !errors.Is(err, context.Canceled) {
		t.Errorf("OpenTarGz canceled mid-member = %v, want context.Canceled", err)
	}
}
