package checkrun

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// hostExec runs a Command on the host, its mounts translated back: NOT a sandbox, only
// for the development of the pipeline until internal/sandbox lands.
func hostExec(ctx context.Context, c Command) (*Outcome, error) {
	tr := func(s string) string {
		for _, m := range append(append([]Mount{}, c.Writable...), c.ReadOnly...) {
			s = strings.ReplaceAll(s, m.Path, m.Host)
		}
		return s
	}
	ctx, cancel := context.WithTimeout(ctx, c.Limits.Time)
	defer cancel()
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = tr(a)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	for _, e := range c.Env {
		cmd.Env = append(cmd.Env, tr(e))
	}
	cmd.Dir = tr(c.Dir)
	cmd.Stdout, cmd.Stderr = c.Stdout, c.Stderr
	start := time.Now()
	err := cmd.Run()
	out := &Outcome{Duration: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		out.Limit = "time"
	case errors.As(err, &ee):
		out.ExitCode = ee.ExitCode()
	case err != nil:
		return nil, err
	}
	return out, nil
}

// testConfig is the Config of the tests: the test index of files, Debian's 3.11.
func testConfig(t testing.TB, files ...string) Config {
	return Config{Interpreter: python311, Source: indexSource(t, files...), Exec: SandboxExec, Limits: Limits{Time: 2 * time.Minute}}
}

// benchConfig is testConfig.
func benchConfig(b *testing.B, files ...string) Config { return testConfig(b, files...) }
