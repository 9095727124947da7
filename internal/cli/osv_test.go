package cli

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/backends"
)

// osvZip writes an OSV dump of two PyPI records (one invalid when bad) as all.zip.
func osvZip(t *testing.T, bad bool) string {
	t.Helper()
	recs := map[string]string{
		"PYSEC-2024-1": `{"id":"PYSEC-2024-1","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2024-1"],"summary":"bad thing",
			"affected":[{"package":{"ecosystem":"PyPI","name":"Demo_Pkg"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.10"}]}]}]}`,
		"GHSA-aaaa-bbbb-cccc": `{"id":"GHSA-aaaa-bbbb-cccc","modified":"2024-01-01T00:00:00Z","withdrawn":"2024-02-01T00:00:00Z",
			"affected":[{"package":{"ecosystem":"PyPI","name":"demo-pkg"},"versions":["1.9"]}]}`,
	}
	if bad {
		recs["PYSEC-BAD"] = `{"id":"PYSEC-BAD","affected":[{"package":{"ecosystem":"PyPI","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"1"}]}]}]}`
	}
	path := filepath.Join(t.TempDir(), "all.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for id, body := range recs {
		w, _ := zw.Create(id + ".json")
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

func TestOSVImportAndShow(t *testing.T) {
	data := t.TempDir()
	// osv import never creates a store.
	code, _, errb := cliRun(t, "", "", "osv", "import", osvZip(t, false), "--data", data)
	if code == 0 || !strings.Contains(errb, "does not exist") {
		t.Fatalf("import into a missing store: exit %d, %s", code, errb)
	}
	_, closeIndex, err := backends.OpenDir(t.Context(), data, nil)
	if err != nil {
		t.Fatal(err)
	}
	closeIndex()

	code, _, errb = cliRun(t, "", "", "osv", "import", osvZip(t, true), "--data", data)
	if code == 0 || !strings.Contains(errb, "PYSEC-BAD.json") || !strings.Contains(errb, "no introduced") {
		t.Errorf("invalid dump: exit %d, stderr %s", code, errb)
	}
	code, out, errb := cliRun(t, "", "", "osv", "import", osvZip(t, true), "--data", data, "--skip-invalid")
	if code != 0 || !strings.Contains(out, "skipped 1 invalid record(s)") || !strings.Contains(out, "2 added") || !strings.Contains(errb, "PYSEC-BAD.json") {
		t.Errorf("--skip-invalid: exit %d\n%s%s", code, out, errb)
	}
	data = t.TempDir()
	_, closeIndex, err = backends.OpenDir(t.Context(), data, nil)
	if err != nil {
		t.Fatal(err)
	}
	closeIndex()
	out = mustRun(t, "", "osv", "import", osvZip(t, false), "--data", data)
	if !strings.Contains(out, "read 2 record(s)") || !strings.Contains(out, "2 added") || !strings.Contains(out, "1 withdrawn") ||
		!strings.Contains(out, "holds 2 record(s)") {
		t.Errorf("import output: %s", out)
	}
	dbURL, _ := backends.DataURLs(data)
	code, out, errb = cliRun(t, "", "", "osv", "import", osvZip(t, false), "--database", dbURL)
	if code != 0 || !strings.Contains(out, "2 unchanged") {
		t.Errorf("second import by --database: exit %d\n%s%s", code, out, errb)
	}
	out = mustRun(t, "", "osv", "show", "demo.pkg", "1.9", "--data", data)
	if !strings.Contains(out, "PYSEC-2024-1") || !strings.Contains(out, "CVE-2024-1") || !strings.Contains(out, "1.10") ||
		!strings.Contains(out, "GHSA-aaaa-bbbb-cccc") || !strings.Contains(out, "withdrawn") {
		t.Errorf("show demo.pkg 1.9:\n%s", out)
	}
	out = mustRun(t, "", "osv", "show", "demo-pkg", "1.10", "--data", data)
	if !strings.Contains(out, "no known vulnerability") {
		t.Errorf("show demo-pkg 1.10:\n%s", out)
	}
	// Completion offers zip files for the source.
	out = mustRun(t, "", "__complete", "osv", "import", "")
	if !strings.Contains(out, "zip") {
		t.Errorf("completion of osv import: %q", out)
	}
	if got := complete(t, "", "osv", ""); !strings.Contains(strings.Join(got, " "), "import") || !strings.Contains(strings.Join(got, " "), "show") {
		t.Errorf("completion of osv: %q", got)
	}
}
