package checkrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/builder"
	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/inspect"
	"github.com/pydepot/pydepot/internal/installer"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/taskgraph"
)

// builtWheel is the wheel the later steps install: the file itself for a wheel, the
// build's result for an sdist.
type builtWheel struct {
	path    string
	modules []string // top-level import names
}

// build makes a wheel of an sdist through PEP 517, the hooks running in the sandbox; a
// wheel skips it, handing itself on.
func (c *check) build(ctx context.Context, d *taskgraph.Data, log io.Writer) error {
	if c.dist.Kind == filenames.KindWheel {
		taskgraph.Put(d, keyWheel, &builtWheel{path: c.file, modules: c.info.ImportNames})
		return fmt.Errorf("a wheel needs no build: %w", taskgraph.ErrSkip)
	}
	wh, _ := taskgraph.Get(d, keyWheelhouse)
	work := filepath.Join(c.dir, "build")
	out := filepath.Join(c.dir, "wheel")
	for _, dir := range []string{work, out} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	runner := builder.RunnerFunc(func(ctx context.Context, cmd builder.Command) error {
		var env []string
		for _, kv := range cmd.Env {
			k, _, _ := strings.Cut(kv, "=")
			if k == "PYTHONPATH" || k == "PYTHONNOUSERSITE" || k == "SOURCE_DATE_EPOCH" || strings.HasPrefix(k, "_PYDEPOT_") {
				env = append(env, kv)
			}
		}
		// The hooks get host paths (in their JSON input too), so the build folder is seen at
		// its host path.
		_, err := c.sandboxed(ctx, sandboxRun{step: checkreport.StepBuild, args: cmd.Argv, dir: cmd.Dir, env: env,
			work: work, workIn: work, log: cmd.Stdout})
		return err
	})
	whl, err := builder.Build(ctx, c.file, out, builder.Options{
		Interpreter: c.interp.Path,
		InstallRequirements: func(ctx context.Context, reqs []string, target string) error {
			return installClosure(ctx, wh, reqs, target)
		},
		Runner: runner,
		Log:    c.cfg.Logger,
		Output: log,
		// The sandbox's own time limit stops a hook first (and says so); this is the backstop.
		Timeout: c.cfg.Limits.Time + time.Minute,
		WorkDir: work,
	})
	if err != nil {
		var be *builder.BuildError
		if errors.As(err, &be) {
			// The tail is in the log already.
			return fmt.Errorf("build backend hook %s failed: %w", be.Hook, be.Err)
		}
		return err
	}
	f, err := os.Open(whl)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	info, err := inspect.Inspect(ctx, filepath.Base(whl), f, st.Size())
	if err != nil {
		return fmt.Errorf("the built wheel: %w", err)
	}
	if info.Dist.Project() != c.dist.Project() || info.Dist.Version.String() != c.dist.Version.String() {
		return fmt.Errorf("the build made %s, not a wheel of %s %s", filepath.Base(whl), c.dist.Name, c.dist.Version)
	}
	fmt.Fprintf(log, "built %s\n", filepath.Base(whl))
	taskgraph.Put(d, keyWheel, &builtWheel{path: whl, modules: info.ImportNames})
	return nil
}

// installClosure installs the build wheels of reqs and of everything they depend on
// into target.
func installClosure(ctx context.Context, wh *wheelhouse, reqs []string, target string) error {
	seen := map[string]bool{}
	var queue []string
	for _, s := range reqs {
		r, err := requirements.Parse(s)
		if err != nil {
			return err
		}
		queue = append(queue, names.Normalize(r.Name))
	}
	var jobs []installer.Job
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if seen[n] {
			continue
		}
		seen[n] = true
		p, ok := wh.build[n]
		if !ok {
			return fmt.Errorf("the build asks for %s, which is not in the wheelhouse", n)
		}
		jobs = append(jobs, installer.Job{Wheel: p.path})
		queue = append(queue, p.deps...)
	}
	_, err := installer.InstallAll(ctx, jobs, installer.TargetScheme(target), 2)
	return err
}
