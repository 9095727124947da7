package cli

import (
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/server/wire"
)

func newTokenCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens (admin)",
		Long:  "Tokens are scoped: read, upload or admin, on one repository or all. Each scope includes\nthe ones before it. A token's secret is shown once, when it is created.",
	}
	var scope, repo string
	create := &cobra.Command{
		Use:   "create NAME [--scope read|upload|admin] [--repository NAME]",
		Short: "Create a token and print its secret once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := newClient(env).CreateToken(cmd.Context(), wire.TokenCreate{Name: args[0], Scope: scope, Repository: repo})
			if err != nil {
				return err
			}
			where := "every repository"
			if repo != "" {
				where = "repository " + repo
			}
			fmt.Fprintf(env.Stderr, "token %d %q: %s on %s (the secret below is shown once)\n", out.Stored.ID, out.Stored.Name, out.Stored.Scope, where)
			fmt.Fprintln(env.Stdout, out.Token)
			return nil
		},
	}
	create.Flags().StringVar(&scope, "scope", "read", "read, upload or admin")
	create.Flags().StringVarP(&repo, "repository", "r", "", "limit the token to this repository")
	_ = create.RegisterFlagCompletionFunc("repository", completeFrom(env, repositoryNames))
	_ = create.RegisterFlagCompletionFunc("scope", cobra.FixedCompletions([]string{"read", "upload", "admin"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.AddCommand(
		create,
		&cobra.Command{
			Use:   "list",
			Short: "List the tokens (never their secrets)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				ts, err := newClient(env).Tokens(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tREPOSITORY\tCREATED")
				for _, t := range ts {
					r := t.Repository
					if r == "" {
						r = "*"
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Scope, r, t.CreatedAt.Local().Format(time.DateTime))
				}
				return tw.Flush()
			},
		},
		&cobra.Command{
			Use:               "revoke ID",
			Short:             "Revoke a token",
			Args:              cobra.ExactArgs(1),
			ValidArgsFunction: completeTokenIDs(env),
			RunE: func(cmd *cobra.Command, args []string) error {
				id, err := strconv.ParseInt(args[0], 10, 64)
				if err != nil {
					return fmt.Errorf("token id %q: want the number shown by 'pydepot token list'", args[0])
				}
				if err := newClient(env).RevokeToken(cmd.Context(), id); err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "revoked token %d\n", id)
				return nil
			},
		},
	)
	return cmd
}
