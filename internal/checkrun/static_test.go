package checkrun_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/pydepot/pydepot/internal/checkrun"

	"github.com/pydepot/pydepot/internal/checkreport"
)

// Scan and Lint are called on the unpacked file (the sdist's PKG-INFO is there); their
// findings are the report's, under their step's name; a step whose function fails is
// failed (warn) and skips nothing else.
func TestStaticSteps(t *testing.T) {
	src := writeSdist(t, t.TempDir(), "benign", "1.0", benignFiles, "helperlib")
	cfg := testConfig(t, debianWheels(t)...)
	var scanned string
	cfg.Scan = func(ctx context.Context, root string) ([]checkreport.Finding, error) {
		scanned = root
		if _, err := os.Stat(filepath.Join(root, "benign-1.0", "PKG-INFO")); err != nil {
			return nil, err
		}
		return []checkreport.Finding{{Kind: checkreport.SetupNetwork, Severity: checkreport.Low, Detail: "setup.py: nothing really"}}, nil
	}
	cfg.Lint = func(ctx context.Context, root string) ([]checkreport.Finding, error) {
		return nil, errors.New("the linter broke")
	}
	r, err := checkrun.New(cfg).Check(t.Context(), input(t, src))
	if err != nil {
		t.Fatal(err)
	}
	if s := task(t, r, checkreport.StepScan); s.Status != checkreport.Passed {
		t.Fatalf("scan on %s: %s %s", scanned, s.Status, s.Error)
	}
	if !hasFinding(r, checkreport.StepScan, checkreport.SetupNetwork, "nothing really") {
		t.Errorf("the scan's finding is not in the report:\n%s", dump(r))
	}
	if l := task(t, r, checkreport.StepLint); l.Status != checkreport.Failed || l.Error != "the linter broke" {
		t.Errorf("lint: %s %q", l.Status, l.Error)
	}
	// helperlib is missing from this index: resolve fails, but scan and lint ran anyway.
	if task(t, r, checkreport.StepResolve).Status != checkreport.Failed {
		t.Errorf("resolve passed without helperlib")
	}
}
