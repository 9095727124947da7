package checkrun_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/checkrun"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/testdist"
)

// realWheels packs the distributions installed in the pinned twine client's environment
// (31 real projects from PyPI: twine, requests, rich, cryptography, ...) back into
// wheels with testdist.Rebuild.
func realWheels(tb testing.TB) []string {
	tb.Helper()
	tools, err := testdist.ToolsDir()
	if err != nil {
		tb.Fatal(err)
	}
	sites, _ := filepath.Glob(filepath.Join(tools, "twine", "lib", "python3.*", "site-packages"))
	if len(sites) != 1 {
		tb.Fatalf("no site-packages of the pinned twine under %s: run make test-deps", tools)
	}
	infos, _ := filepath.Glob(filepath.Join(sites[0], "*.dist-info"))
	out := tb.TempDir()
	var wheels []string
	for _, di := range infos {
		w, err := testdist.Rebuild(di, out)
		if err != nil {
			tb.Fatalf("rebuilding %s: %v", filepath.Base(di), err)
		}
		wheels = append(wheels, w)
	}
	slices.Sort(wheels)
	return wheels
}

// BenchmarkChecksPerHour checks 20 real distributions (wheels of PyPI projects, with
// their dependencies on the test index) one after the other, in the sandbox under
// tracing, and reports checks per hour on this machine.
func BenchmarkChecksPerHour(b *testing.B) {
	wheels := realWheels(b)
	if len(wheels) < 20 {
		b.Fatalf("only %d real distributions", len(wheels))
	}
	cfg := benchConfig(b, wheels...)
	p := checkrun.New(cfg)
	b.ResetTimer()
	start := time.Now()
	checks := 0
	for range b.N {
		for _, w := range wheels[:20] {
			in := checkreport.Input{Repository: "main", Filename: filepath.Base(w), Dir: b.TempDir(),
				Open: openFile(w)}
			r, err := p.Check(b.Context(), in)
			if err != nil {
				b.Fatal(err)
			}
			if tk := r.Task(checkreport.StepInstall); tk == nil || tk.Status != checkreport.Passed {
				b.Fatalf("%s: install did not pass:\n%s", filepath.Base(w), dump(r))
			}
			if tk := r.Task(checkreport.StepImport); tk.Status != checkreport.Passed && !strings.Contains(tk.Log, "FAILED") {
				b.Fatalf("%s: import: %s %s", filepath.Base(w), tk.Status, tk.Error)
			}
			if checks < 20 {
				b.Logf("%s: %s", filepath.Base(w), r.Summary())
			}
			checks++
			os.RemoveAll(in.Dir)
		}
	}
	b.ReportMetric(float64(checks)/time.Since(start).Hours(), "checks/hour")
}
