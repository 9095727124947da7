package scan

import (
	"context"
	"testing"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/scan/scantest"
)

// TestPackages: the benign packages give no high or medium finding, and each hostile
// package gives a high finding of every kind it plants.
func TestPackages(t *testing.T) {
	dir := t.TempDir()
	for _, p := range scantest.Packages() {
		t.Run(p.Name, func(t *testing.T) {
			root, err := p.Write(dir)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Dir(context.Background(), root)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range got {
				t.Logf("%s %s %s", f.Severity, f.Kind, f.Detail)
				if f.Task != checkreport.StepScan {
					t.Errorf("finding of task %q", f.Task)
				}
				if !p.Hostile && f.Severity.Rank() >= checkreport.Medium.Rank() {
					t.Errorf("benign package: %s finding %s: %s", f.Severity, f.Kind, f.Detail)
				}
			}
			for _, pl := range p.Plants {
				if !hasHigh(got, pl.Kind) {
					t.Errorf("planted %s (%s): no high %s finding", pl.What, pl.Kind, pl.Kind)
				}
			}
		})
	}
}

func hasHigh(fs []checkreport.Finding, k checkreport.Kind) bool {
	for _, f := range fs {
		if f.Kind == k && f.Severity == checkreport.High {
			return true
		}
	}
	return false
}
