package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/checks"
	"github.com/pydepot/pydepot/internal/client"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/server/wire"
)

// ExitCheckFailed is pydepot check's exit status when the check ran and its verdict is
// fail (a failed or canceled task exits with FollowTask's ExitTaskFailed or
// ExitTaskCanceled).
const ExitCheckFailed = 3

func newCheckCmd(env Env) *cobra.Command {
	var (
		asJSON, noWait bool
		python         string
	)
	cmd := &cobra.Command{
		Use:   "check REPO FILENAME [--json] [--no-wait] [--python VERSION]",
		Short: "Check a file of a repository in a sandbox: build, install, import, test, lint, scan (admin on REPO)",
		Long: `check runs the check of FILENAME (a file of REPO's latest version) as a task on the
server: it builds an sdist, installs and imports the package in a sandbox without network
under tracing, runs its tests, lints and scans it, and prints the report: the verdict
(pass, warn or fail), each step, the findings and the test counts. --json prints the
report as JSON. --no-wait starts the task and returns.

Exit status: 0 when the verdict is pass or warn, 3 when it is fail, 1 when the task
failed (the check could not run), 2 when it was canceled. Ctrl-C stops following; the
check goes on. See 'pydepot help show checks'.`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeCheckArgs(env),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := newClient(env)
			st, err := c.StartCheck(cmd.Context(), wire.CheckRequest{Repository: args[0], Filename: args[1], Python: python})
			if err != nil {
				return err
			}
			if noWait {
				if asJSON {
					return printJSON(env.Stdout, st)
				}
				fmt.Fprintf(env.Stdout, "check task %d started (pydepot task show %d)\n", st.Task, st.Task)
				return nil
			}
			fmt.Fprintf(env.Stderr, "check task %d started\n", st.Task)
			t, err := FollowTask(cmd.Context(), env, c, st.Task)
			if errors.Is(err, errs.ErrForbidden) {
				return fmt.Errorf("check task %d started, but following it needs an admin token on every repository (tasks are server-wide): 'pydepot check %s %s --no-wait' starts one without following; its report shows at /api/checks?repository=%s: %w",
					st.Task, args[0], args[1], args[0], err)
			}
			if err != nil {
				return err
			}
			var res checks.Result
			if err := json.Unmarshal(t.Result, &res); err != nil || res.Report == 0 {
				return fmt.Errorf("task %d: its result is not a check's: %s", st.Task, t.Result)
			}
			return printCheck(cmd.Context(), env, c, res.Report, asJSON)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print the report as JSON (file, verdict, tasks, findings, tests)")
	f.BoolVar(&noWait, "no-wait", false, "start the check task and return at once")
	f.StringVar(&python, "python", "", "target Python version, such as 3.11 (default: the pipeline's choice)")
	_ = cmd.RegisterFlagCompletionFunc("python", cobra.NoFileCompletions)
	return cmd
}

// printCheck prints report id, as JSON or for people; a fail verdict exits with
// ExitCheckFailed.
func printCheck(ctx context.Context, env Env, c *client.Client, id int64, asJSON bool) error {
	rep, err := c.Check(ctx, id)
	if err != nil {
		return err
	}
	var r checkreport.Report
	if err := json.Unmarshal(rep.Report, &r); err != nil {
		return fmt.Errorf("check report %d: %v", id, err)
	}
	if asJSON {
		if err := printJSON(env.Stdout, json.RawMessage(rep.Report)); err != nil {
			return err
		}
	} else {
		printReport(env.Stdout, &r, rep)
	}
	if r.Verdict == checkreport.Fail {
		return &ExitError{Code: ExitCheckFailed, Err: fmt.Errorf("%s: the check failed (report %d)", r.File, id)}
	}
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func printReport(w io.Writer, r *checkreport.Report, rep *wire.CheckReport) {
	fmt.Fprintf(w, "%s (%s): %s\n", r.File, rep.Repository, r.Verdict)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TASK\tSTATUS\tTIME\tNOTE")
	for _, t := range r.Tasks {
		fmt.Fprintf(tw, "%s\t%s\t%d ms\t%s\n", t.Name, t.Status, t.DurationMS, cut(t.Error, 80))
	}
	tw.Flush()
	if len(r.Findings) > 0 {
		fmt.Fprintln(w, "findings:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, f := range r.Findings {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", f.Severity, f.Kind, f.Task, cut(f.Detail, 120))
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "tests: %d passed, %d failed, %d errors", r.Tests.Passed, r.Tests.Failed, r.Tests.Errors)
	if r.Tests.Coverage != nil {
		fmt.Fprintf(w, ", coverage %.0f%%", *r.Tests.Coverage)
	}
	fmt.Fprintln(w)
	for _, raw := range rep.Raw {
		fmt.Fprintf(w, "raw %s (%s, %d bytes): %s\n", raw.Name, raw.Task, raw.Size, raw.URL)
	}
}

// completeCheckArgs offers a repository, then the files of its earlier checks.
func completeCheckArgs(env Env) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		switch len(args) {
		case 0:
			return completeFrom(env, repositoryNames)(cmd, args, toComplete)
		case 1:
			return completeFrom(env, func(ctx context.Context, c *client.Client) ([]string, error) {
				list, err := c.Checks(ctx, args[0], "", 500, 0)
				if err != nil {
					return nil, err
				}
				seen := map[string]bool{}
				var out []string
				for _, ch := range list.Checks {
					if !seen[ch.Filename] {
						seen[ch.Filename] = true
						out = append(out, ch.Filename)
					}
				}
				return out, nil
			})(cmd, args, toComplete)
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

// newRepoUpdateCmd is "pydepot repo update": the repository's settings.
func newRepoUpdateCmd(env Env, complete cobra.CompletionFunc) *cobra.Command {
	var on bool
	cmd := &cobra.Command{
		Use:   "update NAME --check-on-upload[=false]",
		Short: "Change a repository's settings: check on upload (admin on NAME)",
		Long: `update changes the settings of repository NAME. --check-on-upload queues a check of every
file uploaded to it from now on; --check-on-upload=false stops that. Files already
there are checked with 'pydepot check NAME FILENAME'. See 'pydepot help show checks'.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: complete,
		RunE: func(cmd *cobra.Command, args []string) error {
			var u wire.RepositoryUpdate
			if !cmd.Flags().Changed("check-on-upload") {
				return fmt.Errorf("nothing to change: give --check-on-upload or --check-on-upload=false")
			}
			u.CheckOnUpload = &on
			r, err := newClient(env).UpdateRepository(cmd.Context(), args[0], u)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "repository %s%s\n", r.Name, checkNote(r.CheckOnUpload))
			if !r.CheckOnUpload {
				fmt.Fprintln(env.Stdout, "uploads are no longer checked")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&on, "check-on-upload", false, "queue a check of every file uploaded (=false: no more)")
	return cmd
}

// checkNote says that a repository checks its uploads.
func checkNote(on bool) string {
	if on {
		return ": every upload is checked"
	}
	return ""
}
