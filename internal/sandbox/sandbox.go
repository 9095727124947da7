package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Mount binds the host path Host at Path inside the sandbox.
type Mount struct{ Host, Path string }

// Limits bound one run; a zero field takes the value of DefaultLimits.
type Limits struct {
	Time        time.Duration // wall clock; the whole sandbox is killed at the end
	MemoryBytes int64         // memory cgroup when available, else RLIMIT_AS
	Processes   int           // processes of the sandbox (RLIMIT_NPROC, or pids.max as root)
	OutputBytes int64         // stdout+stderr kept; more is dropped and counted
	FileBytes   int64         // RLIMIT_FSIZE
}

// DefaultLimits returns the limits that a zero Limits field takes.
func DefaultLimits() Limits {
	return Limits{
		Time:        10 * time.Minute,
		MemoryBytes: 2 << 30,
		Processes:   256,
		OutputBytes: 16 << 20,
		FileBytes:   1 << 30,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.Time > 0 {
		d.Time = l.Time
	}
	if l.MemoryBytes > 0 {
		d.MemoryBytes = l.MemoryBytes
	}
	if l.Processes > 0 {
		d.Processes = l.Processes
	}
	if l.OutputBytes > 0 {
		d.OutputBytes = l.OutputBytes
	}
	if l.FileBytes > 0 {
		d.FileBytes = l.FileBytes
	}
	return d
}

// Spec is one command to run in a sandbox.
type Spec struct {
	Args     []string // Args[0] is resolved on the PATH of Env inside the sandbox
	Dir      string   // working directory inside; "" = HOME
	Env      []string // the whole environment; HOME=/home/sandbox is added when absent
	ReadOnly []Mount  // extra read-only binds (interpreter, wheelhouse, environment)
	Writable []Mount  // the only host paths that are writable
	Network  bool     // false: own network namespace with only loopback
	UID, GID int      // inside; 0 = 65534 (the sandbox never runs as root)
	Limits   Limits
	Stdin    io.Reader // nil = /dev/null
	Stdout   io.Writer // nil = discarded (still counted against OutputBytes)
	Stderr   io.Writer
}

// Limit names, the values of Result.Limit.
const (
	LimitTime      = "time"
	LimitMemory    = "memory"
	LimitProcesses = "processes"
	LimitOutput    = "output"
	LimitFileSize  = "file-size"
)

// Result is how the command ended.
type Result struct {
	ExitCode int    // the command's status; 128+N when killed by signal N
	Signal   string // "SIGKILL", ... when it was killed by a signal, else ""
	Limit    string // "" or one of the Limit constants: which limit stopped it
	Duration time.Duration
	// OutputDropped counts the bytes of stdout and stderr past Limits.OutputBytes.
	OutputDropped int64
}

// ErrUnavailable is wrapped by the errors of Available and Run when bubblewrap, prlimit or
// the namespaces they need are missing.
var ErrUnavailable = errors.New("sandbox unavailable")

// Run runs s.Args in a sandbox and waits for it and every process it started to end. The
// error is only for a sandbox that could not start; a command that fails, is killed or
// stopped by a limit is a Result. When ctx is done the sandbox is killed and the Result
// returned (Signal "SIGKILL", Limit "").
func Run(ctx context.Context, s Spec) (*Result, error) {
	if len(s.Args) == 0 || s.Args[0] == "" {
		return nil, errors.New("sandbox: no command")
	}
	tools, err := findTools()
	if err != nil {
		return nil, err
	}
	p, err := plan(s, tools)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	return p.run(ctx, s)
}

// Available checks that bubblewrap and prlimit are installed and that bwrap can make the
// namespaces Run uses, naming what is missing. The error wraps ErrUnavailable.
func Available(ctx context.Context) error {
	if _, err := findTools(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	res, err := Run(ctx, Spec{Args: []string{"true"}, Env: []string{"PATH=/usr/bin:/bin"},
		Stdout: &out, Stderr: &out, Limits: Limits{Time: 20 * time.Second}})
	switch {
	case err != nil:
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	case res.ExitCode != 0:
		return fmt.Errorf("%w: bwrap could not run true in a sandbox (status %d): %s", ErrUnavailable, res.ExitCode, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}
