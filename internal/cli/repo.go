package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/client"
	"github.com/pydepot/pydepot/internal/server/wire"
)

func newRepoCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "repo",
		Short: "List, create and inspect repositories; roll one back",
		Long:  "Repositories are named sets of distribution files; every change makes a new immutable\nversion. These commands talk to the server at PYDEPOT_URL with PYDEPOT_TOKEN.",
	}
	complete := firstArg(completeFrom(env, repositoryNames))
	var description string
	var checkOnUpload bool
	create := &cobra.Command{
		Use:   "create NAME [--description TEXT] [--check-on-upload]",
		Short: "Create a repository (admin)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := newClient(env).CreateRepositoryFrom(cmd.Context(), wire.RepositoryCreate{Name: args[0], Description: description, CheckOnUpload: checkOnUpload})
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "created repository %s (version %d)%s\n", r.Name, r.Latest, checkNote(r.CheckOnUpload))
			return nil
		},
	}
	create.Flags().StringVar(&description, "description", "", "what the repository holds")
	create.Flags().BoolVar(&checkOnUpload, "check-on-upload", false, "queue a check of every file uploaded (see 'pydepot help show checks')")
	cmd.AddCommand(
		&cobra.Command{
			Use:   "list",
			Short: "List the repositories",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				rs, err := newClient(env).Repositories(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tLATEST\tCREATED\tDESCRIPTION")
				for _, r := range rs {
					fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", r.Name, r.Latest, r.CreatedAt.Local().Format(time.DateTime), r.Description)
				}
				return tw.Flush()
			},
		},
		create,
		newRepoUpdateCmd(env, complete),
		&cobra.Command{
			Use:               "show NAME",
			Short:             "Show a repository",
			Args:              cobra.ExactArgs(1),
			ValidArgsFunction: complete,
			RunE: func(cmd *cobra.Command, args []string) error {
				r, err := newClient(env).Repository(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "name:         %s\nlatest:       %d\ncreated:      %s\ndescription:  %s\n", r.Name, r.Latest, r.CreatedAt.Local().Format(time.DateTime), r.Description)
				fmt.Fprintf(env.Stdout, "checks:       %s\n", map[bool]string{true: "on upload", false: "only when asked"}[r.CheckOnUpload])
				return nil
			},
		},
		&cobra.Command{
			Use:               "versions NAME",
			Short:             "List the versions of a repository",
			Args:              cobra.ExactArgs(1),
			ValidArgsFunction: complete,
			RunE: func(cmd *cobra.Command, args []string) error {
				vs, err := newClient(env).Versions(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "VERSION\tFILES\tCREATED\tCHANGE")
				for _, v := range vs {
					fmt.Fprintf(tw, "%d\t%d\t%s\t%s\n", v.Number, v.Files, v.CreatedAt.Local().Format(time.DateTime), v.Message)
				}
				return tw.Flush()
			},
		},
		&cobra.Command{
			Use:               "rollback NAME VERSION",
			Short:             "Make a new version of a repository equal to an older one (admin)",
			Args:              cobra.ExactArgs(2),
			ValidArgsFunction: completeRollback(env),
			RunE: func(cmd *cobra.Command, args []string) error {
				to, err := strconv.Atoi(args[1])
				if err != nil || to < 0 {
					return fmt.Errorf("version %q: want a version number (see 'pydepot repo versions %s')", args[1], args[0])
				}
				v, err := newClient(env).Rollback(cmd.Context(), args[0], to)
				if err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "repository %s is now at version %d (content of version %d)\n", v.Repository, v.Number, to)
				return nil
			},
		},
	)
	cmd.AddCommand(repoLifecycleCmds(env)...)
	cmd.AddCommand(newRepoBlockCmds(env)...)
	return cmd
}

// defaultServerURL is the server the commands talk to without PYDEPOT_URL.
const defaultServerURL = "http://127.0.0.1:8080"

// newClient returns the API client the environment points at (PYDEPOT_URL, PYDEPOT_TOKEN).
// A PYDEPOT_URL that is not a server's root makes every call fail with a message saying
// what to set.
func newClient(env Env) *client.Client {
	hc := env.HTTP
	if hc == nil {
		hc = NewHTTPClient(DefaultResponseTimeout)
	}
	c := client.New(envOr(env, "PYDEPOT_URL", defaultServerURL), env.Getenv("PYDEPOT_TOKEN"), hc)
	c.Warnings = env.Stderr
	return c
}

// defaultIndexURL is the simple index of the server at PYDEPOT_URL, checked as newClient
// checks it.
func defaultIndexURL(env Env) (string, error) {
	root, err := client.ParseServerURL(envOr(env, "PYDEPOT_URL", defaultServerURL))
	if err != nil {
		return "", err
	}
	return root + "/simple/", nil
}

// completeFrom returns a cobra completion function offering names fetched from the server.
func completeFrom(env Env, list func(ctx context.Context, c *client.Client) ([]string, error)) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		parent := cmd.Context()
		if parent == nil {
			parent = context.Background()
		}
		ctx, cancel := context.WithTimeout(parent, 3*time.Second)
		defer cancel()
		names, err := list(ctx, newClient(env))
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
		}
		var out []string
		for _, n := range names {
			if strings.HasPrefix(n, toComplete) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func repositoryNames(ctx context.Context, c *client.Client) ([]string, error) {
	rs, err := c.Repositories(ctx)
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	return names, err
}

func distributionNames(ctx context.Context, c *client.Client) ([]string, error) {
	ds, err := c.Distributions(ctx)
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = d.BasePath
	}
	return names, err
}

// firstArg completes only the first positional argument.
func firstArg(f cobra.CompletionFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return f(cmd, args, toComplete)
	}
}
