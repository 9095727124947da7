package checkrun

import (
	"context"

	"github.com/pydepot/pydepot/internal/sandbox"
)

// SandboxExec is the Exec of internal/sandbox: bubblewrap, no network, the Command's
// mounts and limits, uid 65534.
func SandboxExec(ctx context.Context, c Command) (*Outcome, error) {
	s := sandbox.Spec{Args: c.Args, Dir: c.Dir, Env: c.Env, Stdout: c.Stdout, Stderr: c.Stderr,
		Limits: sandbox.Limits{Time: c.Limits.Time, MemoryBytes: c.Limits.MemoryBytes, Processes: c.Limits.Processes,
			OutputBytes: c.Limits.OutputBytes, FileBytes: c.Limits.FileBytes}}
	for _, m := range c.ReadOnly {
		s.ReadOnly = append(s.ReadOnly, sandbox.Mount{Host: m.Host, Path: m.Path})
	}
	for _, m := range c.Writable {
		s.Writable = append(s.Writable, sandbox.Mount{Host: m.Host, Path: m.Path})
	}
	res, err := sandbox.Run(ctx, s)
	if err != nil {
		return nil, err
	}
	return &Outcome{ExitCode: res.ExitCode, Signal: res.Signal, Limit: res.Limit, Duration: res.Duration, OutputDropped: res.OutputDropped}, nil
}
