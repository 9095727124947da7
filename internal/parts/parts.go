// Package parts splits the work of a long loop between the cores: a 5,000-file project
// page is 5,000 rows converted and 2.7 MB appended, on one core while the others wait.
package parts

import (
	"runtime"
	"sync"
)

// Append appends to b what fill appends for the items lo..hi-1, for every item of n: in
// order, one part per core (at most), each part of at least minPart items filled on its
// own goroutine into its own buffer, sized with perItem bytes per item. fill must not
// share state between parts other than reading. Fewer than 2×minPart items are filled
// on the caller's goroutine into b itself.
func Append(b []byte, n, minPart, perItem int, fill func(b []byte, lo, hi int) []byte) []byte {
	count := partsOf(n, minPart)
	if count < 2 {
		return fill(b, 0, n)
	}
	bufs := make([][]byte, count)
	run(n, count, func(part, lo, hi int) {
		bufs[part] = fill(make([]byte, 0, (hi-lo)*perItem), lo, hi)
	})
	for _, p := range bufs {
		b = append(b, p...)
	}
	return b
}

// Each runs fn over the items lo..hi-1 of n in parts, one per core (at most), each of
// at least minPart items and each on its own goroutine, and returns when all are done.
func Each(n, minPart int, fn func(lo, hi int)) {
	count := partsOf(n, minPart)
	if count < 2 {
		fn(0, n)
		return
	}
	run(n, count, func(_, lo, hi int) { fn(lo, hi) })
}

// partsOf is how many parts n items make: one per core, each of at least minPart items.
func partsOf(n, minPart int) int {
	return min(runtime.GOMAXPROCS(0), n/max(minPart, 1))
}

// run runs fn over count parts of n items, each on its own goroutine.
func run(n, count int, fn func(part, lo, hi int)) {
	var wg sync.WaitGroup
	for part := range count {
		lo, hi := part*n/count, (part+1)*n/count
		wg.Go(func() { fn(part, lo, hi) })
	}
	wg.Wait()
}
