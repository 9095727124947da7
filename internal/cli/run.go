package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/envrun"
)

func newRunCmd(env Env) *cobra.Command {
	var (
		envFlag, unpackTo string
		wait              int
		debug             bool
	)
	cmd := &cobra.Command{
		Use:   "run ENV \"COMMAND STRING\" | run -e ENV [-u DIR] [-w SECS] [-d] -- CMD ARGS...",
		Short: "Run a command inside a packed environment",
		Long: `Run a command inside an environment made by 'pydepot create'.

ENV is a tarball (NAME.tar.gz or NAME.tar.zst), a NAME whose tarball is in the current
folder, or an unpacked directory. A tarball is unpacked once per content digest into
$XDG_CACHE_HOME/pydepot/envs (or into -u DIR); concurrent runs on one machine share that
unpack. The command string form runs through /bin/sh -c; after -- the command runs
directly.

Exit status: the command's own, or 1 (usage), 2 (environment missing), 3 (extraction
failed), 4 (activation failed). See 'pydepot help show run'.`,
		Example: `  pydepot run myenv "python3 script.py --input data.csv"
  pydepot run -e myenv.tar.gz -u /tmp/myenv -- python3 script.py`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o := envrun.Options{
				Env: envFlag, UnpackDir: unpackTo, Wait: time.Duration(wait) * time.Second,
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
	return cmd
}
