package envrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Exit codes of pydepot run's own failures.
const (
	ExitUsage    = 1
	ExitMissing  = 2
	ExitExtract  = 3
	ExitActivate = 4
)

// Error is a failure of run itself (not of the command); Code is one of the Exit
// constants.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func fail(code int, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// Options describe one run.
type Options struct {
	Env       string        // tarball, name or directory
	UnpackDir string        // unpack here instead of the cache ("" = cache)
	Wait      time.Duration // how long to wait for another run's unpack lock; 0 = 300 s
	// Exactly one of Shell and Argv: Shell runs through /bin/sh -c, Argv directly.
	Shell string
	Argv  []string
	// CacheDir is pydepot's cache root; "" = DefaultCacheDir(Getenv).
	CacheDir string
	// Environ is the environment the command starts from; nil = os.Environ().
	Environ []string
	Dir     string // working directory of the command ("" = the current one)
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Log     *slog.Logger
}

// DefaultCacheDir returns $XDG_CACHE_HOME/pydepot, else $HOME/.cache/pydepot, else
// os.TempDir()/pydepot-cache.
func DefaultCacheDir(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if d := getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "pydepot")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache", "pydepot")
	}
	return filepath.Join(os.TempDir(), "pydepot-cache")
}

// Prepared is an unpacked, checked environment and the command's environment variables.
type Prepared struct {
	Dir     string   // the environment root
	Environ []string // activated environment
}

// Prepare locates, unpacks (once) and relocates the environment, and computes the
// activated environment variables. Errors are *Error.
func Prepare(ctx context.Context, o Options) (*Prepared, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	src, isDir, err := locate(o.Env, o.Dir)
	if err != nil {
		return nil, err
	}
	dir := src
	if isDir {
		if o.UnpackDir != "" {
			log.Debug("ignoring the unpack directory, the environment is a directory", "dir", src)
		}
	} else {
		cache := o.CacheDir
		if cache == "" {
			cache = DefaultCacheDir(nil)
		}
		wait := o.Wait
		if wait <= 0 {
			wait = 300 * time.Second
		}
		dir, err = unpack(ctx, src, o.UnpackDir, cache, wait, log)
		if err != nil {
			return nil, err
		}
	}
	environ := o.Environ
	if environ == nil {
		environ = os.Environ()
	}
	act, err := activate(dir, environ)
	if err != nil {
		return nil, err
	}
	return &Prepared{Dir: dir, Environ: act}, nil
}

// Run prepares the environment and runs the command in it, returning the command's exit
// status. ctx bounds the preparation (the wait for another run's unpack, the
// extraction); once started, the command runs until it exits, and signals sent to this
// process are passed on to it (SIGINT excepted, see below). Errors are *Error (run's own
// failures) or a failure to start the command.
func Run(ctx context.Context, o Options) (int, error) {
	if (o.Shell == "") == (len(o.Argv) == 0) {
		return ExitUsage, fail(ExitUsage, "give either a command string or a command after --")
	}
	p, err := Prepare(ctx, o)
	if err != nil {
		return 0, err
	}
	argv := o.Argv
	if o.Shell != "" {
		argv = []string{"/bin/sh", "-c", o.Shell}
	}
	path, err := lookPath(argv[0], p.Environ, o.Dir)
	if err != nil {
		if o.Stderr != nil {
			fmt.Fprintf(o.Stderr, "pydepot: %s: command not found in the environment\n", argv[0])
		}
		return 127, nil
	}
	if o.Log != nil {
		o.Log.Debug("running", "argv", argv, "env", p.Dir)
	}
	cmd := &exec.Cmd{Path: path, Args: argv, Env: p.Environ, Dir: o.Dir,
		Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr}
	// SIGTERM, SIGHUP, SIGQUIT and SIGUSR1/2 sent to pydepot (by a batch system) are
	// passed on. SIGINT is caught but not passed on: a terminal sends it to the whole
	// foreground process group, the command included, which must not get it twice.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return 126, fmt.Errorf("start %s: %w", argv[0], err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				if s != syscall.SIGINT {
					_ = cmd.Process.Signal(s)
				}
			case <-done:
				return
			}
		}
	}()
	err = cmd.Wait()
	close(done)
	return exitStatus(cmd.ProcessState, err)
}

func exitStatus(ps *os.ProcessState, err error) (int, error) {
	if ps == nil {
		return 126, err
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return ps.ExitCode(), err
	}
	return ps.ExitCode(), nil
}

// locate finds the environment named by env: an existing path, else NAME.tar.gz or
// NAME.tar.zst relative to dir.
func locate(env, dir string) (string, bool, error) {
	if env == "" {
		return "", false, fail(ExitUsage, "no environment given")
	}
	abs := func(p string) string {
		if !filepath.IsAbs(p) && dir != "" {
			p = filepath.Join(dir, p)
		}
		a, err := filepath.Abs(p)
		if err != nil {
			return p
		}
		return a
	}
	tried := []string{env}
	cands := []string{env}
	if !strings.HasSuffix(env, ".tar.gz") && !strings.HasSuffix(env, ".tgz") && !strings.HasSuffix(env, ".tar.zst") {
		cands = append(cands, env+".tar.gz", env+".tar.zst")
		tried = cands
	}
	for _, c := range cands {
		p := abs(c)
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		if st.IsDir() {
			if c != env {
				continue
			}
			return p, true, nil
		}
		return p, false, nil
	}
	return "", false, fail(ExitMissing, "environment %s not found (looked for %s)", env, strings.Join(tried, ", "))
}

// activate checks dir is an environment and returns the activated variables.
func activate(dir string, environ []string) ([]string, error) {
	bin := filepath.Join(dir, "bin")
	st, err := os.Stat(bin)
	if err != nil || !st.IsDir() {
		return nil, fail(ExitActivate, "activation failed: %s has no bin directory, it is not an environment", dir)
	}
	if m, err := readManifest(dir); err == nil && m.Python != "" {
		if _, err := os.Stat(filepath.Join(dir, m.Python)); err != nil {
			return nil, fail(ExitActivate, "activation failed: the environment's interpreter %s is missing", m.Python)
		}
	}
	out := make([]string, 0, len(environ)+3)
	path := ""
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONNOUSERSITE", "__PYVENV_LAUNCHER__":
			continue
		case "PATH":
			path = v
			continue
		}
		out = append(out, kv)
	}
	if path == "" {
		path = bin
	} else {
		path = bin + ":" + path
	}
	return append(out, "PATH="+path, "VIRTUAL_ENV="+dir, "PYTHONNOUSERSITE=1"), nil
}

// lookPath finds name on the PATH of environ (names with a slash are taken as they are,
// relative to dir).
func lookPath(name string, environ []string, dir string) (string, error) {
	if strings.Contains(name, "/") {
		p := name
		if !filepath.IsAbs(p) && dir != "" {
			p = filepath.Join(dir, p)
		}
		if isExec(p) {
			return p, nil
		}
		return "", os.ErrNotExist
	}
	path := ""
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		p := filepath.Join(d, name)
		if isExec(p) {
			return p, nil
		}
	}
	return "", os.ErrNotExist
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}
