package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/envrun"
)

func newRunCmd(env Env) *cobra.Command {
	var (
		envFlag, unpackTo string
		wait              int
		debug             bool
		maxSize           string
		maxFiles          int
		sandboxed         bool
		timeLimit         time.Duration
	)
	cmd := &cobra.Command{
		Use:   "run [--sandbox] ENV \"COMMAND STRING\" | run ENV -- CMD ARGS... | run -e ENV [-u DIR] [-w SECS] [-d] -- CMD ARGS...",
		Short: "Run a command inside a packed environment",
		Long: `Run a command inside an environment made by 'pydepot create'.

ENV is a tarball (NAME.tar.gz or NAME.tar.zst), a NAME whose tarball is in the current
folder, or an unpacked directory. A tarball is unpacked once per content digest into
$XDG_CACHE_HOME/pydepot/envs (or into -u DIR); concurrent runs on one machine share that
unpack. The command string form runs through /bin/sh -c; after -- the command runs
directly. Without HOME and XDG_CACHE_HOME the cache is $TMPDIR/pydepot-<uid>; a cache,
environment or lock that another user owns or can write to is refused (exit 3).

With --sandbox the command runs in a sandbox (bubblewrap): no network, the environment
read-only, writes allowed only in the working folder (a private /tmp and HOME besides),
the caller's environment variables reduced to the activation and locale/terminal ones,
and nothing it started left running; --time-limit stops it after a duration. See
'pydepot help show sandbox'.

An unpack may hold at most --max-size bytes (default 16GiB, or $PYDEPOT_RUN_MAX_SIZE)
in at most --max-files files (default 500000, or $PYDEPOT_RUN_MAX_FILES).

Exit status: the command's own, or 1 (usage), 2 (environment missing or not an
environment), 3 (extraction failed), 4 (activation failed). See 'pydepot help show run'.`,
		Example: `  pydepot run myenv "python3 script.py --input data.csv"
  pydepot run myenv -- python3 -c 'print(3)'
  pydepot run -e myenv.tar.gz -u /tmp/myenv -- python3 script.py
  pydepot run --sandbox myenv "python3 untrusted.py > result.txt"`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			lim, err := runLimits(cmd, env, maxSize, maxFiles)
			if err != nil {
				return &ExitError{Code: envrun.ExitUsage, Err: err}
			}
			o := envrun.Options{
				Env: envFlag, UnpackDir: unpackTo, Wait: time.Duration(wait) * time.Second, Limits: lim,
				CacheDir: envrun.DefaultCacheDir(env.Getenv),
				Stdin:    env.Stdin, Stdout: env.Stdout, Stderr: env.Stderr,
			}
			level := slog.LevelWarn
			if debug {
				level = slog.LevelDebug
			}
			o.Log = slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
			switch {
			case envFlag != "":
				if len(args) == 0 {
					return &ExitError{Code: envrun.ExitUsage, Err: errors.New("no command given after the environment (usage: pydepot run -e ENV -- CMD ARGS...)")}
				}
				o.Argv = args
			case len(args) >= 2 && args[1] == "--":
				if len(args) == 2 {
					return &ExitError{Code: envrun.ExitUsage, Err: errors.New("no command given after -- (usage: pydepot run ENV -- CMD ARGS...)")}
				}
				o.Env, o.Argv = args[0], args[2:]
			case len(args) == 2:
				o.Env, o.Shell = args[0], args[1]
			case len(args) > 2:
				o.Env, o.Argv = args[0], args[1:]
			default:
				return &ExitError{Code: envrun.ExitUsage, Err: errors.New(`usage: pydepot run ENV "COMMAND STRING", or pydepot run -e ENV -- CMD ARGS`)}
			}
			if wait < 0 {
				return &ExitError{Code: envrun.ExitUsage, Err: fmt.Errorf("--wait-for-lock must be >= 0, not %d", wait)}
			}
			if o.Environ == nil {
				o.Environ = os.Environ()
			}
			switch {
			case timeLimit < 0:
				return &ExitError{Code: envrun.ExitUsage, Err: fmt.Errorf("--time-limit must be >= 0, not %v", timeLimit)}
			case timeLimit > 0 && !sandboxed:
				return &ExitError{Code: envrun.ExitUsage, Err: errors.New("--time-limit needs --sandbox")}
			case sandboxed:
				o.Sandbox = &envrun.SandboxOptions{Time: timeLimit}
			}
			status, err := envrun.Run(cmd.Context(), o)
			var re *envrun.Error
			switch {
			case errors.As(err, &re):
				return &ExitError{Code: re.Code, Err: re}
			case err != nil:
				return &ExitError{Code: status, Err: err}
			case status != 0:
				return &ExitError{Code: status}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.StringVarP(&envFlag, "environment", "e", "", "environment: tarball, name or directory")
	f.StringVarP(&unpackTo, "unpack-to", "u", "", "unpack into this directory instead of the cache")
	f.IntVarP(&wait, "wait-for-lock", "w", 300, "seconds to wait for another run unpacking the same environment")
	f.BoolVarP(&debug, "debug", "d", false, "print debug messages")
	f.StringVar(&maxSize, "max-size", "", "refuse a tarball that unpacks to more than this (e.g. 4GiB; default $PYDEPOT_RUN_MAX_SIZE or 16GiB)")
	f.IntVar(&maxFiles, "max-files", 0, "refuse a tarball of more files than this (default $PYDEPOT_RUN_MAX_FILES or 500000)")
	f.BoolVar(&sandboxed, "sandbox", false, "run in a sandbox: no network, writes only in the working folder")
	f.DurationVar(&timeLimit, "time-limit", 0, "with --sandbox: stop the command after this long (e.g. 30m; default none)")
	_ = cmd.RegisterFlagCompletionFunc("unpack-to", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	})
	for _, name := range []string{"wait-for-lock", "max-size", "max-files", "time-limit"} {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
	}
	return cmd
}

// runLimits reads --max-size and --max-files, falling back to PYDEPOT_RUN_MAX_SIZE and
// PYDEPOT_RUN_MAX_FILES, then to envrun's defaults.
func runLimits(cmd *cobra.Command, env Env, maxSize string, maxFiles int) (envrun.Limits, error) {
	var lim envrun.Limits
	getenv := env.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	size, sizeFrom := maxSize, "--max-size"
	if !cmd.Flags().Changed("max-size") {
		size, sizeFrom = getenv("PYDEPOT_RUN_MAX_SIZE"), "PYDEPOT_RUN_MAX_SIZE"
	}
	if size != "" {
		n, err := humanize.ParseBytes(size)
		if err != nil || n == 0 || n > 1<<62 {
			return lim, fmt.Errorf("%s: %q is not a size such as 4GiB", sizeFrom, size)
		}
		lim.MaxSize = int64(n)
	}
	if cmd.Flags().Changed("max-files") {
		if maxFiles <= 0 {
			return lim, fmt.Errorf("--max-files must be > 0, not %d", maxFiles)
		}
		lim.MaxFiles = maxFiles
	} else if v := getenv("PYDEPOT_RUN_MAX_FILES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return lim, fmt.Errorf("PYDEPOT_RUN_MAX_FILES: %q is not a positive number", v)
		}
		lim.MaxFiles = n
	}
	return lim, nil
}
