package tags

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/hostile"
)

// TestParseSetBounded: a tag set whose expansion is huge is refused before it is built,
// with an error that names the limit, and without allocating the product.
func TestParseSetBounded(t *testing.T) {
	for _, tc := range []struct {
		set, limit string
	}{
		{hostile.TagSet(300), fmt.Sprintf("limit of %d bytes", MaxSetLength)}, // 7 KB: 27,000,000 tags
		{hostile.TagSet(20), fmt.Sprintf("limit of %d tags", MaxSetTags)},     // 8,000 tags in 200 bytes
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := ParseSet(tc.set)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), tc.limit) {
			t.Errorf("ParseSet(%d bytes) = %v, want ErrInvalid naming the %s", len(tc.set), err, tc.limit)
		}
		if len(err.Error()) > 200 {
			t.Errorf("error quotes the whole set: %d bytes", len(err.Error()))
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<10 {
			t.Errorf("refusing a %d byte set allocated %d bytes", len(tc.set), alloc)
		}
	}
	// At the limit the set is expanded, in packaging's order.
	set := "py2.py3-none.abi3-" + strings.Repeat("p.", MaxSetTags/4-1) + "p"
	ts, err := ParseSet(set)
	if err != nil || len(ts) != MaxSetTags {
		t.Fatalf("ParseSet(%d tags) = %d tags, %v", MaxSetTags, len(ts), err)
	}
}

func BenchmarkParseSetHostile(b *testing.B) {
	set := hostile.TagSet(300)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSet(set); err == nil {
			b.Fatal("accepted")
		}
	}
}
