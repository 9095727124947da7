package cli

import (
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/server/wire"
)

func newDistributionCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "distribution",
		Aliases: []string{"dist"},
		Short:   "List, create, repoint (promote), pin and delete distributions",
		Long:    "A distribution serves a repository (its latest version, or a pinned one) under a base\npath such as prod or team/dev, publicly or to token holders only. A distribution named\npypi serves /pypi/simple/ beside the default distribution's /pypi/PROJECT/json\n(pydepot help show model).",
	}
	complete := firstArg(completeFrom(env, distributionNames))
	completeRepo := completeFrom(env, repositoryNames)

	// create and update each own their flag variables: a variable shared by two flag
	// sets takes the default of the last one registered ("" from update's --repository).
	var (
		createRepo, updateRepo string
		pin                    int
		private, public        bool
		unpin                  bool
		createReq, updateReq   bool
		createSrc, updateSrc   sourceFlags
	)
	create := &cobra.Command{
		Use:   "create BASE [--repository NAME] [--pin N] [--private] [--require-checks] [--source REPO[@N]]... [--allow-shadow NAME]... [--pull-through REMOTE [--ttl D]]",
		Short: "Create a distribution (admin on the repository, or on every source)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d := wire.Distribution{BasePath: args[0], Repository: createRepo, Public: !private, RequireChecks: createReq}
			if cmd.Flags().Changed("pin") {
				d.Pinned = &pin
			}
			if createSrc.changed(cmd) {
				first := ""
				if cmd.Flags().Changed("repository") {
					first = createRepo
				}
				srcs, err := createSrc.list(first, d.Pinned)
				if err != nil {
					return err
				}
				d.Repository, d.Pinned, d.Sources = "", nil, srcs
			}
			d.AllowShadow = createSrc.allowShadow
			out, err := newClient(env).CreateDistribution(cmd.Context(), d)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "created distribution %s: %s\n", out.BasePath, describeDist(*out))
			return nil
		},
	}
	create.Flags().StringVar(&createRepo, "repository", "main", "repository to serve")
	create.Flags().IntVar(&pin, "pin", 0, "serve this repository version instead of the latest")
	create.Flags().BoolVar(&private, "private", false, "readable with a token only")
	create.Flags().BoolVar(&createReq, "require-checks", false, "serve only files whose latest check passed (quarantine; 'pydepot help show quarantine')")
	_ = create.RegisterFlagCompletionFunc("repository", completeRepo)
	createSrc.register(create, env)

	update := &cobra.Command{
		Use:   "update BASE [--repository NAME] [--version N | --unpin] [--public | --private] [--require-checks[=false]] [--source REPO[@N]]... [--allow-shadow NAME]... [--pull-through REMOTE]",
		Short: "Repoint (promote), pin, unpin or change the visibility of a distribution (admin)",
		Long: `Repoint, pin, unpin or change the visibility of a distribution. Promotion is one
command: 'pydepot distribution update prod --repository staging --version 3' makes prod
serve version 3 of staging, atomically (clients see the old state or the new one). A pinned
distribution moved to another repository needs --version N or --unpin (its old pin numbers
a version of the old repository). --pin N is --version N. --source (repeated) replaces a
merged view's sources, --allow-shadow its allow-shadow list (see 'pydepot help show
merged-views'). --require-checks serves only the files whose latest check passed,
--require-checks=false every file again (see 'pydepot help show quarantine').`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: complete,
		RunE: func(cmd *cobra.Command, args []string) error {
			var u wire.DistributionUpdate
			fl := cmd.Flags()
			if fl.Changed("repository") {
				u.Repository = &updateRepo
			}
			if fl.Changed("pin") || fl.Changed("version") {
				u.Pinned = &pin
			}
			u.Unpin = unpin
			if public && private {
				return fmt.Errorf("give --public or --private, not both")
			}
			if public || private {
				v := public
				u.Public = &v
			}
			if fl.Changed("require-checks") {
				u.RequireChecks = &updateReq
			}
			if updateSrc.changed(cmd) {
				srcs, err := updateSrc.list("", nil)
				if err != nil {
					return err
				}
				u.Sources = &srcs
			}
			if fl.Changed("allow-shadow") {
				u.AllowShadow = &updateSrc.allowShadow
			}
			out, err := newClient(env).UpdateDistribution(cmd.Context(), args[0], u)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "distribution %s: %s\n", out.BasePath, describeDist(*out))
			return nil
		},
	}
	update.Flags().StringVar(&updateRepo, "repository", "", "serve this repository instead")
	update.Flags().IntVar(&pin, "version", 0, "serve this repository version (promotion: with --repository)")
	update.Flags().IntVar(&pin, "pin", 0, "serve this repository version (same as --version)")
	update.Flags().BoolVar(&unpin, "unpin", false, "serve the latest version again")
	update.Flags().BoolVar(&public, "public", false, "allow anonymous reads")
	update.Flags().BoolVar(&private, "private", false, "readable with a token only")
	update.Flags().BoolVar(&updateReq, "require-checks", false, "serve only files whose latest check passed (=false: serve every file again)")
	update.MarkFlagsMutuallyExclusive("pin", "unpin")
	update.MarkFlagsMutuallyExclusive("version", "unpin")
	update.MarkFlagsMutuallyExclusive("version", "pin")
	_ = update.RegisterFlagCompletionFunc("version", completeDistVersion(env, &updateRepo))
	_ = update.RegisterFlagCompletionFunc("repository", completeRepo)
	updateSrc.register(update, env)

	cmd.AddCommand(
		&cobra.Command{
			Use:   "list",
			Short: "List the distributions",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				ds, err := newClient(env).Distributions(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "BASE\tREPOSITORY\tVERSION\tACCESS")
				for _, d := range ds {
					v := "latest"
					if d.Pinned != nil {
						v = strconv.Itoa(*d.Pinned)
					}
					access := "public"
					if !d.Public {
						access = "private"
					}
					repo := d.Repository
					if len(d.Sources) > 0 {
						repo = sourceNames(d)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.BasePath, repo, v, access)
				}
				return tw.Flush()
			},
		},
		&cobra.Command{
			Use:               "show BASE",
			Short:             "Show a distribution",
			Args:              cobra.ExactArgs(1),
			ValidArgsFunction: complete,
			RunE: func(cmd *cobra.Command, args []string) error {
				d, err := newClient(env).Distribution(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "%s: %s\nindex URL: %s/%s/simple/\n", d.BasePath, describeDist(*d), newClient(env).BaseURL(), d.BasePath)
				return nil
			},
		},
		create,
		update,
		&cobra.Command{
			Use:               "delete BASE",
			Short:             "Delete a distribution (its repository stays)",
			Args:              cobra.ExactArgs(1),
			ValidArgsFunction: complete,
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := newClient(env).DeleteDistribution(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "deleted distribution %s\n", args[0])
				return nil
			},
		},
	)
	return cmd
}

func describeDist(d wire.Distribution) string {
	if len(d.Sources) > 0 {
		access := "public"
		if !d.Public {
			access = "private"
		}
		return describeSources(d) + ", " + access + quarantineNote(d)
	}
	v := "its latest version"
	if d.Pinned != nil {
		v = fmt.Sprintf("version %d", *d.Pinned)
	}
	access := "public"
	if !d.Public {
		access = "private"
	}
	return fmt.Sprintf("serves repository %s at %s, %s", d.Repository, v, access) + quarantineNote(d)
}

// quarantineNote says that a distribution serves only files whose check passed.
func quarantineNote(d wire.Distribution) string {
	if d.RequireChecks {
		return ", only files whose check passed"
	}
	return ""
}
