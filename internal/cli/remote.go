package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/client"
	"github.com/pydepot/pydepot/internal/server/wire"
)

// remoteFlags are the settings of remote create and update; each command owns its set.
type remoteFlags struct {
	url                       string
	includes, excludes        []string
	prereleases               bool
	packageTypes              []string
	platforms, pythons        []string
	keepLatest                int
	policy                    string
	withDeps                  bool
	username, password, token string
	proxy, caCert             string
	insecure                  bool
}

func (f *remoteFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.url, "url", "", "the upstream's simple root (https://pypi.org/simple/)")
	fl.StringArrayVar(&f.includes, "include", nil, "mirror only this requirement (requirements.txt syntax: 'Django>=4,<5'); repeatable")
	fl.StringArrayVar(&f.excludes, "exclude", nil, "never mirror this requirement ('Django<4', or a name for the whole project); repeatable")
	fl.BoolVar(&f.prereleases, "prereleases", false, "take pre-releases too")
	fl.StringSliceVar(&f.packageTypes, "package-types", nil, "wheel, sdist, or wheel,sdist (default both)")
	fl.StringArrayVar(&f.platforms, "platform", nil, "keep wheels for this platform tag (manylinux_2_17_x86_64, macosx_11_0_arm64, win_amd64); repeatable")
	fl.StringArrayVar(&f.pythons, "python", nil, "keep files for this Python version (3.12); repeatable")
	fl.IntVar(&f.keepLatest, "keep-latest", 0, "keep only the newest N releases of each project (0: all)")
	fl.StringVar(&f.policy, "policy", "immediate", "immediate (download at sync), on_demand (at first request, then keep) or streamed (never keep)")
	fl.BoolVar(&f.withDeps, "with-dependencies", false, "also mirror what the included releases depend on, transitively")
	fl.StringVar(&f.username, "username", "", "HTTP Basic user for the upstream")
	fl.StringVar(&f.password, "password", "", "HTTP Basic password for the upstream ('-' reads it from standard input; stored on the server, never shown)")
	fl.StringVar(&f.token, "token", "", "API token for the upstream, sent as __token__ ('-' reads it from standard input; stored on the server, never shown)")
	fl.StringVar(&f.proxy, "proxy", "", "reach the upstream through this http://, https:// or socks5:// proxy")
	fl.StringVar(&f.caCert, "ca-cert", "", "PEM file of the CA certificates the upstream's TLS is checked against")
	fl.BoolVar(&f.insecure, "insecure", false, "do not verify the upstream's TLS certificate")
	_ = cmd.RegisterFlagCompletionFunc("policy", cobra.FixedCompletions([]string{"immediate", "on_demand", "streamed"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("package-types", cobra.FixedCompletions([]string{"wheel", "sdist", "wheel,sdist"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("python", cobra.FixedCompletions([]string{"3.9", "3.10", "3.11", "3.12", "3.13", "3.14"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("platform", cobra.FixedCompletions([]string{"manylinux_2_17_x86_64", "manylinux_2_17_aarch64",
		"musllinux_1_2_x86_64", "macosx_11_0_arm64", "macosx_10_12_x86_64", "win_amd64"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("ca-cert", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveDefault
	})
	cmd.MarkFlagsMutuallyExclusive("token", "username")
	cmd.MarkFlagsMutuallyExclusive("token", "password")
	cmd.MarkFlagsMutuallyExclusive("ca-cert", "insecure")
}

// change returns the settings given on the command line (all of them for create).
func (f *remoteFlags) change(cmd *cobra.Command, stdin io.Reader, all bool) (wire.RemoteChange, error) {
	var ch wire.RemoteChange
	fl := cmd.Flags()
	given := func(name string) bool { return all || fl.Changed(name) }
	if given("url") {
		ch.URL = &f.url
	}
	if given("include") {
		ch.Includes = &f.includes
	}
	if given("exclude") {
		ch.Excludes = &f.excludes
	}
	if given("prereleases") {
		ch.Prereleases = &f.prereleases
	}
	if given("package-types") {
		ch.PackageTypes = &f.packageTypes
	}
	if given("platform") {
		ch.Platforms = &f.platforms
	}
	if given("python") {
		ch.Pythons = &f.pythons
	}
	if given("keep-latest") {
		ch.KeepLatest = &f.keepLatest
	}
	if given("policy") {
		ch.Policy = &f.policy
	}
	if given("with-dependencies") {
		ch.WithDependencies = &f.withDeps
	}
	for name, dst := range map[string]**string{"username": &ch.Username, "password": &ch.Password, "token": &ch.Token, "proxy": &ch.Proxy} {
		if fl.Changed(name) {
			v, _ := fl.GetString(name)
			if v == "-" && (name == "password" || name == "token") {
				// A secret on the command line shows in ps and the shell's history.
				b, err := io.ReadAll(io.LimitReader(stdin, 4097))
				if err != nil {
					return ch, fmt.Errorf("--%s -: reading standard input: %w", name, err)
				}
				v = strings.TrimRight(string(b), "\r\n")
			}
			*dst = &v
		}
	}
	if given("insecure") {
		ch.Insecure = &f.insecure
	}
	if fl.Changed("ca-cert") {
		pem := ""
		if f.caCert != "" {
			b, err := readCapped(f.caCert, 1<<20)
			if err != nil {
				return ch, fmt.Errorf("--ca-cert: %w", err)
			}
			pem = string(b)
		}
		ch.CACert = &pem
	}
	return ch, nil
}

func readCapped(path string, limit int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is over %d bytes", path, limit)
	}
	return b, nil
}

func remoteNames(ctx context.Context, c *client.Client) ([]string, error) {
	rs, err := c.Remotes(ctx)
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	return names, err
}

func newRemoteCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "remote",
		Short: "Create, change, list, show and delete remotes (upstream indexes to mirror)",
		Long:  "A remote is an upstream index (any PEP 691/503 index: another pydepot, a static tree,\ndevpi, pypiserver, PyPI) with what to take from it; 'pydepot sync REPO --remote NAME'\nbrings it into a repository. See 'pydepot help show remotes'.",
	}
	complete := firstArg(completeFrom(env, remoteNames))
	var cf, uf remoteFlags
	create := &cobra.Command{
		Use:   "create NAME --url URL [--include REQ]... [--exclude REQ]... [flags]",
		Short: "Create a remote (admin)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ch, err := cf.change(cmd, env.Stdin, true)
			if err != nil {
				return err
			}
			if cf.url == "" {
				return fmt.Errorf("--url is required: the upstream's simple root, such as https://pypi.org/simple/")
			}
			ch.Name = args[0]
			out, err := newClient(env).CreateRemote(cmd.Context(), ch)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "created remote %s: %s\n", out.Name, describeRemote(*out))
			return nil
		},
	}
	cf.register(create)
	update := &cobra.Command{
		Use:               "update NAME [flags]",
		Short:             "Change the settings of a remote that are given (admin); lists given replace the old ones",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: complete,
		RunE: func(cmd *cobra.Command, args []string) error {
			ch, err := uf.change(cmd, env.Stdin, false)
			if err != nil {
				return err
			}
			out, err := newClient(env).UpdateRemote(cmd.Context(), args[0], ch)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "remote %s: %s\n", out.Name, describeRemote(*out))
			return nil
		},
	}
	uf.register(update)
	update.Flags().Lookup("policy").DefValue = "" // update changes only what is given
	cmd.AddCommand(create, update,
		&cobra.Command{
			Use:   "list",
			Short: "List the remotes (admin)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				rs, err := newClient(env).Remotes(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tURL\tPOLICY\tINCLUDES")
				for _, r := range rs {
					inc := "(all)"
					if len(r.Includes) > 0 {
						inc = strings.Join(r.Includes, " ")
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.URL, r.Policy, inc)
				}
				return tw.Flush()
			},
		},
		&cobra.Command{
			Use:               "show NAME",
			Short:             "Show a remote (admin; secrets are never shown)",
			Args:              cobra.ExactArgs(1),
			ValidArgsFunction: complete,
			RunE: func(cmd *cobra.Command, args []string) error {
				r, err := newClient(env).Remote(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				showRemote(env.Stdout, *r)
				return nil
			},
		},
		&cobra.Command{
			Use:               "delete NAME",
			Short:             "Delete a remote (admin); the files synced from it stay",
			Args:              cobra.ExactArgs(1),
			ValidArgsFunction: complete,
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := newClient(env).DeleteRemote(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "deleted remote %s\n", args[0])
				return nil
			},
		},
	)
	return cmd
}

func describeRemote(r wire.Remote) string {
	what := "every project"
	if len(r.Includes) > 0 {
		what = strings.Join(r.Includes, ", ")
		if r.WithDependencies {
			what += " and their dependencies"
		}
	}
	return fmt.Sprintf("%s from %s (%s)", what, r.URL, r.Policy)
}

func showRemote(w io.Writer, r wire.Remote) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	line("name", r.Name)
	line("url", r.URL)
	line("policy", r.Policy)
	line("includes", strings.Join(r.Includes, " "))
	line("excludes", strings.Join(r.Excludes, " "))
	line("with dependencies", yes(r.WithDependencies))
	line("pre-releases", yes(r.Prereleases))
	line("package types", strings.Join(r.PackageTypes, ","))
	line("platforms", strings.Join(r.Platforms, " "))
	line("pythons", strings.Join(r.Pythons, " "))
	if r.KeepLatest > 0 {
		line("keep latest", fmt.Sprint(r.KeepLatest))
	}
	line("username", r.Username)
	if r.HasPassword {
		line("password", "(set)")
	}
	if r.HasToken {
		line("token", "(set)")
	}
	line("proxy", r.Proxy)
	if r.HasCACert {
		line("ca cert", "(set)")
	}
	if r.Insecure {
		line("tls", "not verified (--insecure)")
	}
	line("created", r.CreatedAt.Format("2006-01-02 15:04:05 MST"))
	line("updated", r.UpdatedAt.Format("2006-01-02 15:04:05 MST"))
	tw.Flush()
}

func newSyncCmd(env Env) *cobra.Command {
	var req wire.SyncRequest
	var noWait bool
	cmd := &cobra.Command{
		Use:               "sync REPO --remote NAME [--mirror] [--no-wait] [--skip-bad-files]",
		Short:             "Bring what a remote selects into a repository, as one new version (admin on REPO)",
		Long:              "sync reads the remote's projects (only what changed since the last sync), downloads and\nverifies the selected files, and makes one new version of REPO (none when nothing\nchanged). See 'pydepot help show sync'.",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: firstArg(completeFrom(env, repositoryNames)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if req.Remote == "" {
				return fmt.Errorf("--remote is required (pydepot remote list shows them)")
			}
			c := newClient(env)
			st, err := c.Sync(cmd.Context(), args[0], req)
			if err != nil {
				return err
			}
			if st.Task != 0 {
				if noWait {
					fmt.Fprintf(env.Stdout, "sync task %d started (pydepot task show %d)\n", st.Task, st.Task)
					return nil
				}
				return followSync(cmd.Context(), env, c, st.Task)
			}
			return printSyncResult(env, st.Result)
		},
	}
	cmd.Flags().StringVar(&req.Remote, "remote", "", "the remote to sync from")
	cmd.Flags().BoolVar(&req.Mirror, "mirror", false, "also remove what the upstream no longer has (default: only add)")
	cmd.Flags().BoolVar(&req.SkipBadFiles, "skip-bad-files", false, "report files that fail and apply the rest, instead of failing")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "start the sync task and return at once")
	_ = cmd.RegisterFlagCompletionFunc("remote", completeFrom(env, remoteNames))
	return cmd
}

