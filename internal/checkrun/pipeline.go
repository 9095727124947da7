package checkrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pydepot/pydepot/internal/archives"
	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/inspect"
	"github.com/pydepot/pydepot/internal/interpreters"
	"github.com/pydepot/pydepot/internal/taskgraph"
)

// Pipeline runs checks. It is safe for concurrent use: each Check has its own state.
type Pipeline struct {
	cfg Config
}

// New returns the pipeline of cfg (defaults applied).
func New(cfg Config) *Pipeline {
	cfg.defaults()
	return &Pipeline{cfg: cfg}
}

// Data keys the steps exchange.
var (
	keyWheelhouse = taskgraph.NewKey[*wheelhouse]("wheelhouse")
	keyWheel      = taskgraph.NewKey[*builtWheel]("wheel")
	keyEnv        = taskgraph.NewKey[*environment]("env")
)

// check is the state of one Check.
type check struct {
	p      *Pipeline
	cfg    *Config
	in     checkreport.Input
	dir    string // Input.Dir, absolute
	file   string // the checked file, in dir
	dist   filenames.Dist
	info   *inspect.Info
	src    string // the unpacked file
	tree   string // an sdist's source tree (src/name-version), or src
	interp *interpreters.Interpreter

	mu       sync.Mutex
	findings []checkreport.Finding
	tests    checkreport.Tests
	traces   []trace
	runs     map[string]int // sandboxed commands per step, for trace file names
}

// trace is a trace file a step left.
type trace struct {
	step, host string
	policy     TracePolicy
}

func (c *check) addFindings(task string, fs []checkreport.Finding) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range fs {
		if f.Task == "" {
			f.Task = task
		}
		c.findings = append(c.findings, f)
	}
}

// Check runs the check of in and returns its report. An error means the file could not
// be checked at all (unreadable, not a distribution, no interpreter of the version, a
// Config without Exec or Source); everything after that is in the report.
func (p *Pipeline) Check(ctx context.Context, in checkreport.Input) (*checkreport.Report, error) {
	if p.cfg.Exec == nil || p.cfg.Source == nil {
		return nil, fmt.Errorf("checkrun: a Config needs Exec and Source: %w", errs.ErrInvalid)
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	started := time.Now()
	c := &check{p: p, cfg: &p.cfg, in: in, runs: map[string]int{}}
	if err := c.prepare(ctx); err != nil {
		return nil, fmt.Errorf("check of %s: %w", in.Filename, err)
	}
	g, err := taskgraph.New(c.tasks()...)
	if err != nil {
		return nil, fmt.Errorf("checkrun: %w", err) // a bug of this package
	}
	g.LogLimit = p.cfg.LogLimit
	done := 0
	g.Done = func(taskgraph.Result) {
		done++
		if in.Progress != nil {
			in.Progress(done, len(g.Tasks()))
		}
	}
	results := g.Run(ctx, p.cfg.Parallel)
	return c.report(started, results), nil
}

// prepare copies, inspects and unpacks the file and finds the interpreter.
func (c *check) prepare(ctx context.Context) error {
	if c.in.Open == nil || c.in.Dir == "" {
		return fmt.Errorf("an Input needs Open and Dir: %w", errs.ErrInvalid)
	}
	dir, err := filepath.Abs(c.in.Dir)
	if err != nil {
		return err
	}
	c.dir = dir
	if c.dist, err = filenames.Parse(c.in.Filename); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "in"), 0o755); err != nil {
		return err
	}
	c.file = filepath.Join(dir, "in", c.dist.Filename)
	if err := c.copyIn(ctx); err != nil {
		return err
	}
	f, err := os.Open(c.file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if c.info, err = inspect.Inspect(ctx, c.dist.Filename, f, st.Size()); err != nil {
		return err
	}
	c.src = filepath.Join(dir, "src")
	if err := os.MkdirAll(c.src, 0o755); err != nil {
		return err
	}
	if err := unpack(ctx, f, st.Size(), c.dist, c.src); err != nil {
		return fmt.Errorf("unpacking: %w", err)
	}
	c.tree = c.src
	if c.dist.Kind == filenames.KindSdist {
		if ents, err := os.ReadDir(c.src); err == nil && len(ents) == 1 && ents[0].IsDir() {
			c.tree = filepath.Join(c.src, ents[0].Name())
		}
	}
	version := c.in.Python
	if version == "" {
		version = c.cfg.Python
	}
	if c.interp, err = c.cfg.Interpreter(ctx, version); err != nil {
		return err
	}
	return nil
}

// unpackLimits bound what a checked file may unpack to.
var unpackLimits = archives.Limits{MaxMembers: 50_000, MaxMemberSize: 256 << 20, MaxTotalSize: 2 << 30, MaxRatio: 200}

func unpack(ctx context.Context, f *os.File, size int64, d filenames.Dist, dir string) error {
	if d.Ext == ".tar.gz" {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		return archives.ExtractTarGz(ctx, f, dir, unpackLimits)
	}
	a, err := archives.OpenZip(f, size, unpackLimits)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Extract(ctx, dir)
}

