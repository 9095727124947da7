package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/analyze"
	"github.com/pydepot/pydepot/internal/atomicfile"
	"github.com/pydepot/pydepot/internal/client"
	"github.com/pydepot/pydepot/internal/errs"
)

func newAnalyzeCmd(env Env) *cobra.Command {
	var (
		o        analyze.Options
		mappings []string
		indexURL string
	)
	cmd := &cobra.Command{
		Use:   "analyze [--toplevel | --function NAME] [--pkg-mapping IMPORT=DIST]... [--extra-pkg DIST]... [--python X.Y] [--index-url URL] [--pin] SOURCE... OUT",
		Short: "Find the distributions a Python script or project imports",
		Long: `Find what Python code imports and which distributions provide it.

SOURCE is a script, a folder (analyzed as a project) or - for standard input; OUT,
required, is the JSON file to write, or - for standard output. OUT is never one of the
sources nor a .py file. Exit status: 1 for a usage error (nothing is written), 2 for a
SOURCE that does not exist. Imports inside functions, try/except
ImportError (listed as optional) and importlib.import_module("...") / __import__("...")
calls are found; imports under 'if TYPE_CHECKING:', the standard library of the target
Python and the code's own modules are dropped. The target is the python3 on PATH
unless --python says otherwise.

Import names are mapped to distributions by --pkg-mapping, the installed environment
(with --pin), the index (--index-url, $PYDEPOT_INDEX_URL or the server at $PYDEPOT_URL, asked
with $PYDEPOT_TOKEN), a built-in table, then
the name itself (listed under "unresolved"). See 'pydepot help show analyze'.`,
		Example: `  pydepot analyze script.py deps.json
  pydepot analyze --pin --pkg-mapping mylib=my-lib-dist src/ -
  cat job.py | pydepot analyze --python 3.12 --index-url http://depot:8080/prod/simple/ - -`,
		// Exit status: 0 success, 1 a usage error (nothing is read or written), 2 a
		// SOURCE that does not exist, as cctools' python_package_analyze.
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageError(cmd, "want at least one SOURCE and the OUT file, got %d argument(s)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			o.Sources, o.Stdin = args[:len(args)-1], env.Stdin
			out := args[len(args)-1]
			if err := checkAnalyzeOut(cmd, o.Sources, out); err != nil {
				return err
			}
			o.Logger = env.Logger()
			o.Mappings = map[string]string{}
			for _, m := range mappings {
				imp, dist, ok := strings.Cut(m, "=")
				if !ok || imp == "" || dist == "" {
					return fmt.Errorf("--pkg-mapping %q: want IMPORT=DIST: %w", m, errs.ErrInvalid)
				}
				o.Mappings[strings.TrimSpace(imp)] = strings.TrimSpace(dist)
			}
			if indexURL == "" {
				indexURL = env.Getenv("PYDEPOT_INDEX_URL")
			}
			if indexURL == "" && env.Getenv("PYDEPOT_URL") != "" {
				// Like every command, the server PYDEPOT_URL names; without it, no index.
				root, err := client.ParseServerURL(env.Getenv("PYDEPOT_URL"))
				if err != nil {
					return err
				}
				indexURL = root
			}
			if indexURL != "" {
				hc := env.HTTP
				if hc == nil {
					hc = NewHTTPClient(DefaultResponseTimeout)
				}
				ix, err := analyze.NewHTTPIndex(indexURL, env.Getenv("PYDEPOT_TOKEN"), hc)
				if err != nil {
					return err
				}
				ix.WarnTo(env.Stderr)
				o.Index = ix
			}
			var err error
			switch {
			case o.Python == "":
				o.Target, err = analyze.DefaultInterpreter(ctx, env.Getenv)
			case o.Pin:
				o.Target, err = analyze.FindInterpreter(ctx, o.Python, env.Getenv)
			}
			// Without --pin, --python X.Y alone decides the standard library and is
			// written as "python"; no interpreter is needed.
			if err != nil {
				return err
			}
			res, err := analyze.Run(ctx, o)
			var missing *analyze.MissingSourceError
			if errors.As(err, &missing) {
				return &ExitError{Code: 2, Err: err}
			}
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "    ")
			if err := enc.Encode(res); err != nil {
				return err
			}
			if out == "-" {
				_, err = env.Stdout.Write(buf.Bytes())
				return err
			}
			// Through a link to the file it names, but by a rename: a hard link to a
			// script keeps the script, and a dangling link creates nothing at its target.
			if real, err := filepath.EvalSymlinks(out); err == nil {
				out = real
			}
			return atomicfile.Write(out, bytes.NewReader(buf.Bytes()), 0o644)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.TopLevel, "toplevel", false, "only imports outside of functions (those that run when the code is loaded)")
	f.StringVar(&o.Function, "function", "", "only imports inside functions named `NAME`")
	f.StringArrayVar(&mappings, "pkg-mapping", nil, "the import `IMPORT=DIST` is provided by distribution DIST (repeatable)")
	f.StringArrayVar(&o.Extra, "extra-pkg", nil, "also require distribution `DIST`, even if nothing imports it (repeatable)")
	f.StringVar(&o.Python, "python", "", "target Python `X.Y` (default: the python3 on PATH)")
	f.StringVar(&indexURL, "index-url", "", "pydepot server or simple index `URL` that maps imports to projects")
	f.BoolVar(&o.Pin, "pin", false, "pin each requirement to the version installed in the target interpreter")
	cmd.MarkFlagsMutuallyExclusive("toplevel", "function")
	return cmd
}

// usageError is exit status 1 with the command's usage line.
func usageError(cmd *cobra.Command, format string, a ...any) error {
	return &ExitError{Code: 1, Err: fmt.Errorf("%s (usage: pydepot %s): %w", fmt.Sprintf(format, a...), cmd.Use, errs.ErrInvalid)}
}

// checkAnalyzeOut refuses an OUT that would destroy code or cannot be the JSON file:
// a name ending in .py (existing or not: `analyze a.py b.py` means two sources) or a
// link to one, one of the sources, or a folder.
func checkAnalyzeOut(cmd *cobra.Command, sources []string, out string) error {
	if out == "-" {
		return nil
	}
	if strings.HasSuffix(out, ".py") {
		return usageError(cmd, "OUT %s is a Python file; the last argument is the JSON file to write", out)
	}
	if real, err := filepath.EvalSymlinks(out); err == nil && strings.HasSuffix(real, ".py") {
		return usageError(cmd, "OUT %s is a link to the Python file %s; the last argument is the JSON file to write", out, real)
	}
	ost, err := os.Stat(out)
	if err != nil {
		return nil // a new file
	}
	if ost.IsDir() {
		return usageError(cmd, "OUT %s is a folder; the last argument is the JSON file to write", out)
	}
	for _, s := range sources {
		if s == "-" {
			continue
		}
		st, err := os.Stat(s)
		if err != nil {
			continue // reported as a missing source
		}
		if os.SameFile(st, ost) {
			return usageError(cmd, "OUT %s is also a SOURCE; it would be overwritten", out)
		}
	}
	return nil
}
