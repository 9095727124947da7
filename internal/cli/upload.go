package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func newUploadCmd(env Env) *cobra.Command {
	var repo, dist string
	cmd := &cobra.Command{
		Use:   "upload [--repository NAME | --distribution BASE] FILE...",
		Short: "Upload wheels and sdists",
		Long: `Upload wheels and sdists to a repository (default main), through the management API,
or with --distribution through a distribution's legacy upload API as twine does. The token
(PYDEPOT_TOKEN) needs upload scope on the repository. Re-uploading an identical file is
not an error; a file name already stored with other content is.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("repository") && dist != "" {
				return errors.New("give --repository or --distribution, not both")
			}
			c := newClient(env)
			failed := 0
			for _, path := range args {
				if dist != "" {
					if err := c.UploadLegacy(cmd.Context(), dist, path); err != nil {
						fmt.Fprintf(env.Stderr, "pydepot: %v\n", err)
						failed++
						continue
					}
					fmt.Fprintf(env.Stdout, "uploaded %s to distribution %s\n", path, dist)
					continue
				}
				res, err := c.Upload(cmd.Context(), repo, path)
				if err != nil {
					fmt.Fprintf(env.Stderr, "pydepot: %v\n", err)
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
