package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/envrun"
	"github.com/pydepot/pydepot/internal/envs"
	"github.com/pydepot/pydepot/internal/interpreters"
	"github.com/pydepot/pydepot/internal/simpleindex"
)

// maxSpecSize bounds a SPEC file.
const maxSpecSize = 16 << 20

// readSpecFile reads a SPEC file, refusing a folder or a file over maxSpecSize.
func readSpecFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s is a folder, not a spec file", name)
	}
	return io.ReadAll(io.LimitReader(f, maxSpecSize+1))
}

func newCreateCmd(env Env) *cobra.Command {
	var (
		indexURLs             []string
		python, interp, fmtIn string
		noPack, noReuse       bool
		jobs                  int
	)
	cmd := &cobra.Command{
		Use:   "create SPEC NAME",
		Short: "Build a relocatable environment (interpreter included) and pack it as NAME.tar.gz",
		Long: `Build a self-contained environment from SPEC and pack it as NAME.tar.gz (or .tar.zst).

SPEC is the JSON written by 'pydepot analyze' (or cctools' python_package_analyze:
"modules" are import names), a requirements.txt, a pyproject.toml (PEP 621 or poetry) or
a pylock.toml, installed exactly ('-' reads it from stdin). NAME may end in .tar.gz,
.tgz or .tar.zst. Exit status: 0 done, 1 usage error or failure, 2 SPEC missing or
unreadable. The requirements are resolved against the index (default
$PYDEPOT_URL/simple/, else http://127.0.0.1:8080/simple/) for the chosen interpreter,
downloaded into a shared cache, installed, and packed with a copy of the interpreter and
its standard library, so the tarball needs nothing on the target machine but the same OS
and architecture. The environment holds pylock.toml (PEP 751). A create whose lock is
identical to an earlier one copies the earlier tarball. See 'pydepot help show create'.`,
		Example: `  pydepot analyze script.py deps.json && pydepot create deps.json myenv
  pydepot create requirements.txt myenv --python 3.12 --format zst`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return &ExitError{Code: 1, Err: fmt.Errorf("usage: pydepot create SPEC NAME (got %d arguments); see 'pydepot create --help'", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var format envs.Format
			if cmd.Flags().Changed("format") {
				f, err := envs.ParseFormat(fmtIn)
				if err != nil {
					return &ExitError{Code: 1, Err: err}
				}
				format = f
			}
			var data []byte
			var err error
			if args[0] == "-" {
				data, err = io.ReadAll(io.LimitReader(env.Stdin, maxSpecSize+1))
			} else {
				data, err = readSpecFile(args[0])
			}
			if err != nil {
				// cctools' python_package_create: 2 is an invalid path to the dependency file
				return &ExitError{Code: 2, Err: fmt.Errorf("read spec: %w", err)}
			}
			if len(data) > maxSpecSize {
				return fmt.Errorf("spec %s is over %d bytes", args[0], maxSpecSize)
			}
			spec, err := envs.ReadSpec(args[0], data)
			if err != nil {
				return err
			}
			defIndex, err := defaultIndexURL(env)
			if err != nil {
				return err
			}
			hc := env.HTTP
			if hc == nil {
				hc = NewHTTPClient(DefaultResponseTimeout)
			}
			log := env.Logger()
			iopts := simpleindex.OptionsFromEnv(log)
			iopts.Token = env.Getenv("PYDEPOT_TOKEN")
			iopts.Warnings = env.Stderr
			res, err := envs.Create(cmd.Context(), spec, args[1], envs.Options{
				IndexURLs: indexURLs, Python: python, Interpreter: interp, Format: format,
				DefaultIndex: defIndex, HTTPClient: hc,
				NoPack: noPack, NoReuse: noReuse, Jobs: jobs, Index: iopts, Log: log,
				CacheDir:  envrun.DefaultCacheDir(env.Getenv),
				Discovery: interpreters.Options{Getenv: env.Getenv},
			})
			if err != nil {
				return err
			}
			what := "packed"
			if res.Reused {
				what = "reused"
			}
			if noPack {
				fmt.Fprintf(env.Stdout, "created %s (Python %s, %d packages) in %s\n", res.Output, res.Interpreter.Version, len(res.Pins), res.Elapsed.Round(1e6))
				return nil
			}
			fmt.Fprintf(env.Stdout, "%s %s (%s, Python %s, %d packages) in %s\n", what, res.Output,
				humanize.IBytes(uint64(res.Size)), res.Interpreter.Version, len(res.Pins), res.Elapsed.Round(1e6))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&indexURLs, "index-url", "i", nil, "simple index URL (repeatable; default $PYDEPOT_URL/simple/)")
	f.StringVar(&python, "python", "", "Python version to bundle (3.11 or 3.11.7); default: the spec's")
	f.StringVar(&interp, "interpreter", "", "path of the interpreter to bundle")
	f.StringVar(&fmtIn, "format", "gz", "tarball compression: gz or zst")
	_ = cmd.RegisterFlagCompletionFunc("format", completeFormats)
	f.BoolVar(&noPack, "no-pack", false, "leave the environment as the directory NAME, do not pack")
	f.BoolVar(&noReuse, "no-reuse", false, "build even when an identical earlier build is cached")
	f.IntVarP(&jobs, "jobs", "j", 8, "parallel downloads")
	cmd.MarkFlagsMutuallyExclusive("python", "interpreter")
	return cmd
}
