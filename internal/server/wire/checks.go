package wire

import (
	"encoding/json"
	"time"
)

// CheckRequest is the body of POST /api/checks: check one file of a repository.
type CheckRequest struct {
	Repository string `json:"repository"`
	Filename   string `json:"filename"`
	Python     string `json:"python,omitempty"` // target Python ("3.11"); "" lets the pipeline choose
}

// CheckStarted answers POST /api/checks: the check's task.
type CheckStarted struct {
	Task int64 `json:"task"`
}

// CheckSummary is one stored check report, without the report.
type CheckSummary struct {
	ID         int64     `json:"id"`
	Repository string    `json:"repository"`
	Filename   string    `json:"filename"`
	Project    string    `json:"project"`
	Verdict    string    `json:"verdict"`
	Task       int64     `json:"task,omitempty"`
	Attempt    int       `json:"attempt,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// CheckList answers GET /api/checks?repository=R[&filename=F]: newest first;
// NextBefore, when set, is the before= of the next page.
type CheckList struct {
	Checks     []CheckSummary `json:"checks"`
	NextBefore int64          `json:"next_before,omitempty"`
}

// CheckReport answers GET /api/checks/{id}: the summary, the report (the JSON of
// `pydepot check --json`: file, verdict, tasks, findings, tests, raw) and the URL path
// of each piece of raw data.
type CheckReport struct {
	CheckSummary
	Report json.RawMessage `json:"report"`
	Raw    []CheckRaw      `json:"raw_data"`
}

// CheckRaw is one piece of raw data of a report, served at URL.
type CheckRaw struct {
	Name string `json:"name"`
	Task string `json:"task"`
	Size int64  `json:"size"`
	URL  string `json:"url"`
}

// RepositoryUpdate is the body of PATCH /api/repositories/{name}: absent fields keep
// their value.
type RepositoryUpdate struct {
	CheckOnUpload *bool `json:"check_on_upload,omitempty"`
}
