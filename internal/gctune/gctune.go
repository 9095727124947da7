// Package gctune keeps the garbage collector from running on a small heap as often as
// GOGC alone would make it.
//
// With GOGC=100 the collector runs each time the heap has grown by as much as it holds
// live. A server whose live heap is small but which allocates fast (a sync holds about
// 10 MB live and allocates 600 MB) then collects every few megabytes: 52 cycles and
// 0.58 s of CPU for a sync of 20,000 files, an eighth of its CPU. HeapFloor raises the
// percentage while the live heap is small, so that the heap may grow to a floor before
// the next cycle; once the live heap is large enough for GOGC to give that much room,
// GOGC applies as set. This is what a heap "ballast" did before Go had a memory limit,
// without the ballast, and without a memory limit, which would make the collector run
// all the time once a live heap outgrew it.
package gctune

import (
	"context"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// maxPercent caps the raised percentage: a nearly empty heap (at start) does not wait
// for many times its size.
const maxPercent = 1000

// HeapFloor lets the heap grow to at least floor bytes between collections, until ctx
// ends (the percentage is then set back to what it was). It does nothing when the
// collector is off (GOGC=off) or asked to run all the time (GOGC=0). The percentage is
// set again after every cycle, from the live heap that cycle found.
func HeapFloor(ctx context.Context, floor uint64) {
	gogc := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(gogc)
	// GOGC=off reads as the largest uint64 (-1), and GOGC=0 asks for collections all
	// the time: neither is raised.
	v := gogc[0].Value.Uint64()
	if gogc[0].Value.Kind() != metrics.KindUint64 || v == 0 || v > math.MaxInt32 || floor == 0 {
		return
	}
	base := int(v)
	t := &tuner{ctx: ctx, base: base, floor: floor, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	t.adjust()
	t.arm()
}

type tuner struct {
	ctx    context.Context
	base   int
	floor  uint64
	sample []metrics.Sample
}

// sentinel is a small object whose finalizer runs after the cycle that found it
// unreachable: one cycle, one call of after.
type sentinel struct{ _ [16]byte }

func (t *tuner) arm() { runtime.SetFinalizer(&sentinel{}, t.after) }

func (t *tuner) after(*sentinel) {
	if t.ctx.Err() != nil {
		debug.SetGCPercent(t.base)
		return
	}
	t.adjust()
	t.arm()
}

// adjust sets the percentage for the live heap now.
func (t *tuner) adjust() {
	metrics.Read(t.sample)
	debug.SetGCPercent(Percent(t.base, t.floor, t.sample[0].Value.Uint64()))
}

// Percent is the GOGC that lets a live heap of live bytes grow to at least floor bytes,
// and never less than base nor more than maxPercent (unless base is more).
func Percent(base int, floor, live uint64) int {
	if live == 0 {
		return max(base, maxPercent)
	}
	if live*uint64(100+base)/100 >= floor {
		return base
	}
	p := int(floor*100/live) - 100
	return max(base, min(p, maxPercent))
}
