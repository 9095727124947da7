package gctune

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct {
		base        int
		floor, live uint64
		want        int
	}{
		{100, 64 * mb, 10 * mb, 540}, // 10 MB may grow to 64
		{100, 64 * mb, 32 * mb, 100}, // GOGC gives 64 already
		{100, 64 * mb, 50 * mb, 100},
		{100, 64 * mb, 1 * mb, maxPercent}, // capped
		{100, 64 * mb, 0, maxPercent},
		{300, 64 * mb, 10 * mb, 540},
		{800, 64 * mb, 10 * mb, 800},  // never below the user's GOGC
		{2000, 64 * mb, 1 * mb, 2000}, // nor below it when it is above the cap
	} {
		if got := Percent(c.base, c.floor, c.live); got != c.want {
			t.Errorf("Percent(%d, %d, %d) = %d, want %d", c.base, c.floor, c.live, got, c.want)
		}
	}
}

var sink []byte

// churn allocates n bytes in 4 KiB pieces, each dropped at once, with about 4 MiB
// live, and returns how many collections ran meanwhile.
func churn(n int) uint32 {
	live := make([][]byte, 1024)
	for i := range live {
		live[i] = make([]byte, 4<<10)
	}
	var st runtime.MemStats
	runtime.ReadMemStats(&st)
	before := st.NumGC
	for range n / (4 << 10) {
		sink = make([]byte, 4<<10)
	}
	runtime.ReadMemStats(&st)
	runtime.KeepAlive(live)
	return st.NumGC - before
}

// heapGoal is the heap size at which the next collection starts.
func heapGoal() uint64 {
	goal := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(goal)
	return goal[0].Value.Uint64()
}

// TestHeapFloor: with a floor of 64 MiB over a 4 MiB live heap, the heap may grow to
// ten times what GOGC=100 lets it (the percentage's cap), so that allocating 512 MiB
// takes a few collections where GOGC=100 takes dozens; when the context ends, the
// percentage goes back to what it was. The heap goals are compared, not the collections
// counted: how many collections an allocation loop meets depends on how soon the
// collector's workers run, and a CI machine running two test binaries at once met 13
// where an idle one meets a hundred.
func TestHeapFloor(t *testing.T) {
	base := debug.SetGCPercent(100)
	defer debug.SetGCPercent(base)
	live := make([][]byte, 1024) // 4 MiB, live while the goals are read
	for i := range live {
		live[i] = make([]byte, 4<<10)
	}
	runtime.GC()
	plainGoal := heapGoal()
	plain := churn(512 << 20)
	ctx, cancel := context.WithCancel(context.Background())
	HeapFloor(ctx, 64<<20)
	floored := churn(512 << 20)
	// The tuner sets the percentage after each cycle, from the live heap that cycle found
	// (the churn's last one may have found garbage besides), on the finalizer's
	// goroutine: a few forced cycles let it see the 4 MiB alone.
	var flooredGoal uint64
	for range 50 {
		runtime.GC()
		time.Sleep(time.Millisecond)
		if flooredGoal = heapGoal(); flooredGoal >= 32<<20 {
			break
		}
	}
	runtime.KeepAlive(live)
	t.Logf("collections: %d with the floor, %d without; heap goals %d and %d MiB", floored, plain, flooredGoal>>20, plainGoal>>20)
	if flooredGoal < 5*plainGoal || flooredGoal < 32<<20 {
		t.Errorf("heap goal %d MiB with the floor, %d MiB without", flooredGoal>>20, plainGoal>>20)
	}
	cancel()
	// The finalizer of a cycle's sentinel runs after the cycle, on its own goroutine.
	gogc := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	for range 200 {
		runtime.GC()
		time.Sleep(time.Millisecond)
		if metrics.Read(gogc); gogc[0].Value.Uint64() == 100 {
			return
		}
	}
	t.Errorf("after the context ended, GOGC is %d, want 100", gogc[0].Value.Uint64())
}

// TestHeapFloorOff: with the collector off, HeapFloor leaves it off.
func TestHeapFloorOff(t *testing.T) {
	base := debug.SetGCPercent(-1)
	defer debug.SetGCPercent(base)
	HeapFloor(t.Context(), 64<<20)
	if p := debug.SetGCPercent(-1); p != -1 {
		t.Errorf("HeapFloor with GOGC=off set it to %d", p)
	}
}
