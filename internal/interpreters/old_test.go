package interpreters

import (
	"context"
	"testing"
)

// TestQueryOldAndNew queries every pyenv version from 3.6 to 3.13 (2.7 must be refused).
func TestQueryOldAndNew(t *testing.T) {
	ins := Discover(context.Background(), Options{PATH: "/nonexistent", ExtraDirs: []string{}})
	seen := map[string]bool{}
	for _, in := range ins {
		seen[in.MajorMinor()] = true
		if in.Target.Implementation != "cp" || in.Markers["python_full_version"] != in.Version {
			t.Errorf("%s: target %+v markers %v", in, in.Target, in.Markers)
		}
	}
	for _, mm := range []string{"3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"} {
		if !seen[mm] {
			t.Errorf("pyenv %s not discovered (found %v)", mm, seen)
		}
	}
	if seen["2.7"] {
		t.Error("Python 2.7 accepted")
	}
}
