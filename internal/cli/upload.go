package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/client"
)

func newUploadCmd(env Env) *cobra.Command {
	var repo, dist string
	cmd := &cobra.Command{
		Use:   "upload [--repository NAME | --distribution BASE] FILE...",
		Short: "Upload wheels and sdists",
		Long: `Upload wheels and sdists to a repository (default main), through the management API,
or with --distribution through a distribution's legacy upload API as twine does. The token
(PYDEPOT_TOKEN) needs upload scope on the repository. Re-uploading an identical file is
not an error; a file name already stored with other content is. With --distribution it
also says whether that distribution serves the file: one pinned to an older version of
the repository does not. See 'pydepot help show workflow'.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("repository") && dist != "" {
				return errors.New("give --repository or --distribution, not both")
			}
			c := newClient(env)
			failed := 0
			for _, path := range args {
				if dist != "" {
					p, err := c.Publish(cmd.Context(), dist, path)
					if err != nil {
						printError(env, err)
						failed++
						continue
					}
					reportPublished(env, p)
					continue
				}
				res, err := c.Upload(cmd.Context(), repo, path)
				if err != nil {
					printError(env, err)
					failed++
					continue
				}
				if res.Existed {
					fmt.Fprintf(env.Stdout, "%s already in %s (identical), skipped\n", res.Filename, repo)
				} else {
					fmt.Fprintf(env.Stdout, "uploaded %s to %s (%s %s, sha256 %s)\n", res.Filename, repo, res.Project, res.Version, res.SHA256)
				}
			}
			if failed > 0 {
				return &ExitError{Code: 1, Err: fmt.Errorf("%d of %d uploads failed", failed, len(args))}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&repo, "repository", "r", "main", "repository to upload to")
	cmd.Flags().StringVarP(&dist, "distribution", "d", "", "upload through this distribution's legacy API instead")
	_ = cmd.RegisterFlagCompletionFunc("repository", completeFrom(env, repositoryNames))
	_ = cmd.RegisterFlagCompletionFunc("distribution", completeFrom(env, distributionNames))
	return cmd
}

// reportPublished says what an upload through a distribution did: whether the file was
// new, and whether the distribution serves it now (a pinned one may not).
func reportPublished(env Env, p *client.Published) {
	d := p.Distribution
	if p.Existed {
		fmt.Fprintf(env.Stdout, "%s already in repository %s (identical), nothing uploaded\n", p.Filename, d.Repository)
	} else if p.RepositoryVersion > 0 {
		fmt.Fprintf(env.Stdout, "uploaded %s to repository %s (now at version %d) through distribution %s\n", p.Filename, d.Repository, p.RepositoryVersion, d.BasePath)
	} else {
		fmt.Fprintf(env.Stdout, "uploaded %s to repository %s through distribution %s\n", p.Filename, d.Repository, d.BasePath)
	}
	switch {
	case p.Served:
		if p.Existed {
			fmt.Fprintf(env.Stdout, "distribution %s serves it\n", d.BasePath)
		}
	case d.Pinned != nil:
		fmt.Fprintf(env.Stderr, "pydepot: warning: distribution %s does not serve %s: it is pinned to version %d of repository %s, which does not hold it; serve it with 'pydepot distribution update %s --pin %d' (or --unpin)\n",
			d.BasePath, p.Filename, *d.Pinned, d.Repository, d.BasePath, p.PinHint)
	default:
		fmt.Fprintf(env.Stderr, "pydepot: warning: distribution %s does not list %s (see 'pydepot repo versions %s')\n", d.BasePath, p.Filename, d.Repository)
	}
}
