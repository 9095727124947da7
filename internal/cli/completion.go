package cli

import (
	"context"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/client"
)

// Completion functions that ask the server; completeFrom (repo.go) filters by prefix and
// keeps each call under a few seconds. A value may carry a description after a tab.

// completeFormats offers the tarball formats of 'create --format'.
var completeFormats = cobra.FixedCompletions([]string{"gz\tgzip (default)", "zst\tzstd: smaller and faster to unpack"}, cobra.ShellCompDirectiveNoFileComp)

// completeReleaseProject offers, as the first argument of yank, unyank and remove, the
// projects of the repository named by --repository.
func completeReleaseProject(env Env) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		repo, _ := cmd.Flags().GetString("repository")
		return completeFrom(env, projectNames(repo))(cmd, args, toComplete)
	}
}

// projectNames lists the projects of repo, for completion.
func projectNames(repo string) func(context.Context, *client.Client) ([]string, error) {
	return func(ctx context.Context, c *client.Client) ([]string, error) {
		ps, err := c.Projects(ctx, repo)
		names := make([]string, len(ps))
		for i, p := range ps {
			names[i] = p.Name
		}
		return names, err
	}
}

// completeTokenIDs offers the ids of the tokens, each described by its name and scope.
func completeTokenIDs(env Env) cobra.CompletionFunc {
	return firstArg(completeFrom(env, func(ctx context.Context, c *client.Client) ([]string, error) {
		ts, err := c.Tokens(ctx)
		out := make([]string, len(ts))
		for i, t := range ts {
			where := "every repository"
			if t.Repository != "" {
				where = t.Repository
			}
			out[i] = strconv.FormatInt(t.ID, 10) + "\t" + t.Name + " (" + t.Scope + " on " + where + ")"
		}
		return out, err
	}))
}

// completeRollback offers a repository, then the numbers of its versions, each described
// by its change.
func completeRollback(env Env) cobra.CompletionFunc { return completeVersionArgs(env, 1) }
