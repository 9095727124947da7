package resolver

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// loadResolvelibIndex reads an index in the format of resolvelib's functional test
// inputs ({"project": {"version": {"dependencies": [...]}}}) into a memProvider.
func loadResolvelibIndex(t *testing.T, path string) *memProvider {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var idx map[string]map[string]struct {
		Dependencies []string `json:"dependencies"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatal(err)
	}
	m := newMem()
	for name, vs := range idx {
		for v, d := range vs {
			m.add(name, v, d.Dependencies...)
		}
	}
	return m
}

// TestExplainPyrax is resolvelib's pyrex-1.9.8 case (pyrax==1.9.8 cannot be installed):
// its pyrax releases, and the chain python-novaclient 2.27.0 -> oslo.serialization ->
// msgpack-python 0.5.0 -> msgpack, which is not on the index. The explanation must name
// that chain in a few lines, the 25 oslo.serialization releases as one range, instead of
// a line per release.
func TestExplainPyrax(t *testing.T) {
	m := loadResolvelibIndex(t, "testdata/pyrax-index.json")
	_, err := Resolve(context.Background(), m, baseRequest("pyrax==1.9.8"))
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a conflict", err)
	}
	text := strings.Join(ce.Lines, "\n")
	t.Logf("%d lines:\n%s", len(ce.Lines), text)
	if len(ce.Lines) > 6 {
		t.Errorf("%d lines, want at most 6", len(ce.Lines))
	}
	for _, want := range []string{"pyrax 1.9.8 requires python-novaclient==2.27.0", "oslo.serialization",
		"msgpack-python 0.5.0 requires msgpack>=0.5, but msgpack is not on the index", "pyrax==1.9.8 cannot be installed"} {
		if !strings.Contains(text, want) {
			t.Errorf("explanation lacks %q", want)
		}
	}
	if strings.Count(text, "oslo.serialization 2.") > 0 {
		t.Errorf("oslo.serialization releases named one by one")
	}
}

// TestMissingRootProject: a project the request names that the index does not have is
// reported as missing, with the index's location, not as a conflict.
func TestMissingRootProject(t *testing.T) {
	m := newMem()
	m.add("lib", "1.0")
	_, err := Resolve(context.Background(), locatedMem{m, "http://127.0.0.1:8080/simple/"}, baseRequest("lib", "requests>=2"))
	var me *MissingError
	if !errors.As(err, &me) || err.Error() != "requests is not on http://127.0.0.1:8080/simple/" {
		t.Fatalf("err = %v, want requests is not on the index URL", err)
	}
	var ce *ConflictError
	if errors.As(err, &ce) {
		t.Error("reported as a conflict")
	}
	// Deeper down, the explanation says the same.
	m.add("app", "1.0", "ghost>=1")
	_, err = Resolve(context.Background(), locatedMem{m, "http://127.0.0.1:8080/simple/"}, baseRequest("app"))
	if err == nil || !strings.Contains(err.Error(), "app 1.0 requires ghost>=1, but ghost is not on http://127.0.0.1:8080/simple/") {
		t.Errorf("err = %v", err)
	}
}

type locatedMem struct {
	*memProvider
	where string
}

func (l locatedMem) Location() string { return l.where }
