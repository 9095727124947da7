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
	// CacheDir is pydepot's cache root; "" = DefaultCacheDir(os.Getenv).
	CacheDir string
	// Limits caps what the tarball may unpack to (zero fields: the defaults).
	Limits Limits
	// Environ is the environment the command starts from; nil = os.Environ().
	Environ []string
	Dir     string // working directory of the command ("" = the current one)
	// Sandbox, when set, runs the command in internal/sandbox: no network, writes only
	// in the working folder (see runSandboxed).
	Sandbox *SandboxOptions
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Log     *slog.Logger
}

// DefaultCacheDir returns $XDG_CACHE_HOME/pydepot, else $HOME/.cache/pydepot, else
// os.TempDir()/pydepot-<uid>: a folder of each user's own (created 0700 and checked
// before use, see secure.go), never one shared by the users of a machine.
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
	return filepath.Join(os.TempDir(), fmt.Sprintf("pydepot-%d", os.Geteuid()))
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
		dir, err = unpack(ctx, src, unpackOpts{unpackDir: o.UnpackDir, cache: cache, wait: wait, limits: o.Limits, log: log})
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
	if o.Sandbox != nil {
		return runSandboxed(ctx, o, p, argv)
	}
	path, err := lookPath(argv[0], p.Environ, o.Dir)
	if err != nil {
		if o.Stderr != nil {
			fmt.Fprintf(o.Stderr, "pydepot: %s: command not found in the environment\n", argv[0])
			if len(o.Argv) == 1 && strings.ContainsAny(argv[0], " \t") {
				fmt.Fprintf(o.Stderr, "pydepot: each argument after the environment is one word (this one names no command); to run a command string through the shell, use: pydepot run ENV %q\n", argv[0])
			}
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

// locate finds the environment named by env: a directory, a tarball, else NAME.tar.gz or
// NAME.tar.zst relative to dir. An existing file that has no tarball name and is not a
// gzip or zstd stream (the script, as in `run example.py "python3 example.py"`) is not
// an environment: ExitMissing, as cctools' python_package_run says.
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
	if hasTarballName(env) {
		p := abs(env)
		if st, err := os.Stat(p); err == nil {
			return p, st.IsDir(), nil
		}
		return "", false, fail(ExitMissing, "environment %s not found", env)
	}
	notEnv := false
	{
		p := abs(env)
		st, err := os.Stat(p)
		switch {
		case err != nil:
		case st.IsDir():
			return p, true, nil
		case isTarball(p):
			return p, false, nil
		default:
			notEnv = true
		}
	}
	for _, c := range []string{env + ".tar.gz", env + ".tar.zst"} {
		p := abs(c)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, false, nil
		}
	}
	if notEnv {
		return "", false, fail(ExitMissing, "%s is not an environment: it is neither a tarball made by pydepot create nor a directory, and there is no %s.tar.gz or %s.tar.zst (usage: pydepot run ENV \"COMMAND STRING\")", env, env, env)
	}
	return "", false, fail(ExitMissing, "environment %s not found (looked for %s, %s.tar.gz, %s.tar.zst)", env, env, env, env)
}

func hasTarballName(p string) bool {
	return strings.HasSuffix(p, ".tar.gz") || strings.HasSuffix(p, ".tgz") || strings.HasSuffix(p, ".tar.zst")
}

// isTarball reports whether the file starts as a gzip or zstd stream.
func isTarball(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		return false
	}
	return magic == zstdMagic || magic[0] == 0x1f && magic[1] == 0x8b
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
