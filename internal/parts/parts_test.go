package parts

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// TestAppend: whatever the split, the parts come out in order, each item once.
func TestAppend(t *testing.T) {
	for _, tc := range []struct{ n, minPart int }{{0, 10}, {1, 10}, {19, 10}, {20, 10}, {1001, 10}, {7, 1}, {5, 0}} {
		got := Append([]byte("head;"), tc.n, tc.minPart, 4, func(b []byte, lo, hi int) []byte {
			for i := lo; i < hi; i++ {
				b = strconv.AppendInt(b, int64(i), 10)
				b = append(b, ',')
			}
			return b
		})
		var want strings.Builder
		want.WriteString("head;")
		for i := range tc.n {
			fmt.Fprintf(&want, "%d,", i)
		}
		if string(got) != want.String() {
			t.Errorf("n=%d minPart=%d: %q, want %q", tc.n, tc.minPart, got, want.String())
		}
	}
}

// TestEach: every item is visited once, on parts that do not overlap.
func TestEach(t *testing.T) {
	for _, n := range []int{0, 3, 4000, 4001} {
		seen := make([]atomic.Int32, n)
		Each(n, 1000, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				seen[i].Add(1)
			}
		})
		for i := range seen {
			if c := seen[i].Load(); c != 1 {
				t.Fatalf("n=%d: item %d visited %d times", n, i, c)
			}
		}
	}
}
