package index_test

import (
	"testing"

	"github.com/pydepot/pydepot/internal/index"
)

// FuzzParseBlockRule: any text is read or refused without panicking, and a rule's
// canonical form reads back as itself (what Unblock and the duplicate check rely on).
func FuzzParseBlockRule(f *testing.F) {
	for _, s := range []string{"evil", "Evil_Pkg==1.0", "x-1.0-py3-none-any.whl", "x-1.0.tar.gz", "==", "a==b==c", " a == 1!2.0.post1.dev3 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := index.ParseBlockRule(s)
		if err != nil {
			return
		}
		again, err := index.ParseBlockRule(r.Rule)
		if err != nil || again.Rule != r.Rule {
			t.Fatalf("%q reads as %q, which reads as %q (%v)", s, r.Rule, again.Rule, err)
		}
	})
}
