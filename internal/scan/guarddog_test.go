package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/scan/scantest"
	"github.com/pydepot/pydepot/internal/testdist"
)

// GuardDog runs guarddog (the pinned peer) on a local package folder and returns the
// rules that matched, with their first location.
func GuardDog(ctx context.Context, bin, home, dir string) (map[string]string, error) {
	cmd := exec.CommandContext(ctx, bin, "pypi", "scan", dir, "--output-format", "json")
	cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// guarddog exits 1 when it finds something.
	if err := cmd.Run(); err != nil && cmd.ProcessState == nil {
		return nil, err
	}
	var out struct {
		Results map[string]json.RawMessage `json:"results"`
	}
	b := stdout.Bytes()
	if i := bytes.IndexByte(b, '{'); i > 0 {
		b = b[i:]
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, &guardDogError{err: err, out: stdout.String() + stderr.String()}
	}
	hits := map[string]string{}
	for rule, raw := range out.Results {
		var list []struct {
			Location string `json:"location"`
		}
		if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
			hits[rule] = list[0].Location
		} else if s := strings.TrimSpace(string(raw)); s != "{}" && s != "null" && s != "[]" && s != `""` {
			hits[rule] = s
		}
	}
	return hits, nil
}

type guardDogError struct {
	err error
	out string
}

func (e *guardDogError) Error() string { return "guarddog output: " + e.err.Error() + ": " + e.out }

// TestGuardDogComparison: scan and GuardDog on the same packages. Each finds every
// planted behaviour it claims to cover (scan all of them; GuardDog through one of the
// rules the plant lists), and the differences are logged: what GuardDog reports on the
// benign packages, which plants it has no rule for.
func TestGuardDogComparison(t *testing.T) {
	bin := testdist.Tool(t, "guarddog")
	dir, home := t.TempDir(), t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, p := range scantest.Packages() {
		root, err := p.Write(dir)
		if err != nil {
			t.Fatal(err)
		}
		ours, err := Dir(ctx, root)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := GuardDog(ctx, bin, home, root)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		rules := make([]string, 0, len(theirs))
		for r := range theirs {
			rules = append(rules, r)
		}
		sort.Strings(rules)
		var kinds []string
		for _, f := range ours {
			if f.Severity.Rank() >= 2 {
				kinds = append(kinds, string(f.Severity)+" "+string(f.Kind))
			}
		}
		t.Logf("%s: scan %v; guarddog %v", p.Name, kinds, rules)
		if !p.Hostile && len(rules) > 0 {
			t.Logf("DIFF %s (benign): guarddog reports %v, scan nothing of medium or more", p.Name, rules)
		}
		for _, pl := range p.Plants {
			if !hasHigh(ours, pl.Kind) {
				t.Errorf("%s: scan missed %s", p.Name, pl.What)
			}
			if len(pl.GuardDog) == 0 {
				t.Logf("DIFF %s: guarddog claims no rule for %s", p.Name, pl.What)
				continue
			}
			found := false
			for _, r := range pl.GuardDog {
				if _, ok := theirs[r]; ok {
					found = true
				}
			}
			switch {
			case found && pl.GuardDogMisses:
				t.Logf("DIFF %s: guarddog now finds %s (GuardDogMisses can go)", p.Name, pl.What)
			case !found && pl.GuardDogMisses:
				t.Logf("DIFF %s: guarddog misses %s (none of %v matched)", p.Name, pl.What, pl.GuardDog)
			case !found:
				t.Errorf("%s: guarddog missed %s (none of %v matched; it gave %v)", p.Name, pl.What, pl.GuardDog, rules)
			}
		}
	}
}
