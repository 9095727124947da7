package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/osv"
)

// newOSVCmd is "pydepot osv": the local OSV vulnerability database.
func newOSVCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "osv",
		Short: "Load and query the local OSV vulnerability database",
		Long:  "The vulnerability database that checks (the vulns step) and the JSON API's\n'vulnerabilities' read. See 'pydepot help show vulnerabilities'.",
	}
	cmd.AddCommand(newOSVImportCmd(env), newOSVShowCmd(env))
	return cmd
}

// osvStoreFlags adds --data and --database, which name the metadata store as serve does.
func osvStoreFlags(env Env, cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("data", envOr(env, "PYDEPOT_DATA", defaultDataDir), "data directory whose pydepot.db is used (env PYDEPOT_DATA)")
	f.String("database", env.Getenv("PYDEPOT_DATABASE"), "metadata store URL, sqlite:///path/pydepot.db (env PYDEPOT_DATABASE); wins over --data")
	_ = cmd.MarkFlagDirname("data")
	_ = cmd.RegisterFlagCompletionFunc("database", completeSchemes(backends.DatabaseSchemes))
}

// openOSVStore opens the store --data or --database names. It never creates one: a wrong
// path is an error, not an empty database.
func openOSVStore(env Env, cmd *cobra.Command) (metastore.Store, error) {
	f := cmd.Flags()
	dbURL, _ := f.GetString("database")
	if f.Changed("data") && f.Changed("database") {
		return nil, fmt.Errorf("--data and --database are both given: give one")
	}
	if dbURL == "" || f.Changed("data") {
		dir, _ := f.GetString("data")
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("data directory %s: %w", dir, err)
		}
		dbURL, _ = backends.DataURLs(abs)
	}
	path, err := backends.DatabasePath(dbURL)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist: not a pydepot database (give --data DIR or --database URL)", path)
	}
	return backends.OpenStore(cmd.Context(), dbURL, env.Logger())
}

func newOSVImportCmd(env Env) *cobra.Command {
	var opts osv.ImportOptions
	cmd := &cobra.Command{
		Use:   "import FILE.zip|DIR [--data DIR | --database URL]",
		Short: "Load OSV records (the PyPI dump all.zip, or a folder of *.json records) offline",
		Long: `Load the OSV records of FILE.zip (the dump of the PyPI ecosystem,
https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip, downloaded by any means)
or of the *.json files below DIR into the metadata store. Records replace those with the
same id, so a modified or withdrawn record updates. Every record is checked first: an
invalid one stops the import, naming its file, and nothing is stored (--skip-invalid
skips such records instead, and names the first few). It opens the
store directly, as gc does, and is safe while servers use it.`,
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return []string{"zip"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openOSVStore(env, cmd)
			if err != nil {
				return err
			}
			defer store.Close()
			st, err := osv.New(store, osv.Limits{}).ImportWith(cmd.Context(), args[0], opts)
			if err != nil {
				return err
			}
			for _, e := range st.InvalidExamples {
				fmt.Fprintf(env.Stderr, "skipped invalid record %s\n", e)
			}
			if st.Invalid > 0 {
				fmt.Fprintf(env.Stdout, "skipped %d invalid record(s)\n", st.Invalid)
			}
			total, err := store.VulnCount(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "read %d record(s) from %s: %d added, %d updated, %d unchanged, %d without a PyPI package (skipped); %d withdrawn\n",
				st.Files, args[0], st.Added, st.Updated, st.Unchanged, st.Ignored, st.Withdrawn)
			fmt.Fprintf(env.Stdout, "the database holds %d record(s)\n", total)
			return nil
		},
	}
	osvStoreFlags(env, cmd)
	cmd.Flags().BoolVar(&opts.SkipInvalid, "skip-invalid", false, "skip invalid records (counted, the first few named) instead of importing nothing")
	return cmd
}

func newOSVShowCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:               "show PROJECT VERSION [--data DIR | --database URL]",
		Short:             "List the records of the local database that affect a project version",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openOSVStore(env, cmd)
			if err != nil {
				return err
			}
			defer store.Close()
			vulns, err := osv.New(store, osv.Limits{}).Match(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			if len(vulns) == 0 {
				fmt.Fprintf(env.Stdout, "no known vulnerability affects %s %s\n", args[0], args[1])
				return nil
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tALIASES\tSEVERITY\tFIXED IN\tSUMMARY")
			for _, v := range vulns {
				sev := string(v.Severity)
				if v.Withdrawn != nil {
					sev = "withdrawn"
				} else if sev == "" {
					sev = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.ID, orDash(strings.Join(v.Aliases, ",")), sev, orDash(strings.Join(v.FixedIn, ",")), strings.Join(strings.Fields(v.Summary), " "))
			}
			return tw.Flush()
		},
	}
	osvStoreFlags(env, cmd)
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
