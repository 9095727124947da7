package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/index"
)

// newGCCmd is "pydepot gc": it removes unreferenced blobs from a data directory.
func newGCCmd(env Env) *cobra.Command {
	var (
		data   string
		dryRun bool
		grace  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "gc [--data DIR] [--dry-run] [--grace 1h]",
		Short: "Remove stored files that nothing references (left by failed uploads)",
		Long: `Remove the blobs of a data directory that no file row references, in any repository
version (old versions count), and that are older than the grace period. It opens the
database and the blob folder directly, like serve, and is safe while servers on the same
data directory accept uploads: an upload marks its blobs before writing them, and gc keeps
every blob marked or written within the grace period. See 'pydepot help show gc'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := os.Stat(filepath.Join(data, "pydepot.db")); errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("%s is not a pydepot data directory (it has no pydepot.db)", data)
			}
			svc, closeIndex, err := backends.OpenDirStores(cmd.Context(), data, env.Logger())
			if err != nil {
				return fmt.Errorf("open data directory %s: %w", data, err)
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
			return nil
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", envOr(env, "PYDEPOT_DATA", "./pydepot-data"), "data directory (env PYDEPOT_DATA)")
	f.BoolVar(&dryRun, "dry-run", false, "report what would be removed, remove nothing")
	f.DurationVar(&grace, "grace", index.DefaultGCGrace, "keep unreferenced blobs younger than this; it must exceed the longest upload")
	_ = cmd.MarkFlagDirname("data")
	_ = cmd.RegisterFlagCompletionFunc("grace", cobra.FixedCompletions([]string{"1h", "24h", "10m"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
