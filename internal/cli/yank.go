package cli

import (
	"fmt"

	"github.com/pydepot/pydepot/internal/server/wire"
	"github.com/spf13/cobra"
)

// releaseCmd builds yank, unyank and remove, which share their arguments and flags.
func releaseCmd(env Env, use, short string, args cobra.PositionalArgs, run func(cmd *cobra.Command, repo string, args []string) error) *cobra.Command {
	var repo string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  args,
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd, repo, args)
		},
		ValidArgsFunction: completeReleaseProject(env),
	}
	cmd.Flags().StringVarP(&repo, "repository", "r", "main", "repository holding the project")
	_ = cmd.RegisterFlagCompletionFunc("repository", completeFrom(env, repositoryNames))
	return cmd
}

func newYankCmd(env Env) *cobra.Command {
	var reason string
	cmd := releaseCmd(env, "yank PROJECT VERSION [--reason TEXT]",
		"Yank a release (PEP 592): installers skip it unless pinned exactly",
		cobra.ExactArgs(2),
		func(cmd *cobra.Command, repo string, args []string) error {
			var why *string // without --reason, a release already yanked keeps its reason
			if cmd.Flags().Changed("reason") {
				why = &reason
			}
			res, err := newClient(env).YankRelease(cmd.Context(), repo, args[0], args[1], why)
			if err != nil {
				return err
			}
			fmt.Fprintln(env.Stdout, describeYank(res, args[0], args[1]))
			return nil
		})
	cmd.Flags().StringVar(&reason, "reason", "", "why it is yanked (shown by pip); without it, a yanked release keeps its reason")
	return cmd
}

// newUnyankCmd is "pydepot unyank"; root.go registers it.
func newUnyankCmd(env Env) *cobra.Command {
	cmd := releaseCmd(env, "unyank PROJECT VERSION", "Clear the yank of a release",
		cobra.ExactArgs(2),
		func(cmd *cobra.Command, repo string, args []string) error {
			res, err := newClient(env).UnyankRelease(cmd.Context(), repo, args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintln(env.Stdout, describeYank(res, args[0], args[1]))
			return nil
		})
	return cmd
}

// describeYank says what a yank or unyank did, and says so when it did nothing.
func describeYank(res *wire.YankResult, project, version string) string {
	what := fmt.Sprintf("%s %s in %s", project, version, res.Repository)
	reason := ""
	if res.Reason != "" {
		reason = fmt.Sprintf(" (reason: %s)", res.Reason)
	}
	switch {
	case res.Changed == 0 && res.Yanked:
		return what + " is already yanked" + reason + "; nothing changed"
	case res.Changed == 0:
		return what + " is not yanked; nothing changed"
	case res.Yanked:
		return fmt.Sprintf("yanked %s%s: %d of %d files changed, repository version %d", what, reason, res.Changed, res.Files, res.RepositoryVersion)
	}
	return fmt.Sprintf("unyanked %s: %d files, repository version %d", what, res.Changed, res.RepositoryVersion)
}

// newRemoveCmd is "pydepot remove"; root.go registers it.
func newRemoveCmd(env Env) *cobra.Command {
	cmd := releaseCmd(env, "remove PROJECT VERSION [FILENAME]",
		"Remove a release, or one file of it, from the repository's next version (admin)",
		cobra.RangeArgs(2, 3),
		func(cmd *cobra.Command, repo string, args []string) error {
			filename := ""
			if len(args) == 3 {
				filename = args[2]
			}
			if err := newClient(env).Remove(cmd.Context(), repo, args[0], args[1], filename); err != nil {
				return err
			}
			what := args[0] + " " + args[1]
			if filename != "" {
				what = filename
			}
			fmt.Fprintf(env.Stdout, "removed %s from %s (older versions still hold it; see 'pydepot repo versions %s')\n", what, repo, repo)
			return nil
		})
	return cmd
}
