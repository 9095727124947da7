package filenames

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/hostile"
	"github.com/pydepot/pydepot/internal/tags"
)

// TestParseHostileNames: a 7 KB wheel name (27 million tags once expanded; the old code
// allocated gigabytes) and a short one with 8,000 tags are refused with the limit named,
// cheaply.
func TestParseHostileNames(t *testing.T) {
	for _, tc := range []struct {
		name, limit string
	}{
		{"x-1.0-" + hostile.TagSet(300) + ".whl", fmt.Sprintf("limit of %d bytes", MaxLength)},
		{"x-1.0-" + hostile.TagSet(20) + ".whl", fmt.Sprintf("limit of %d tags", tags.MaxSetTags)},
		{strings.Repeat("a-", 200) + "1.0.tar.gz", fmt.Sprintf("limit of %d bytes", MaxLength)},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Parse(tc.name)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), tc.limit) {
			t.Errorf("Parse(%d bytes) = %v, want ErrInvalid naming the %s", len(tc.name), err, tc.limit)
			continue
		}
		if len(err.Error()) > 300 {
			t.Errorf("error quotes the whole name: %d bytes", len(err.Error()))
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<10 {
			t.Errorf("refusing a %d byte name allocated %d bytes", len(tc.name), alloc)
		}
	}
}
