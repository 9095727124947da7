package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/client"
	"github.com/pydepot/pydepot/internal/server/wire"
)

var taskStates = []string{"waiting", "running", "completed", "failed", "canceled"}

func newTaskCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "task",
		Short: "List, show, follow and cancel tasks (admin)",
		Long: `Long operations (a sync) run as tasks on the server, which keeps them in its database:
they go on when the command that started them stops, and after a server restart. See
'pydepot help show tasks'.`,
	}
	var f client.TaskFilter
	list := &cobra.Command{
		Use:   "list [--state STATE] [--kind KIND] [--limit N]",
		Short: "List tasks, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := newClient(env).Tasks(cmd.Context(), f)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tSTATE\tPROGRESS\tATTEMPT\tCREATED\tERROR")
			for _, t := range out.Tasks {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", t.ID, t.Kind, t.State, progressText(t.Progress), t.Attempt,
					t.CreatedAt.Local().Format(time.DateTime), cut(t.Error, 60))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if out.NextBefore > 0 {
				fmt.Fprintf(env.Stderr, "more: pydepot task list --before %d\n", out.NextBefore)
			}
			return nil
		},
	}
	lf := list.Flags()
	lf.StringVar(&f.State, "state", "", "only tasks in this state: "+strings.Join(taskStates, ", "))
	lf.StringVar(&f.Kind, "kind", "", "only tasks of this kind (sync, ...)")
	lf.IntVar(&f.Limit, "limit", 0, "at most this many (default 50, at most 500)")
	lf.Int64Var(&f.Before, "before", 0, "only tasks older than this ID (the next page)")
	_ = list.RegisterFlagCompletionFunc("state", cobra.FixedCompletions(taskStates, cobra.ShellCompDirectiveNoFileComp))
	_ = list.RegisterFlagCompletionFunc("kind", completeFrom(env, taskKinds))
	for _, name := range []string{"limit", "before"} {
		_ = list.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
	}

	var follow bool
	show := &cobra.Command{
		Use:   "show ID [--follow]",
		Short: "Show a task: its state, progress, result, error and log",
		Long: `Show a task. With --follow, follow it until it ends instead: a progress bar on a terminal,
plain lines otherwise; the exit status is non-zero when it fails or is canceled. Ctrl-C
stops following; the task goes on (pydepot task cancel ID stops it).`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeTaskIDs(env),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseTaskID(args[0])
			if err != nil {
				return err
			}
			c := newClient(env)
			if follow {
				_, err := FollowTask(cmd.Context(), env, c, id)
				return err
			}
			t, err := c.Task(cmd.Context(), id)
			if err != nil {
				return err
			}
			printTask(env.Stdout, t)
			return nil
		},
	}
	show.Flags().BoolVarP(&follow, "follow", "f", false, "follow the task until it ends")
	cancel := &cobra.Command{
		Use:               "cancel ID",
		Short:             "Cancel a task (a running one stops at its next check)",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeTaskIDs(env),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseTaskID(args[0])
			if err != nil {
				return err
			}
			t, err := newClient(env).CancelTask(cmd.Context(), id)
			if err != nil {
				return err
			}
			if t.State == "running" {
				fmt.Fprintf(env.Stdout, "task %d (%s) is stopping; 'pydepot task show %d' tells when it has\n", id, t.Kind, id)
				return nil
			}
			fmt.Fprintf(env.Stdout, "task %d (%s) %s\n", id, t.Kind, t.State)
			return nil
		},
	}
	cmd.AddCommand(list, show, cancel)
	return cmd
}

func parseTaskID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("task id %q: want the number shown by 'pydepot task list'", s)
	}
	return id, nil
}

// completeTaskIDs offers the IDs of the latest tasks, each described by its kind and
// state, the ones not done first.
func completeTaskIDs(env Env) cobra.CompletionFunc {
	return firstArg(completeFrom(env, func(ctx context.Context, c *client.Client) ([]string, error) {
		list, err := c.Tasks(ctx, client.TaskFilter{Limit: 100})
		if err != nil {
			return nil, err
		}
		var live, done []string
		for _, t := range list.Tasks {
			s := strconv.FormatInt(t.ID, 10) + "\t" + t.Kind + ", " + t.State
			if wire.TaskDone(t.State) {
				done = append(done, s)
			} else {
				live = append(live, s)
			}
		}
		return append(live, done...), nil
	}))
}

// taskKinds lists the kinds of the latest tasks, for completion.
func taskKinds(ctx context.Context, c *client.Client) ([]string, error) {
	list, err := c.Tasks(ctx, client.TaskFilter{Limit: 500})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, t := range list.Tasks {
		if !seen[t.Kind] {
			seen[t.Kind] = true
			out = append(out, t.Kind)
		}
	}
	return out, nil
}

// progressText is "3/10 items, 1.2 MB/5.0 MB" (what is known of it), or "".
func progressText(p wire.TaskProgress) string {
	var parts []string
	if p.DoneItems > 0 || p.TotalItems > 0 {
		s := strconv.FormatInt(p.DoneItems, 10)
		if p.TotalItems > 0 {
			s += "/" + strconv.FormatInt(p.TotalItems, 10)
		}
		parts = append(parts, s+" items")
	}
	if p.DoneBytes > 0 || p.TotalBytes > 0 {
		s := humanize.Bytes(uint64(max(p.DoneBytes, 0)))
		if p.TotalBytes > 0 {
			s += "/" + humanize.Bytes(uint64(p.TotalBytes))
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// cut shortens s to n runes, on one line.
func cut(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func printTask(w io.Writer, t *wire.Task) {
	fmt.Fprintf(w, "task %d: %s, %s (attempt %d)\n", t.ID, t.Kind, t.State, t.Attempt)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "created\t%s\n", t.CreatedAt.Local().Format(time.DateTime))
	for _, at := range []struct {
		name string
		t    *time.Time
	}{{"started", t.StartedAt}, {"finished", t.FinishedAt}} {
		if at.t != nil {
			fmt.Fprintf(tw, "%s\t%s\n", at.name, at.t.Local().Format(time.DateTime))
		}
	}
	if p := progressText(t.Progress); p != "" {
		fmt.Fprintf(tw, "progress\t%s\n", p)
	}
	for _, j := range []struct {
		name string
		raw  json.RawMessage
	}{{"args", t.Args}, {"result", t.Result}} {
		if len(j.raw) > 0 && string(j.raw) != "null" {
			fmt.Fprintf(tw, "%s\t%s\n", j.name, compactJSON(j.raw))
		}
	}
	if t.Error != "" {
		fmt.Fprintf(tw, "error\t%s\n", t.Error)
	}
	tw.Flush()
	if len(t.Log) > 0 {
		fmt.Fprintln(w, "log:")
		if t.LogDropped > 0 {
			fmt.Fprintf(w, "  [%d earlier lines dropped]\n", t.LogDropped)
		}
		for _, l := range t.Log {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}

func compactJSON(raw json.RawMessage) string {
	var b strings.Builder
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSpace(b.String())
}
