package index

import (
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/versions"
)

// TestReleasePrefix: every spelling PEP 440-equal to a version starts with its prefix.
func TestReleasePrefix(t *testing.T) {
	for _, tc := range []struct {
		v      string
		prefix string
		equal  []string
	}{
		{"1.2", "1.2", []string{"1.2.0", "01.2", "1.2.0.0"}},
		{"1.2.0rc1", "1.2", []string{"1.2rc1", "1.2.0.0c1"}},
		{"1.0.post1", "1", []string{"1.post1", "1.0.0-1"}},
		{"1!3.0", "1!3", []string{"1!3", "1!3.0.0"}},
		{"0", "0", []string{"0.0", "0.0.0"}},
		{"2.0+local.1", "2", []string{"2+local.1"}},
		{"10.0.dev3", "10", []string{"10.dev3"}},
	} {
		v, err := versions.Parse(tc.v)
		if err != nil {
			t.Fatal(err)
		}
		if got := releasePrefix(v); got != tc.prefix {
			t.Errorf("releasePrefix(%s) = %q, want %q", tc.v, got, tc.prefix)
		}
		for _, e := range tc.equal {
			ev, err := versions.Parse(e)
			if err != nil || ev.Compare(v) != 0 {
				t.Fatalf("%s is not equal to %s: %v", e, tc.v, err)
			}
			if !strings.HasPrefix(ev.String(), tc.prefix) {
				t.Errorf("%s (canonical %s) does not start with %q", e, ev.String(), tc.prefix)
			}
		}
	}
}
