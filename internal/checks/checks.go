package checks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/tasks"
)

// TaskKind is the task kind of a check; its args are Args, its result a Result.
const TaskKind = "check"

// Args are the args of a "check" task.
type Args struct {
	Repository string `json:"repository"`
	Filename   string `json:"filename"`
	// Python is the target Python version ("3.11"); "" lets the pipeline choose.
	Python string `json:"python,omitempty"`
}

// Result is a "check" task's result: the report stored.
type Result struct {
	Report     int64               `json:"report"`
	Repository string              `json:"repository"`
	Filename   string              `json:"filename"`
	Verdict    checkreport.Verdict `json:"verdict"`
}

// Bounds of what a check stores.
const (
	// DefaultMaxReportBytes caps a report's JSON; the step logs go first, then findings
	// past MaxFindings, when it is larger.
	DefaultMaxReportBytes = 4 << 20
	// DefaultMaxRawBytes caps one piece of raw data (the rest is cut and the log says so).
	DefaultMaxRawBytes = 64 << 20
	// MaxRaw is the most pieces of raw data one report keeps.
	MaxRaw = 100
	// MaxFindings is the most findings a report over its cap keeps.
	MaxFindings = 1000
)

// Options tunes a Service; zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	// TempDir holds each check's folder (check-*), removed when the check ends; "" is
	// os.TempDir().
	TempDir        string
	MaxReportBytes int64
	MaxRawBytes    int64
}

// Service runs and stores checks.
type Service struct {
	idx    *index.Service
	store  metastore.Store
	queue  tasks.Queue
	runner checkreport.Runner
	opts   Options
	log    *slog.Logger
	now    func() time.Time
}

// New returns the checks service over the index (which opens the files and holds the
// stores), the task queue (nil: Queue refuses) and the runner of checks.
func New(idx *index.Service, queue tasks.Queue, runner checkreport.Runner, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.TempDir == "" {
		opts.TempDir = os.TempDir()
	}
	if opts.MaxReportBytes <= 0 {
		opts.MaxReportBytes = DefaultMaxReportBytes
	}
	if opts.MaxRawBytes <= 0 {
		opts.MaxRawBytes = DefaultMaxRawBytes
	}
	return &Service{idx: idx, store: idx.Store(), queue: queue, runner: runner, opts: opts, log: opts.Logger,
		now: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }}
}

// Register registers the "check" task kind on q and makes the index queue a check of
// every file uploaded to a repository with CheckOnUpload (serve calls it before the queue
// starts).
func (s *Service) Register(q tasks.Queue) {
	q.Register(TaskKind, func(ctx context.Context, run tasks.Run) (any, error) {
		var a Args
		if err := json.Unmarshal(run.Args(), &a); err != nil {
			return nil, fmt.Errorf("check task arguments: %v: %w", err, errs.ErrInvalid)
		}
		return s.Check(ctx, a, run)
	})
	if s.queue == nil {
		s.queue = q
	}
	s.idx.SetUploadHook(s.onUpload)
}

// onUpload queues the check of an uploaded file; a failure is logged (the upload stands,
// and a distribution requiring checks keeps the file quarantined).
func (s *Service) onUpload(ctx context.Context, repo string, f *index.File) {
	id, err := s.Queue(context.WithoutCancel(ctx), Args{Repository: repo, Filename: f.Filename})
	if err != nil {
		s.log.Warn("check on upload: queueing the check failed", "repository", repo, "filename", f.Filename, "err", err)
		return
	}
	s.log.Info("check queued", "repository", repo, "filename", f.Filename, "task", id)
}

// Queue checks the request (the repository's latest version holds the file) and
// enqueues a check task, returning its ID.
func (s *Service) Queue(ctx context.Context, a Args) (int64, error) {
	if err := s.validate(ctx, a); err != nil {
		return 0, err
	}
	if s.queue == nil {
		return 0, fmt.Errorf("checks need the task queue, and this server has none: %w", errs.ErrInvalid)
	}
	return s.queue.Enqueue(ctx, TaskKind, a)
}

