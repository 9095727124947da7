package envrun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/sandbox"
)

// SandboxOptions are the limits of `pydepot run --sandbox`; a zero field is unlimited as
// far as a sandbox allows (a run is the user's own job, not a check).
type SandboxOptions struct {
	Time time.Duration
}

// sandboxPassEnv are the variables of the caller's environment a sandboxed command gets
// (besides the activation): locale and terminal, never tokens or credentials.
var sandboxPassEnv = []string{"LANG", "LANGUAGE", "TERM", "TZ", "COLUMNS", "LINES"}

// runSandboxed runs argv in a sandbox: no network, the environment read-only at its own
// path, the working folder (o.Dir, else the current one) the only writable host folder and
// the working directory, a private /tmp and HOME, and the caller's environment reduced to
// the activation plus locale and terminal variables.
func runSandboxed(ctx context.Context, o Options, p *Prepared, argv []string) (int, error) {
	work := o.Dir
	if work == "" {
		wd, err := os.Getwd()
		if err != nil {
			return ExitUsage, fail(ExitUsage, "sandbox: the working folder: %v", err)
		}
		work = wd
	}
	work, err := filepath.Abs(work)
	if err == nil {
		work, err = filepath.EvalSymlinks(work)
	}
	if err != nil {
		return ExitUsage, fail(ExitUsage, "sandbox: the working folder: %v", err)
	}
	envDir, err := filepath.EvalSymlinks(p.Dir)
	if err != nil {
		return ExitActivate, fail(ExitActivate, "sandbox: the environment: %v", err)
	}
	if work == "/" {
		return ExitUsage, fail(ExitUsage, "sandbox: the working folder is /; run from the folder the command may write to")
	}
	env := []string{
		"PATH=" + filepath.Join(envDir, "bin") + ":/usr/local/bin:/usr/bin:/bin",
		"VIRTUAL_ENV=" + envDir, "PYTHONNOUSERSITE=1",
	}
	for _, kv := range o.Environ {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "LC_") || slices.Contains(sandboxPassEnv, k) {
			env = append(env, kv)
		}
	}
	mounts := []sandbox.Mount{{Host: envDir, Path: envDir}}
	if envDir == work || strings.HasPrefix(work, envDir+"/") {
		mounts = nil // running inside the environment: it is the working folder
	}
	lim := sandbox.Limits{
		Time:        o.Sandbox.Time,
		MemoryBytes: 1 << 50, Processes: 4096, OutputBytes: 1 << 62, FileBytes: 1 << 50,
	}
	if lim.Time <= 0 {
		lim.Time = 1 << 62
	}
	if o.Log != nil {
		o.Log.Debug("running in a sandbox", "argv", argv, "env", envDir, "writable", work)
	}
	res, err := sandbox.Run(ctx, sandbox.Spec{
		Args: argv, Dir: work, Env: env,
		ReadOnly: mounts,
		Writable: []sandbox.Mount{{Host: work, Path: work}},
		Limits:   lim,
		Stdin:    o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr,
	})
	if err != nil {
		return 126, fmt.Errorf("sandbox: %w", err)
	}
	if res.Limit == sandbox.LimitTime && o.Stderr != nil {
		fmt.Fprintf(o.Stderr, "pydepot: the command was stopped after %v (--time-limit)\n", o.Sandbox.Time)
	}
	return res.ExitCode, nil
}
