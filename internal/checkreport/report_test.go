package checkreport

import "testing"

func passing() *Report {
	r := &Report{File: "a-1.0-py3-none-any.whl"}
	for _, n := range []string{StepResolve, StepInstall, StepImport, StepTest, StepLint, StepScan, StepTraceReport, StepVulns} {
		r.Tasks = append(r.Tasks, Task{Name: n, Status: Passed})
	}
	return r
}

func TestDecide(t *testing.T) {
	if v := Decide(passing()); v != Pass {
		t.Fatalf("clean report: %s, want pass", v)
	}
	r := passing()
	r.Findings = append(r.Findings, Finding{Task: StepTraceReport, Kind: Network, Severity: High, Detail: "connect 1.2.3.4:80"})
	if v := Decide(r); v != Fail {
		t.Errorf("high finding: %s, want fail", v)
	}
	r = passing()
	r.Findings = append(r.Findings, Finding{Task: StepScan, Kind: Obfuscation, Severity: Medium})
	if v := Decide(r); v != Warn {
		t.Errorf("medium finding: %s, want warn", v)
	}
	r = passing()
	r.Task(StepImport).Status = Failed
	if v := Decide(r); v != Fail {
		t.Errorf("import failed: %s, want fail", v)
	}
	r = passing()
	r.Task(StepInstall).Status = Skipped
	if v := Decide(r); v != Fail {
		t.Errorf("install skipped: %s, want fail", v)
	}
	r = passing()
	r.Task(StepLint).Status = Failed
	if v := Decide(r); v != Warn {
		t.Errorf("lint failed: %s, want warn", v)
	}
	r = passing()
	r.Tests.Failed = 1
	if v := Decide(r); v != Warn {
		t.Errorf("a failing unit test: %s, want warn", v)
	}
}

func TestSeverityRank(t *testing.T) {
	if !(Info.Rank() < Low.Rank() && Low.Rank() < Medium.Rank() && Medium.Rank() < High.Rank()) {
		t.Fatal("severities out of order")
	}
	if Severity("bogus").Rank() != -1 {
		t.Fatal("unknown severity ranks")
	}
}