func (c *check) copyIn(ctx context.Context) error {
	r, err := c.in.Open(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	out, err := os.Create(c.file)
	if err != nil {
		return err
	}
	n, err := io.Copy(out, io.LimitReader(r, c.cfg.MaxFileSize+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if n > c.cfg.MaxFileSize {
		return fmt.Errorf("%s is over the %d-byte limit of a checked file: %w", c.dist.Filename, c.cfg.MaxFileSize, errs.ErrTooLarge)
	}
	return nil
}

// tasks are the steps of the graph; steps whose function Config lacks are left out.
func (c *check) tasks() []taskgraph.Task {
	ts := []taskgraph.Task{
		{Name: checkreport.StepResolve, Produces: []string{keyWheelhouse.Name()}, Run: c.resolve},
		{Name: checkreport.StepBuild, Needs: []string{keyWheelhouse.Name()}, Produces: []string{keyWheel.Name()}, Run: c.build},
		{Name: checkreport.StepInstall, Needs: []string{keyWheelhouse.Name(), keyWheel.Name()}, Produces: []string{keyEnv.Name()}, Run: c.install},
		{Name: checkreport.StepImport, Needs: []string{keyWheel.Name(), keyEnv.Name()}, Run: c.importAll},
		{Name: checkreport.StepTest, Needs: []string{keyWheelhouse.Name(), keyWheel.Name(), keyEnv.Name()}, Run: c.test},
	}
	if c.cfg.Lint != nil {
		ts = append(ts, taskgraph.Task{Name: checkreport.StepLint, Run: c.static(checkreport.StepLint, c.cfg.Lint)})
	}
	if c.cfg.Scan != nil {
		ts = append(ts, taskgraph.Task{Name: checkreport.StepScan, Run: c.static(checkreport.StepScan, c.cfg.Scan)})
	}
	if c.cfg.TraceFindings != nil {
		ts = append(ts, taskgraph.Task{Name: checkreport.StepTraceReport,
			After: []string{checkreport.StepBuild, checkreport.StepInstall, checkreport.StepImport, checkreport.StepTest},
			Run:   c.traceReport})
	}
	if c.cfg.Vulns != nil {
		ts = append(ts, taskgraph.Task{Name: checkreport.StepVulns, Run: c.vulns})
	}
	return ts
}

func (c *check) static(step string, fn func(ctx context.Context, root string) ([]checkreport.Finding, error)) func(context.Context, *taskgraph.Data, io.Writer) error {
	return func(ctx context.Context, _ *taskgraph.Data, log io.Writer) error {
		fs, err := fn(ctx, c.src)
		if err != nil {
			return err
		}
		fmt.Fprintf(log, "%d findings\n", len(fs))
		c.addFindings(step, fs)
		return nil
	}
}

func (c *check) vulns(ctx context.Context, _ *taskgraph.Data, log io.Writer) error {
	fs, err := c.cfg.Vulns(ctx, c.dist.Filename)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "%d known vulnerabilities of %s %s\n", len(fs), c.dist.Project(), c.dist.Version)
	c.addFindings(checkreport.StepVulns, fs)
	return nil
}

// traceReport turns every trace the traced steps left into findings of those steps.
func (c *check) traceReport(ctx context.Context, _ *taskgraph.Data, log io.Writer) error {
	c.mu.Lock()
	traces := slices.Clone(c.traces)
	c.mu.Unlock()
	var errList []error
	for _, t := range traces {
		fs, err := c.cfg.TraceFindings(ctx, t.step, t.policy, t.host)
		if err != nil {
			errList = append(errList, fmt.Errorf("%s: %w", filepath.Base(t.host), err))
			continue
		}
		fmt.Fprintf(log, "%s: %d findings\n", filepath.Base(t.host), len(fs))
		c.addFindings(t.step, fs)
	}
	return errors.Join(errList...)
}

// report assembles the report from the results and what the steps collected.
func (c *check) report(started time.Time, results []taskgraph.Result) *checkreport.Report {
	r := &checkreport.Report{File: c.dist.Filename, Repository: c.in.Repository, Python: c.interp.Version,
		StartedAt: started, FinishedAt: time.Now(), Findings: []checkreport.Finding{}}
	order := map[string]int{}
	for i, res := range results {
		order[res.Name] = i
		t := checkreport.Task{Name: res.Name, Status: checkreport.Status(res.Status), DurationMS: res.Duration.Milliseconds(),
			Needs: nonNil(res.Needs), Produces: nonNil(res.Produces), Log: res.Log}
		if res.Err != nil {
			t.Error = res.Err.Error()
		}
		r.Tasks = append(r.Tasks, t)
		for _, raw := range res.Raw {
			size := int64(0)
			if st, err := os.Stat(raw.Path); err == nil {
				size = st.Size()
			}
			rel, err := filepath.Rel(c.dir, raw.Path)
			if err != nil || strings.HasPrefix(rel, "..") {
				continue
			}
			r.Raw = append(r.Raw, checkreport.Raw{Task: res.Name, Name: raw.Name, Size: size, Path: rel})
		}
	}
	c.mu.Lock()
	r.Findings = append(r.Findings, c.findings...)
	r.Tests = c.tests
	c.mu.Unlock()
	slices.SortStableFunc(r.Findings, func(a, b checkreport.Finding) int {
		if d := order[a.Task] - order[b.Task]; d != 0 {
			return d
		}
		return b.Severity.Rank() - a.Severity.Rank()
	})
	r.Verdict = checkreport.Decide(r)
	return r
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}
