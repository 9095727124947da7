package checkrun

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/taskgraph"
)

// Where things are inside the sandbox.
const (
	inWork = "/check/work" // the step's own folder (writable)
	inRaw  = "/check/raw"  // the step's trace folder (writable)
	inHome = "/check/home" // HOME, private to the step, planted with decoys
	inEnv  = "/check/env"  // the environment the install step made
)

// sandboxRun is one command of a step.
type sandboxRun struct {
	step string
	args []string // as seen inside
	dir  string   // inside; default inWork
	env  []string // added to the base environment
	// work is the host folder seen at workIn (default inWork).
	work, workIn string
	// env is mounted at inEnv: writable when envWritable (the install step).
	mountEnv, envWritable bool
	log                   io.Writer
}

// sandboxed runs r in the sandbox under tracing and records its trace and any limit that
// stopped it. A command that could not start, exited non-zero, was killed or stopped by
// a limit is an error.
func (c *check) sandboxed(ctx context.Context, r sandboxRun) (*Outcome, error) {
	c.mu.Lock()
	n := c.runs[r.step]
	c.runs[r.step]++
	c.mu.Unlock()
	rawDir := filepath.Join(c.dir, "raw", r.step)
	home := filepath.Join(c.dir, "home", r.step)
	for _, d := range []string{rawDir, r.work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	decoyFiles, decoyEnv, err := c.home(home)
	if err != nil {
		return nil, err
	}
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + inHome, "TMPDIR=/tmp", "LANG=C.UTF-8", "USER=check", "LOGNAME=check"}
	for _, k := range slices.Sorted(maps.Keys(decoyEnv)) {
		env = append(env, k+"="+decoyEnv[k])
	}
	env = append(env, r.env...)

	if r.workIn == "" {
		r.workIn = inWork
	}
	cmd := Command{
		Args: r.args, Dir: r.dir, Env: env, Limits: c.cfg.Limits, Stdout: r.log, Stderr: r.log,
		Writable: []Mount{{Host: r.work, Path: r.workIn}, {Host: rawDir, Path: inRaw}, {Host: home, Path: inHome}},
		ReadOnly: c.interpreterMounts(),
	}
	if cmd.Dir == "" {
		cmd.Dir = r.workIn
	}
	// The trace folder is not among them: strace opens its file before the command
	// starts, so a write there in the trace is the package tampering with its trace.
	allowed := []string{r.workIn, "/dev/null", "/dev/tty"}
	prefix := ""
	if r.mountEnv {
		m := Mount{Host: filepath.Join(c.dir, "env"), Path: inEnv}
		if r.envWritable {
			cmd.Writable = append(cmd.Writable, m)
			allowed = append(allowed, inEnv)
			prefix = inEnv
		} else {
			cmd.ReadOnly = append(cmd.ReadOnly, m)
		}
	}
	traceName := fmt.Sprintf("%s-%d.strace", r.step, n)
	traceHost := filepath.Join(rawDir, traceName)
	if c.cfg.Trace != nil {
		cmd.Args = append(slices.Clone(c.cfg.Trace(inRaw+"/"+traceName)), r.args...)
	}
	out, err := c.cfg.Exec(ctx, cmd)
	if c.cfg.Trace != nil {
		if _, serr := os.Stat(traceHost); serr == nil {
			taskgraph.AddRaw(ctx, taskgraph.Raw{Name: traceName, Path: traceHost})
			secrets := slices.Sorted(maps.Values(decoyEnv))
			if c.cfg.DecoySecrets != nil {
				secrets = c.cfg.DecoySecrets(inHome)
			}
			c.mu.Lock()
			c.traces = append(c.traces, trace{step: r.step, host: traceHost, policy: TracePolicy{
				Allowed: allowed, Temp: []string{"/tmp"}, Prefix: prefix, Home: inHome, Dir: cmd.Dir,
				Exec: c.expectedExec(), Decoys: decoyFiles, Secrets: secrets}})
			c.mu.Unlock()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("the sandbox could not run %s: %w", r.args[0], err)
	}
	if out.Limit != "" {
		c.addFindings(r.step, []checkreport.Finding{{Kind: checkreport.Limit, Severity: limitSeverity(out.Limit),
			Detail: fmt.Sprintf("%s was stopped by the %s limit of the sandbox (%s)", strings.Join(r.args, " "), out.Limit, limitValue(c.cfg.Limits, out.Limit))}})
		return out, fmt.Errorf("stopped by the %s limit (%s)", out.Limit, limitValue(c.cfg.Limits, out.Limit))
	}
	if out.OutputDropped > 0 {
		fmt.Fprintf(r.log, "\n[%d bytes of output dropped by the sandbox]\n", out.OutputDropped)
	}
	if out.Signal != "" {
		return out, fmt.Errorf("%s was killed by %s", r.args[0], out.Signal)
	}
	if out.ExitCode != 0 {
		return out, fmt.Errorf("%s exited with status %d", r.args[0], out.ExitCode)
	}
	return out, nil
}

// limitSeverity: spawning processes without end is an attack; the other limits may be a
// slow or greedy but honest package.
func limitSeverity(limit string) checkreport.Severity {
	if limit == "processes" {
		return checkreport.High
	}
	return checkreport.Medium
}

func limitValue(l Limits, limit string) string {
	switch limit {
	case "time":
		return l.Time.String()
	case "memory":
		return fmt.Sprintf("%d bytes", l.MemoryBytes)
	case "processes":
		return fmt.Sprintf("%d processes", l.Processes)
	case "output":
		return fmt.Sprintf("%d bytes", l.OutputBytes)
	case "file-size":
		return fmt.Sprintf("%d bytes", l.FileBytes)
	}
	return limit
}

// home makes the step's HOME (once) with the decoys planted, and returns the decoy
// paths (inside) and variables.
func (c *check) home(host string) ([]string, map[string]string, error) {
	if c.cfg.Decoys == nil {
		return nil, nil, os.MkdirAll(host, 0o755)
	}
	files, env := c.cfg.Decoys(inHome)
	fresh := false
	if _, err := os.Stat(host); os.IsNotExist(err) {
		fresh = true
	}
	if err := os.MkdirAll(host, 0o755); err != nil {
		return nil, nil, err
	}
	var paths []string
	for _, p := range slices.Sorted(maps.Keys(files)) {
		rel, err := filepath.Rel(inHome, p)
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
			return nil, nil, fmt.Errorf("decoy %s is not under %s", p, inHome)
		}
		paths = append(paths, p)
		if !fresh {
			continue
		}
		hp := filepath.Join(host, rel)
		if err := os.MkdirAll(filepath.Dir(hp), 0o755); err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(hp, []byte(files[p]), 0o644); err != nil {
			return nil, nil, err
		}
	}
	return paths, env, nil
}

// systemDirs are seen read-only in every sandbox already.
var systemDirs = []string{"/usr/", "/bin/", "/lib/", "/lib64/", "/etc/"}

// interpreterMounts are the read-only binds the interpreter needs when it lives outside
// the system folders (a pyenv build): its prefix, at the same path.
func (c *check) interpreterMounts() []Mount {
	var ms []Mount
	for _, p := range []string{c.interp.BasePrefix, c.interp.Prefix, filepath.Dir(filepath.Dir(c.interp.RealPath))} {
		if p == "" || p == "/" || slices.ContainsFunc(systemDirs, func(s string) bool { return strings.HasPrefix(p+"/", s) }) {
			continue
		}
		if !slices.ContainsFunc(ms, func(m Mount) bool { return m.Host == p }) {
			ms = append(ms, Mount{Host: p, Path: p})
		}
	}
	return ms
}

// expectedExec are the programs a step may start: the interpreter under its names.
func (c *check) expectedExec() []string {
	exe := []string{c.interp.Path, c.interp.RealPath, inEnv + "/bin/python", inEnv + "/bin/python3",
		inEnv + "/bin/python" + c.interp.MajorMinor()}
	slices.Sort(exe)
	return slices.Compact(exe)
}
