package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/client"
	"github.com/pydepot/pydepot/internal/server/wire"
)

// repoLifecycleCmds are "repo diff" and "repo retain".
func repoLifecycleCmds(env Env) []*cobra.Command {
	var diffJSON, retainJSON, dryRun bool
	var keep int
	diff := &cobra.Command{
		Use:   "diff NAME A B [--json]",
		Short: "Show what changed from version A to version B of a repository",
		Long: `Show what changed from version A to version B of a repository: files added (+) and
removed (-), yank changes (~) and project attribute changes (*: display name, PEP 792
status). A may be later than B: the diff then reads backwards.`,
		Args:              cobra.ExactArgs(3),
		ValidArgsFunction: completeVersionArgs(env, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := versionArg(args[0], args[1])
			if err != nil {
				return err
			}
			b, err := versionArg(args[0], args[2])
			if err != nil {
				return err
			}
			d, err := newClient(env).Diff(cmd.Context(), args[0], a, b)
			if err != nil {
				return err
			}
			if diffJSON {
				return writeIndented(env.Stdout, d)
			}
			printDiff(env.Stdout, d)
			return nil
		},
	}
	diff.Flags().BoolVar(&diffJSON, "json", false, "print the diff as JSON")
	retain := &cobra.Command{
		Use:   "retain NAME --keep K [--dry-run] [--json]",
		Short: "Reclaim old versions of a repository, keeping the last K and the pinned ones (admin)",
		Long: `Reclaim the versions of a repository other than the last K, those a distribution
pins, and version 0 (the empty one). What only the reclaimed versions held is forgotten:
their files' rows go (the filenames may be uploaded again), and 'pydepot gc' then frees
the blobs nothing references any more. The kept versions read exactly as before;
reclaimed ones can no longer be rolled back to or pinned. See
'pydepot help show versions-and-promotion'.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: firstArg(completeFrom(env, repositoryNames)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("keep") {
				return fmt.Errorf("give --keep K: how many of the latest versions to keep")
			}
			rep, err := newClient(env).Retain(cmd.Context(), args[0], keep, dryRun)
			if err != nil {
				return err
			}
			if retainJSON {
				return writeIndented(env.Stdout, rep)
			}
			printRetain(env.Stdout, rep)
			return nil
		},
	}
	retain.Flags().IntVar(&keep, "keep", 0, "how many of the latest versions to keep (at least 1)")
	retain.Flags().BoolVar(&dryRun, "dry-run", false, "report what would be reclaimed, change nothing")
	retain.Flags().BoolVar(&retainJSON, "json", false, "print the report as JSON")
	_ = retain.RegisterFlagCompletionFunc("keep", cobra.FixedCompletions([]string{"1", "5", "10", "50"}, cobra.ShellCompDirectiveNoFileComp))
	return []*cobra.Command{diff, retain}
}

func versionArg(repo, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("version %q: want a version number (see 'pydepot repo versions %s')", s, repo)
	}
	return n, nil
}

func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printDiff(w io.Writer, d *wire.VersionDiff) {
	fmt.Fprintf(w, "repository %s, version %d -> %d\n", d.Repository, d.From, d.To)
	for _, f := range d.Added {
		fmt.Fprintf(w, "+ %s  (%s %s, %s)\n", f.Filename, f.Project, f.Version, humanize.IBytes(uint64(f.Size)))
	}
	for _, f := range d.Removed {
		fmt.Fprintf(w, "- %s  (%s %s, %s)\n", f.Filename, f.Project, f.Version, humanize.IBytes(uint64(f.Size)))
	}
	yank := func(y bool, reason string) string {
		if !y {
			return "not yanked"
		}
		if reason == "" {
			return "yanked"
		}
		return fmt.Sprintf("yanked (%q)", reason)
	}
	for _, y := range d.Yanks {
		fmt.Fprintf(w, "~ %s  %s -> %s\n", y.Filename, yank(y.WasYanked, y.WasReason), yank(y.Yanked, y.Reason))
	}
	for _, a := range d.Attributes {
		var parts []string
		if a.Before.DisplayName != a.After.DisplayName {
			parts = append(parts, fmt.Sprintf("name %s -> %s", a.Before.DisplayName, a.After.DisplayName))
		}
		if a.Before.Status != a.After.Status || a.Before.StatusReason != a.After.StatusReason {
			parts = append(parts, fmt.Sprintf("status %s -> %s", status(a.Before), status(a.After)))
		}
		fmt.Fprintf(w, "* %s  %s\n", a.Project, strings.Join(parts, ", "))
	}
	if len(d.Added)+len(d.Removed)+len(d.Yanks)+len(d.Attributes) == 0 {
		fmt.Fprintln(w, "no changes")
	}
}

func status(a wire.Attributes) string {
	if a.StatusReason == "" {
		return a.Status
	}
	return fmt.Sprintf("%s (%q)", a.Status, a.StatusReason)
}

func printRetain(w io.Writer, r *wire.RetainReport) {
	verb, forget := "reclaimed", "forgot"
	if r.DryRun {
		verb, forget = "would reclaim", "would forget"
	}
	pinned := map[int]bool{}
	for _, p := range r.Pinned {
		pinned[p] = true
	}
	kept := make([]string, len(r.Kept))
	for i, k := range r.Kept {
		kept[i] = strconv.Itoa(k)
		if pinned[k] {
			kept[i] += " (pinned)"
		}
	}
	fmt.Fprintf(w, "%s %d version(s) of %s: %s; kept %s\n", verb, len(r.Removed), r.Repository, ranges(r.Removed), strings.Join(kept, ", "))
	if r.Files == 0 {
		return
	}
	fmt.Fprintf(w, "%s %d file(s), %s; %d blob(s), %s, are now unreferenced: 'pydepot gc' frees them after its grace period\n",
		forget, r.Files, humanize.IBytes(uint64(r.FileBytes)), r.Blobs, humanize.IBytes(uint64(r.BlobBytes)))
	for _, e := range r.Examples {
		fmt.Fprintf(w, "  %s\n", e)
	}
	if r.Files > len(r.Examples) {
		fmt.Fprintf(w, "  and %d more\n", r.Files-len(r.Examples))
	}
}

// ranges writes ascending numbers as runs: 1-3, 5, 7-9 ("none" for none).
func ranges(ns []int) string {
	if len(ns) == 0 {
		return "none"
	}
	var parts []string
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(ns[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", ns[i], ns[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// completeVersionArgs completes a repository name first, then up to n of its version
// numbers.
func completeVersionArgs(env Env, n int) cobra.CompletionFunc {
	repos := completeFrom(env, repositoryNames)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		switch {
		case len(args) == 0:
			return repos(cmd, args, toComplete)
		case len(args) <= n:
			return completeFrom(env, func(ctx context.Context, c *client.Client) ([]string, error) {
				vs, err := c.Versions(ctx, args[0])
				out := make([]string, len(vs))
				for i, v := range vs {
					out[i] = strconv.Itoa(v.Number) + "\t" + v.Message
				}
				return out, err
			})(cmd, args, toComplete)
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeDistVersion completes --version of "distribution update": the versions of the
// repository given with --repository, else of the distribution's own.
func completeDistVersion(env Env, repo *string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return completeFrom(env, func(ctx context.Context, c *client.Client) ([]string, error) {
			r := *repo
			if r == "" && len(args) > 0 {
				d, err := c.Distribution(ctx, args[0])
				if err != nil {
					return nil, err
				}
				r = d.Repository
			}
			vs, err := c.Versions(ctx, r)
			out := make([]string, len(vs))
			for i, v := range vs {
				out[i] = strconv.Itoa(v.Number) + "\t" + v.Message
			}
			return out, err
		})(cmd, args, toComplete)
	}
}
