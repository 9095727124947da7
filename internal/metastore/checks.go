package metastore

import (
	"context"
	"time"
)

// CheckReport is a check_reports row: one finished check of a file of a repository.
// Report is the JSON report (opaque to the store); its raw data are blobs (Raw).
type CheckReport struct {
	ID           int64
	RepositoryID int64
	Repository   string // set on read
	Filename     string
	Project      string // normalized
	TaskID       int64  // the task that ran it; 0 when none
	Attempt      int    // that task's attempt
	Verdict      string
	Report       []byte
	CreatedAt    time.Time
	Raw          []CheckRaw
}

// CheckRaw is one piece of raw data of a report, stored as a blob.
type CheckRaw struct {
	Name   string
	Task   string
	SHA256 string
	Size   int64
}

// MaxCheckReports is the most reports one CheckReports call returns.
const MaxCheckReports = 500

// CheckReader reads check reports and what quarantine needs.
type CheckReader interface {
	// CheckReports lists the reports of the repository, newest first: of one file when
	// filename is not "", at most limit (MaxCheckReports when 0 or more), only those
	// older than beforeID when it is not 0. Report and Raw are left empty.
	CheckReports(ctx context.Context, repoID int64, filename string, limit int, beforeID int64) ([]CheckReport, error)
	// CheckReport returns one report with its JSON and raw data; ErrNotFound.
	CheckReport(ctx context.Context, id int64) (*CheckReport, error)
	// LatestCheckReport returns the newest report of a file, with its JSON and raw
	// data; ErrNotFound when the file was never checked.
	LatestCheckReport(ctx context.Context, repoID int64, filename string) (*CheckReport, error)
	// PassedFiles returns the filenames of project (normalized) in the repository whose
	// latest report's verdict is "pass", in one query.
	PassedFiles(ctx context.Context, repoID int64, project string) ([]string, error)
	// CheckVerdict returns the verdict of a file's latest report; "" when none.
	CheckVerdict(ctx context.Context, repoID int64, filename string) (string, error)
}

// CheckWriter stores check reports and the check settings of repositories.
type CheckWriter interface {
	// AddCheckReport inserts r with its raw rows (whose blobs are stored already), sets
	// r.ID and makes it the file's latest report, unless the latest is of the same task
	// (TaskID != 0) and a later attempt: a superseded attempt that still finishes (its
	// process thought dead) never replaces what the retry stored.
	AddCheckReport(ctx context.Context, r *CheckReport) error
	// SetCheckOnUpload sets the repository's check_on_upload; ErrNotFound.
	SetCheckOnUpload(ctx context.Context, repoID int64, on bool) error
}
