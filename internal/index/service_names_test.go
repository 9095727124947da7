package index

import (
	"regexp"
	"strings"
	"testing"
)

// TestValidNameMatchesItsRule checks the hand-written validator against the rule written
// as a regular expression.
func TestValidNameMatchesItsRule(t *testing.T) {
	rule := regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$`)
	cases := []string{"", "a", "main", "team-dev", "a.b_c-d", "-a", "a-", ".a", "A", "a b", "a/b", "é",
		strings.Repeat("a", 64), strings.Repeat("a", 65), "a" + strings.Repeat("-", 62) + "b", "0", "9x"}
	for _, c := range cases {
		if got, want := validName(c), rule.MatchString(c); got != want {
			t.Errorf("validName(%q) = %v, rule says %v", c, got, want)
		}
	}
}
