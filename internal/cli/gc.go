package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/index"
)

// newGCCmd is "pydepot gc": it removes unreferenced blobs from a data directory.
func newGCCmd(env Env) *cobra.Command {
	var (
		dryRun bool
		grace  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "gc [--data DIR | --database URL --blobs URL] [--dry-run] [--grace 1h]",
		Short: "Remove stored files that nothing references (left by failed uploads)",
		Long: `Remove the blobs of a data directory that no file row references, in any repository
version (old versions count), and that are older than the grace period. It opens the
stores directly, named as serve names them (--data DIR, or --database and --blobs, or the
PYDEPOT_* variables), and is safe while servers on the same stores accept uploads: an upload marks its blobs before writing them, and gc keeps
every blob marked or written within the grace period. To free what old versions hold,
reclaim them first with 'pydepot repo retain'. See 'pydepot help show gc'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			get := func(name string) string { return cmd.Flags().Lookup(name).Value.String() }
			var set [3]setting
			for i, fe := range [][2]string{{"data", "PYDEPOT_DATA"}, {"database", "PYDEPOT_DATABASE"}, {"blobs", "PYDEPOT_BLOBS"}} {
				set[i].value = get(fe[0])
				if cmd.Flags().Changed(fe[0]) {
					set[i].from = fromFlag
				} else if env.Getenv(fe[1]) != "" {
					set[i].from = fromEnv
				}
			}
			_, dbURL, blobsURL, _, err := storage(set[0], set[1], set[2])
			if err != nil {
				return err
			}
			// gc never creates a store: a wrong path is an error, not an empty index.
			dbPath, err := backends.DatabasePath(dbURL)
			if err != nil {
				return err
			}
			if _, err := os.Stat(dbPath); errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("%s does not exist: not a pydepot database (give --data DIR or --database URL)", dbPath)
			}
			svc, closeIndex, err := backends.OpenStores(cmd.Context(), dbURL, blobsURL, env.Logger())
			if err != nil {
				return fmt.Errorf("open the stores: %w", err)
			}
			defer closeIndex()
			rep, err := svc.GC(cmd.Context(), index.GCOptions{DryRun: dryRun, Grace: grace})
			if err != nil {
				return err
			}
			verb := "removed"
			if dryRun {
				verb = "would remove"
			}
			fmt.Fprintf(env.Stdout, "%s %d unreferenced blob(s), %s (%d bytes); %d blob(s) looked at, %d unreferenced kept within the %s grace\n",
				verb, rep.Removed, humanize.IBytes(uint64(rep.RemovedBytes)), rep.RemovedBytes, rep.Blobs, rep.Young, grace)
			for _, sha := range rep.Example {
				fmt.Fprintf(env.Stdout, "  %s\n", sha)
			}
			if p := rep.Packs; p.Removed > 0 {
				fmt.Fprintf(env.Stdout, "packs: %d of %d rewritten or removed, %s (%d bytes) freed\n", p.Removed, p.Packs, humanize.IBytes(uint64(p.Freed)), p.Freed)
			}
			return nil
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	f := cmd.Flags()
	f.String("data", envOr(env, "PYDEPOT_DATA", defaultDataDir), "data directory, short for --database sqlite:///DIR/pydepot.db --blobs file:///DIR/blobs (env PYDEPOT_DATA)")
	f.String("database", env.Getenv("PYDEPOT_DATABASE"), "metadata store URL, sqlite:///path/pydepot.db (env PYDEPOT_DATABASE)")
	f.String("blobs", env.Getenv("PYDEPOT_BLOBS"), "blob store URL, file:///path (env PYDEPOT_BLOBS)")
	f.BoolVar(&dryRun, "dry-run", false, "report what would be removed, remove nothing")
	f.DurationVar(&grace, "grace", index.DefaultGCGrace, "keep unreferenced blobs younger than this; it must exceed the longest upload")
	_ = cmd.MarkFlagDirname("data")
	_ = cmd.RegisterFlagCompletionFunc("database", completeSchemes(backends.DatabaseSchemes))
	_ = cmd.RegisterFlagCompletionFunc("blobs", completeSchemes(backends.BlobsSchemes))
	_ = cmd.RegisterFlagCompletionFunc("grace", cobra.FixedCompletions([]string{"1h", "24h", "10m"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