// printSyncResult prints what a sync did. Failed files were left out only because
// --skip-bad-files asked for it (otherwise the task itself failed), so they are listed on
// stderr and the command succeeds: the sync did what it was told.
func printSyncResult(env Env, r *wire.SyncResult) error {
	if r == nil {
		return fmt.Errorf("the server sent no sync result")
	}
	if r.Version > 0 {
		fmt.Fprintf(env.Stdout, "repository %s version %d: %d added, %d removed, %d changed\n", r.Repository, r.Version, r.Added, r.Removed, r.Changed)
	} else {
		fmt.Fprintf(env.Stdout, "repository %s unchanged\n", r.Repository)
	}
	fmt.Fprintf(env.Stdout, "%d projects read (%d unchanged upstream), %d files downloaded (%d bytes), %d reused\n",
		r.Projects, r.NotModified, r.Downloaded, r.Bytes, r.Reused)
	for _, f := range r.Skipped {
		fmt.Fprintf(env.Stdout, "skipped %s: %s\n", f.Filename, f.Error)
	}
	for _, f := range r.Failed {
		fmt.Fprintf(env.Stderr, "failed %s: %s\n", f.Filename, f.Error)
	}
	if more := r.SkippedTotal - len(r.Skipped); more > 0 {
		fmt.Fprintf(env.Stdout, "... and %d more skipped\n", more)
	}
	if more := r.FailedTotal - len(r.Failed); more > 0 {
		fmt.Fprintf(env.Stderr, "... and %d more failed (the task's log has them all)\n", more)
	}
	if r.FailedTotal > 0 {
		fmt.Fprintf(env.Stderr, "warning: %d files failed and were left out (--skip-bad-files); the next sync tries them again\n", r.FailedTotal)
	}
	return nil
}

// followSync follows a sync task (FollowTask: a bar on a terminal, lines otherwise; Ctrl-C
// stops following, not the sync) and prints its result.
func followSync(ctx context.Context, env Env, c *client.Client, id int64) error {
	fmt.Fprintf(env.Stderr, "sync task %d started\n", id)
	t, err := FollowTask(ctx, env, c, id)
	if err != nil {
		return err
	}
	var r wire.SyncResult
	if err := json.Unmarshal(t.Result, &r); err != nil {
		return fmt.Errorf("task %d: its result is not a sync's: %v", id, err)
	}
	return printSyncResult(env, &r)
}
