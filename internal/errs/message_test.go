package errs

import (
	"errors"
	"fmt"
	"testing"
)

func TestMessageDropsTrailingCategories(t *testing.T) {
	inner := fmt.Errorf("a wheel name has 5 or 6 parts, not 1: %w", ErrInvalid)
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("bad name %q: %w", "x", inner), `bad name "x": a wheel name has 5 or 6 parts, not 1`},
		{fmt.Errorf("project x: %w", ErrNotFound), "project x"},
		{fmt.Errorf("limit: %w: %w", ErrTooLarge, ErrInvalid), "limit"},
		{fmt.Errorf("project x: %w on http://i/simple/", ErrNotFound), "project x: not found on http://i/simple/"},
		{errors.New("an invalid token"), "an invalid token"},
		{ErrConflict, "conflict"},
	} {
		if got := Message(tc.err); got != tc.want {
			t.Errorf("Message(%q) = %q, want %q", tc.err, got, tc.want)
		}
		if !errors.Is(tc.err, ErrInvalid) && !errors.Is(tc.err, ErrNotFound) && !errors.Is(tc.err, ErrTooLarge) && !errors.Is(tc.err, ErrConflict) && tc.err.Error() != "an invalid token" {
			t.Errorf("%q lost its category", tc.err)
		}
	}
}
