package builder

import (
	"context"
	"io"
	"log/slog"
	"os/exec"
	"time"
)

// Command is one process to run.
type Command struct {
	Argv   []string // Argv[0] is the program
	Env    []string // the complete environment, KEY=VALUE
	Dir    string   // working directory
	Stdout io.Writer
	Stderr io.Writer
}

// Runner runs commands. It must honour ctx cancellation (kill the process) and return an
// error when the command exits with a non-zero status.
type Runner interface {
	Run(ctx context.Context, cmd Command) error
}

// RunnerFunc adapts a function to Runner.
type RunnerFunc func(ctx context.Context, cmd Command) error

// Run calls f.
func (f RunnerFunc) Run(ctx context.Context, cmd Command) error { return f(ctx, cmd) }

// ExecRunner runs commands directly with os/exec.
type ExecRunner struct{}

// Run starts cmd and waits for it; ctx cancellation kills it.
func (ExecRunner) Run(ctx context.Context, cmd Command) error {
	c := exec.CommandContext(ctx, cmd.Argv[0], cmd.Argv[1:]...)
	c.Env = cmd.Env
	c.Dir = cmd.Dir
	c.Stdout = cmd.Stdout
	c.Stderr = cmd.Stderr
	c.WaitDelay = 5 * time.Second
	return c.Run()
}

// InstallFunc installs requirements (PEP 508 strings) into targetDir, a directory that
// will be on the build's sys.path. It is called once for [build-system] requires and once
// more for what get_requires_for_build_wheel adds (only when that is not empty).
type InstallFunc func(ctx context.Context, reqs []string, targetDir string) error

// Options configure Build.
type Options struct {
	// Interpreter is the Python that runs the backend; default "python3" from PATH.
	Interpreter string
	// InstallRequirements installs build requirements; required.
	InstallRequirements InstallFunc
	// Runner runs the interpreter; default ExecRunner{}.
	Runner Runner
	// Log receives progress messages; nil discards them.
	Log *slog.Logger
	// Output receives the backend's stdout and stderr; nil keeps only the tail for errors.
	Output io.Writer
	// Timeout bounds each hook process; default 15 minutes.
	Timeout time.Duration
	// WorkDir is where the temporary build directory is made; default os.TempDir().
	WorkDir string
	// KeepWorkDir leaves the temporary build directory in place (for debugging).
	KeepWorkDir bool
	// SystemSitePackages leaves the interpreter's own site-packages on sys.path (not
	// isolated); off by default.
	SystemSitePackages bool
	// ConfigSettings is passed to the hooks as config_settings.
	ConfigSettings map[string]string
	// ExtraEnv is added to the hook environment (KEY=VALUE), e.g. SOURCE_DATE_EPOCH.
	ExtraEnv []string
}

// BuildError is a failed backend run.
type BuildError struct {
	Hook string // "get_requires_for_build_wheel", "prepare_metadata_for_build_wheel" or "build_wheel"
	Err  error  // the runner's error
	Tail string // the last lines of the backend's output
}

func (e *BuildError) Error() string {
	return "build backend hook " + e.Hook + " failed: " + e.Err.Error() + "\n" + e.Tail
}

func (e *BuildError) Unwrap() error { return e.Err }

// Build builds a wheel from the sdist at sdistPath into outDir (which must exist) and
// returns the wheel's path. Errors wrap errs.ErrInvalid for a malformed sdist or
// pyproject.toml, are a *BuildError when the backend fails, and otherwise are the
// callback's or I/O errors.
func Build(ctx context.Context, sdistPath, outDir string, opts Options) (string, error) {
	return build(ctx, sdistPath, outDir, opts)
}

// Metadata returns the core metadata (METADATA bytes) of the wheel the sdist at
// sdistPath would build, through the PEP 517 hook prepare_metadata_for_build_wheel in
// the same isolated build environment as Build (build requirements installed through
// Options.InstallRequirements); a backend without that hook builds the wheel and its
// METADATA is returned. This is how the dependencies of an sdist whose PKG-INFO cannot
// be trusted (Metadata-Version below 2.2, or Requires-Dist dynamic) are learnt, as pip
// and uv do. Same errors as Build.
func Metadata(ctx context.Context, sdistPath string, opts Options) ([]byte, error) {
	return sdistMetadata(ctx, sdistPath, opts)
}

// BuildTree builds a wheel from an already extracted source tree srcDir (the directory
// holding pyproject.toml or setup.py) into outDir and returns the wheel's path. Same
// errors as Build.
func BuildTree(ctx context.Context, srcDir, outDir string, opts Options) (string, error) {
	return buildTree(ctx, srcDir, outDir, opts)
}
