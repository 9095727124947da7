package checks_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/checks"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/tasks"
	"github.com/pydepot/pydepot/internal/testdist"
)

// wheel builds a small valid wheel NAME-VERSION-py3-none-any.whl.
func wheel(t testing.TB, name, version string, requires ...string) (string, []byte) {
	t.Helper()
	pkg := strings.ReplaceAll(name, "-", "_")
	di := pkg + "-" + version + ".dist-info/"
	members := [][2]string{
		{pkg + "/__init__.py", "VALUE = 1\n"},
		{di + "METADATA", "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\nSummary: test\n" + requiresDist(requires) + "\n"},
		{di + "WHEEL", "Wheel-Version: 1.0\nGenerator: pydepot-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
	}
	b, err := testdist.WheelZip(di, members)
	if err != nil {
		t.Fatal(err)
	}
	return pkg + "-" + version + "-py3-none-any.whl", b
}

func upload(t testing.TB, svc *index.Service, repo, name, version string) (string, []byte) {
	t.Helper()
	fn, data := wheel(t, name, version)
	if _, _, err := svc.Upload(context.Background(), index.Upload{Repository: repo, Filename: fn, Content: bytes.NewReader(data)}); err != nil {
		t.Fatalf("uploading %s: %v", fn, err)
	}
	return fn, data
}

// fakeRunner is a Runner written for the tests (the real pipeline is internal/checkrun):
// it reads the file through Input.Open, writes raw data into Input.Dir, and returns the
// report that report gives for the filename.
type fakeRunner struct {
	mu     sync.Mutex
	seen   map[string][]byte // filename -> the bytes Open gave
	dirs   []string
	report func(in checkreport.Input) (*checkreport.Report, error)
	block  chan struct{} // when not nil, Check waits on it (or ctx)
	start  chan string   // when not nil, told of each Check starting
}

func (f *fakeRunner) Check(ctx context.Context, in checkreport.Input) (*checkreport.Report, error) {
	if f.start != nil {
		f.start <- in.Filename
	}
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	r, err := in.Open(ctx)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if f.seen == nil {
		f.seen = map[string][]byte{}
	}
	f.seen[in.Filename] = data
	f.dirs = append(f.dirs, in.Dir)
	f.mu.Unlock()
	if in.Logf != nil {
		in.Logf("fake pipeline on %d bytes", len(data))
	}
	if in.Progress != nil {
		in.Progress(9, 9)
	}
	if err := os.WriteFile(filepath.Join(in.Dir, "install.trace"), []byte("connect(3, ...) = 0\n"), 0o644); err != nil {
		return nil, err
	}
	if f.report != nil {
		return f.report(in)
	}
	return passing(), nil
}

// steps returns the report's tasks with install and import as given.
func steps(install, imp checkreport.Status) []checkreport.Task {
	return []checkreport.Task{
		{Name: checkreport.StepResolve, Status: checkreport.Passed, DurationMS: 3, Produces: []string{"wheelhouse"}},
		{Name: checkreport.StepInstall, Status: install, DurationMS: 5, Needs: []string{"wheelhouse"}, Produces: []string{"env"}},
		{Name: checkreport.StepImport, Status: imp, DurationMS: 2, Needs: []string{"env"}},
	}
}

func passing() *checkreport.Report {
	return &checkreport.Report{
		// A runner's own verdict is not trusted: Decide sets it.
		Verdict: checkreport.Fail,
		Tasks:   steps(checkreport.Passed, checkreport.Passed),
		Tests:   checkreport.Tests{Passed: 3},
		Raw:     []checkreport.Raw{{Task: checkreport.StepInstall, Name: "install.trace", Size: 20, Path: "install.trace"}},
	}
}

func failing() *checkreport.Report {
	r := passing()
	r.Verdict = checkreport.Pass
	r.Findings = []checkreport.Finding{{Task: checkreport.StepInstall, Kind: checkreport.Network, Severity: checkreport.High, Detail: "connect to 203.0.113.9:443"}}
	return r
}

type env struct {
	dir   string
	svc   *index.Service
	queue *tasks.RiverQueue
	ch    *checks.Service
}

// newEnv opens a data directory, a queue with one worker on its database, and the
// checks service with runner, registered and started.
func newEnv(t *testing.T, runner checkreport.Runner, cfg tasks.Config) *env {
	t.Helper()
	return newEnvWith(t, runner, cfg, checks.Options{})
}

// newEnvWith is newEnv with the checks service's options (TempDir is set here).
func newEnvWith(t *testing.T, runner checkreport.Runner, cfg tasks.Config, opts checks.Options) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	svc, closeFn, err := backends.OpenDir(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })
	if err := svc.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	dbURL, _ := backends.DataURLs(dir)
	if cfg.Workers == 0 {
		cfg.Workers = 1
	}
	if cfg.FlushInterval == 0 {
		cfg.FlushInterval = 10 * time.Millisecond
	}
	q, closeQ, err := backends.OpenQueue(ctx, dbURL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeQ() })
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	opts.TempDir = tmp
	ch := checks.New(svc, q, runner, opts)
	ch.Register(q)
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()) })
	return &env{dir: dir, svc: svc, queue: q, ch: ch}
}

func waitDone(t *testing.T, q tasks.Queue, id int64) *tasks.Task {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		task, err := q.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if task.State.Done() {
			return task
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %d still %s", id, task.State)
		}
	}
}

func uploadOf(repo, fn string, data []byte) index.Upload {
	return index.Upload{Repository: repo, Filename: fn, Content: bytes.NewReader(data)}
}

func requiresDist(reqs []string) string {
	var b strings.Builder
	for _, r := range reqs {
		b.WriteString("Requires-Dist: " + r + "\n")
	}
	return b.String()
}
