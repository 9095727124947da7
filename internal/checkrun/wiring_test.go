package checkrun_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/checkrun"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/metastore/sqlite"
	"github.com/pydepot/pydepot/internal/osv"
)

// The vulns step is osv's FileFindings: a record for the checked version, written for the
// test and imported into a local OSV database, is a finding of the report; Wire puts
// strace in front of the sandboxed commands, whose traces are raw data of the report.
func TestWiredVulnsAndTraces(t *testing.T) {
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "pydepot.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	vulns := osv.New(store, osv.Limits{})
	db := t.TempDir()
	record := `{"schema_version": "1.6.0", "id": "PYSEC-2099-1", "modified": "2099-01-02T03:04:05Z",
  "summary": "hooked runs code at start", "aliases": ["CVE-2099-0001"],
  "affected": [{"package": {"ecosystem": "PyPI", "name": "hooked"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.1"}]}]}]}`
	if err := os.WriteFile(filepath.Join(db, "PYSEC-2099-1.json"), []byte(record), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := vulns.Import(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Vulns = vulns.FileFindings
	whl := writeWheel(t, t.TempDir(), "hooked", "2.0", hookedFiles)
	in := input(t, whl)
	r, err := checkrun.New(cfg).Check(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if v := task(t, r, checkreport.StepVulns); v.Status != checkreport.Passed {
		t.Fatalf("vulns: %s %s", v.Status, v.Error)
	}
	if !hasFinding(r, checkreport.StepVulns, checkreport.Vulnerability, "PYSEC-2099-1") {
		t.Errorf("no finding of PYSEC-2099-1:\n%s", dump(r))
	}
	traced := map[string]bool{}
	for _, raw := range r.Raw {
		data, err := os.ReadFile(filepath.Join(in.Dir, raw.Path))
		if err != nil || int64(len(data)) != raw.Size || !strings.Contains(string(data), "execve(") {
			t.Errorf("raw %s of %s: %d bytes (%v), want a trace of %d bytes", raw.Name, raw.Task, len(data), err, raw.Size)
		}
		traced[raw.Task] = true
	}
	for _, step := range []string{checkreport.StepInstall, checkreport.StepImport} {
		if !traced[step] {
			t.Errorf("no trace of %s among the raw data %+v", step, r.Raw)
		}
	}
}