func (s *Service) validate(ctx context.Context, a Args) error {
	if a.Repository == "" || a.Filename == "" {
		return fmt.Errorf("a check needs a repository and a filename: %w", errs.ErrInvalid)
	}
	if len(a.Python) > 16 {
		return fmt.Errorf("python version %.16q...: too long: %w", a.Python, errs.ErrInvalid)
	}
	_, err := s.idx.File(ctx, latest(a.Repository), a.Filename)
	if err != nil {
		return fmt.Errorf("repository %s, file %s: %w", a.Repository, a.Filename, err)
	}
	return nil
}

// latest is the distribution that reads a repository's latest version, with no
// quarantine: what a check reads.
func latest(repo string) *index.Distribution { return &index.Distribution{Repository: repo} }

// Run is where a check reports to (tasks.Run, or a caller's own); its methods must be
// safe for concurrent use.
type Run interface {
	ID() int64
	SetProgress(p tasks.Progress)
	Logf(format string, a ...any)
}

// attempter is the optional side of a Run that knows its attempt.
type attempter interface{ Attempt() int }

// Check runs one check now and stores its report: the "check" task's handler. An error
// of the runner fails the check (no report is stored); the context ending (a cancel, the
// server stopping) stops it.
func (s *Service) Check(ctx context.Context, a Args, run Run) (*Result, error) {
	if err := s.validate(ctx, a); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(s.opts.TempDir, "check-*")
	if err != nil {
		return nil, fmt.Errorf("a folder for the check: %w", err)
	}
	defer os.RemoveAll(dir)
	started := s.now()
	in := checkreport.Input{
		Repository: a.Repository, Filename: a.Filename, Python: a.Python, Dir: dir,
		Open: func(ctx context.Context) (io.ReadCloser, error) {
			of, err := s.idx.OpenFile(ctx, latest(a.Repository), a.Filename, 0)
			if err != nil {
				return nil, err
			}
			return of.Body, nil
		},
		Logf: run.Logf,
		Progress: func(done, total int) {
			run.SetProgress(tasks.Progress{DoneItems: int64(done), TotalItems: int64(total)})
		},
	}
	run.Logf("checking %s of repository %s", a.Filename, a.Repository)
	rep, err := s.runner.Check(ctx, in)
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, context.Canceled) {
			err = fmt.Errorf("%v: %w", err, ctx.Err())
		}
		return nil, fmt.Errorf("check of %s: %w", a.Filename, err)
	}
	if rep == nil {
		return nil, fmt.Errorf("check of %s: the runner gave no report", a.Filename)
	}
	rep.File, rep.Repository, rep.Python = a.Filename, a.Repository, firstOf(rep.Python, a.Python)
	if rep.StartedAt.IsZero() {
		rep.StartedAt = started
	}
	if rep.FinishedAt.IsZero() {
		rep.FinishedAt = s.now()
	}
	rep.Verdict = checkreport.Decide(rep)
	normalize(rep)
	attempt := 0
	if at, ok := run.(attempter); ok {
		attempt = at.Attempt()
	}
	id, err := s.storeReport(ctx, a, rep, dir, run.ID(), attempt, run.Logf)
	if err != nil {
		return nil, err
	}
	run.Logf("%s", rep.Summary())
	return &Result{Report: id, Repository: a.Repository, Filename: a.Filename, Verdict: rep.Verdict}, nil
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// normalize gives the report's lists their empty form instead of null, so that its JSON
// always has the arrays `pydepot check --json` promises.
func normalize(rep *checkreport.Report) {
	if rep.Tasks == nil {
		rep.Tasks = []checkreport.Task{}
	}
	if rep.Findings == nil {
		rep.Findings = []checkreport.Finding{}
	}
	for i := range rep.Tasks {
		if rep.Tasks[i].Needs == nil {
			rep.Tasks[i].Needs = []string{}
		}
		if rep.Tasks[i].Produces == nil {
			rep.Tasks[i].Produces = []string{}
		}
	}
}
