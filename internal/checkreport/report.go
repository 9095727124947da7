// Package checkreport holds the shape of a check's report (what `pydepot check --json`
// prints and /api/checks serves) and the verdict rule, in one leaf package that the
// check's steps (trace, scan, lint, vulns), the pipeline and the checks domain all use.
package checkreport

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Severity ranks a finding.
type Severity string

// The severities, lowest first.
const (
	Info   Severity = "info"
	Low    Severity = "low"
	Medium Severity = "medium"
	High   Severity = "high"
)

// Rank orders severities: Info 0 … High 3; an unknown severity ranks -1.
func (s Severity) Rank() int {
	switch s {
	case Info:
		return 0
	case Low:
		return 1
	case Medium:
		return 2
	case High:
		return 3
	}
	return -1
}

// Kind names what a finding is about.
type Kind string

// The kinds of finding. The trace gives network, write-outside, exec, pth and
// read-secrets; scan gives the static ones; lint and vulns give their own.
const (
	Network      Kind = "network"
	WriteOutside Kind = "write-outside"
	Exec         Kind = "exec"
	Pth          Kind = "pth"
	ReadSecrets  Kind = "read-secrets"
	// Limit: the package was stopped by a sandbox limit (time, memory, processes, output).
	Limit Kind = "limit"
	// Static red flags found by scan.
	Obfuscation   Kind = "obfuscation"
	Exfiltration  Kind = "exfiltration"
	SetupNetwork  Kind = "setup-network"
	SetupExec     Kind = "setup-exec"
	InstallFetch  Kind = "install-download"
	Lint          Kind = "lint"
	Vulnerability Kind = "vulnerability"
)

// Finding is one thing a step found.
type Finding struct {
	Task     string   `json:"task"`
	Kind     Kind     `json:"kind"`
	Severity Severity `json:"severity"`
	Detail   string   `json:"detail"`
}

// Status is what became of one step.
type Status string

// The statuses of a step.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// Task is one step of the check, as the report shows it.
type Task struct {
	Name       string   `json:"name"`
	Status     Status   `json:"status"`
	DurationMS int64    `json:"duration_ms"`
	Needs      []string `json:"needs"`
	Produces   []string `json:"produces"`
	// Error says why the step failed, or which failed step it was skipped for.
	Error string `json:"error,omitempty"`
	// Log is the step's own log (bounded by the pipeline).
	Log string `json:"log,omitempty"`
}

// Tests counts the package's own unit tests, as the test step ran them.
type Tests struct {
	Passed int `json:"passed"`
	Failed int `json:"failed"`
	Errors int `json:"errors"`
	// Coverage is the line coverage of the package's own modules, 0..100, when coverage
	// was in the wheelhouse; nil otherwise.
	Coverage *float64 `json:"coverage,omitempty"`
}

// Verdict is the outcome of a check.
type Verdict string

// The verdicts.
const (
	Pass Verdict = "pass"
	Warn Verdict = "warn"
	Fail Verdict = "fail"
)

// Report is a check's whole result.
type Report struct {
	File       string    `json:"file"`
	Repository string    `json:"repository,omitempty"`
	Verdict    Verdict   `json:"verdict"`
	Tasks      []Task    `json:"tasks"`
	Findings   []Finding `json:"findings"`
	Tests      Tests     `json:"tests"`
	Python     string    `json:"python,omitempty"`
	Raw        []Raw     `json:"raw,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
}

// Task names of the pipeline, as the report shows them.
const (
	StepResolve     = "resolve"
	StepBuild       = "build"
	StepInstall     = "install"
	StepImport      = "import"
	StepTest        = "test"
	StepLint        = "lint"
	StepScan        = "scan"
	StepTraceReport = "trace-report"
	StepVulns       = "vulns"
)

// Task returns the named step, or nil.
func (r *Report) Task(name string) *Task {
	for i := range r.Tasks {
		if r.Tasks[i].Name == name {
			return &r.Tasks[i]
		}
	}
	return nil
}

// Decide returns the verdict the rules give for the report: fail when any finding is
// high or when install or import did not pass (failed, or skipped because an earlier
// step failed); warn when any other step failed or any finding is medium; pass otherwise.
// A wheel's check has no build step; its absence is not a failure.
func Decide(r *Report) Verdict {
	v := Pass
	for _, f := range r.Findings {
		switch f.Severity {
		case High:
			return Fail
		case Medium:
			v = Warn
		}
	}
	for _, name := range []string{StepInstall, StepImport} {
		t := r.Task(name)
		if t == nil || t.Status != Passed {
			return Fail
		}
	}
	for _, t := range r.Tasks {
		if t.Status == Failed {
			v = Warn
		}
	}
	if r.Tests.Failed > 0 || r.Tests.Errors > 0 {
		v = Warn
	}
	return v
}

// Summary is one line for people: "pass: 9 tasks, 0 findings, tests 3/0/0".
func (r *Report) Summary() string {
	return fmt.Sprintf("%s: %d tasks, %d findings, tests passed %d failed %d errors %d",
		r.Verdict, len(r.Tasks), len(r.Findings), r.Tests.Passed, r.Tests.Failed, r.Tests.Errors)
}

// Raw is one piece of raw data a step kept (a trace, a test log), stored beside the
// report and served at /api/checks/{id}/raw/{name}.
type Raw struct {
	Task string `json:"task"`
	Name string `json:"name"`
	Size int64  `json:"size"`
	// Path is where the pipeline left it, relative to Input.Dir; the checks domain
	// stores it and then removes Input.Dir.
	Path string `json:"-"`
}

// Input is what a check is run on.
type Input struct {
	Repository string
	Filename   string
	// Open opens the file's bytes (it may be called more than once).
	Open func(ctx context.Context) (io.ReadCloser, error)
	// Python is the target Python version ("3.11"); "" lets the pipeline choose.
	Python string
	// Dir is an empty folder the pipeline owns for this check (work, sandbox output,
	// raw data); the caller removes it afterwards.
	Dir string
	// Logf and Progress report to the task running the check; either may be nil.
	Logf     func(format string, a ...any)
	Progress func(done, total int)
}

// Runner runs a check: the pipeline of internal/checkrun implements it.
type Runner interface {
	Check(ctx context.Context, in Input) (*Report, error)
}
