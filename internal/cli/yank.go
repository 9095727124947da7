package cli

import (
	"fmt"

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
			if err := newClient(env).Yank(cmd.Context(), repo, args[0], args[1], reason); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "yanked %s %s in %s\n", args[0], args[1], repo)
			return nil
		})
	cmd.Flags().StringVar(&reason, "reason", "", "why it is yanked (shown by pip)")
	return cmd
}

// newUnyankCmd is "pydepot unyank"; root.go registers it.
func newUnyankCmd(env Env) *cobra.Command {
	cmd := releaseCmd(env, "unyank PROJECT VERSION", "Clear the yank of a release",
		cobra.ExactArgs(2),
		func(cmd *cobra.Command, repo string, args []string) error {
			if err := newClient(env).Unyank(cmd.Context(), repo, args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "unyanked %s %s in %s\n", args[0], args[1], repo)
			return nil
		})
	return cmd
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
