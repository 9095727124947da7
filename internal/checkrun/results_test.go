package checkrun

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The result files the test step reads back were written inside the sandbox, by code of
// the package: they are parsed strictly and read through a cap.
func TestResultFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// pytest's JUnit XML: one testsuite under testsuites (pytest 5.1+), or at the root.
	for _, body := range []string{
		`<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1" failures="2" skipped="1" tests="9" time="0.1"></testsuite></testsuites>`,
		`<testsuite name="pytest" errors="1" failures="2" skipped="1" tests="9"></testsuite>`,
	} {
		got, err := readJUnit(write("junit.xml", body))
		if err != nil || got.Passed != 5 || got.Failed != 2 || got.Errors != 1 {
			t.Errorf("readJUnit(%s) = %+v, %v; want 5 passed, 2 failed, 1 error", body, got, err)
		}
	}
	if _, err := readJUnit(write("bad.xml", "<testsuite")); err == nil {
		t.Error("a broken JUnit file was read")
	}
	// Negative counts do not make negative tests.
	if got, _ := readUnittest(write("r.json", `{"passed": -5, "failed": 1, "errors": 0}`)); got.Passed != 0 || got.Failed != 1 {
		t.Errorf("readUnittest: %+v", got)
	}
	if pct, err := readCoverage(write("c.json", `{"totals": {"percent_covered": 87.5}}`)); err != nil || pct != 87.5 {
		t.Errorf("readCoverage: %v %v", pct, err)
	}
	if _, err := readCoverage(write("c2.json", `{"totals": {}}`)); err == nil {
		t.Error("coverage without totals was read")
	}
	if pct, _ := readCoverage(write("c3.json", `{"totals": {"percent_covered": 1e9}}`)); pct != 100 {
		t.Errorf("coverage over 100: %v", pct)
	}
	// Over the cap: refused, not read whole.
	big := write("big.json", `{"passed": 1, "pad": "`+strings.Repeat("x", maxResultFile)+`"}`)
	if _, err := readUnittest(big); err == nil || !strings.Contains(err.Error(), "over") {
		t.Errorf("a result over the cap: %v", err)
	}
}
