package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// newRepoBlockCmds are repo block, unblock and blocks.
func newRepoBlockCmds(env Env) []*cobra.Command {
	complete := firstArg(completeFrom(env, repositoryNames))
	return []*cobra.Command{
		{
			Use:               "block REPO RULE",
			Short:             "Refuse files in a repository: RULE is a project name, NAME==VERSION or a filename (admin)",
			Long:              "Every later add to REPO that the rule matches (an upload, a sync, a pull-through) is\nrefused with an error naming the rule. Files already stored stay; remove them with\n'pydepot remove' when they must go.",
			Args:              cobra.ExactArgs(2),
			ValidArgsFunction: complete,
			RunE: func(cmd *cobra.Command, args []string) error {
				br, err := newClient(env).Block(cmd.Context(), args[0], args[1])
				if err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "repository %s blocks %s\n", args[0], br.Rule)
				return nil
			},
		},
		{
			Use:               "unblock REPO RULE",
			Short:             "Remove a rule from a repository's blocklist (admin)",
			Args:              cobra.ExactArgs(2),
			ValidArgsFunction: complete,
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := newClient(env).Unblock(cmd.Context(), args[0], args[1]); err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "repository %s no longer blocks %s\n", args[0], args[1])
				return nil
			},
		},
		{
			Use:               "blocks REPO",
			Short:             "List a repository's blocklist",
			Args:              cobra.ExactArgs(1),
			ValidArgsFunction: complete,
			RunE: func(cmd *cobra.Command, args []string) error {
				rules, err := newClient(env).BlockRules(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "RULE\tADDED")
				for _, r := range rules {
					fmt.Fprintf(tw, "%s\t%s\n", r.Rule, r.CreatedAt.Local().Format(time.DateTime))
				}
				return tw.Flush()
			},
		},
	}
}
