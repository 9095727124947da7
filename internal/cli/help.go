package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/docs"
)

func newHelpCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "help [command | list | show TOPIC]",
		Short: "Help about a command, or the guides: 'help list', 'help show TOPIC'",
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := cmd.Root().Find(args)
			if err == nil && target != nil && len(rest) == 0 {
				target.InitDefaultHelpFlag()
				return target.Help()
			}
			set, lerr := docs.Load()
			if lerr != nil {
				return lerr
			}
			if len(args) == 1 {
				if t, err := set.Get(args[0]); err == nil { // 'help quickstart' is 'help show quickstart'
					_, err = env.Stdout.Write(t.Body)
					return err
				}
			}
			// The first word that is neither a command nor a topic.
			typed, parent := args[0], cmd.Root()
			if target != nil && len(rest) > 0 {
				typed, parent = rest[0], target
			}
			var cands []string
			for _, c := range parent.Commands() {
				if c.IsAvailableCommand() || c == cmd {
					cands = append(cands, c.Name())
				}
			}
			if parent == cmd.Root() {
				cands = append(cands, "list", "show")
				cands = append(cands, topicNames(set)...)
			}
			near := closest(typed, cands)
			if parent != cmd.Root() {
				for i := range near {
					near[i] = strings.TrimPrefix(parent.CommandPath()+" "+near[i], cmd.Root().Name()+" ")
				}
			}
			return fmt.Errorf("unknown help topic %q%s\nRun 'pydepot help list' for the guides, 'pydepot --help' for the commands", strings.Join(args, " "), didYouMean(near))
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the help topics",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := docs.Load()
			if err != nil {
				return err
			}
			for _, t := range set.List() {
				fmt.Fprintf(env.Stdout, "%-16s %s\n", t.Name, t.Title)
			}
			return nil
		},
	}, &cobra.Command{
		Use:   "show TOPIC",
		Short: "Print a help topic (markdown)",
		Args:  cobra.ExactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			set, err := docs.Load()
			if err != nil || len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []string
			for _, t := range set.List() {
				names = append(names, t.Name+"\t"+t.Title)
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := docs.Load()
			if err != nil {
				return err
			}
			t, err := set.Get(args[0])
			if err != nil {
				return fmt.Errorf("no help topic %q%s\nThe topics: %s", args[0], didYouMean(closest(args[0], topicNames(set))), strings.Join(topicNames(set), ", "))
			}
			_, err = env.Stdout.Write(t.Body)
			return err
		},
	})
	return cmd
}

func topicNames(set *docs.Set) []string {
	var names []string
	for _, t := range set.List() {
		names = append(names, t.Name)
	}
	return names
}

// didYouMean is "; did you mean show?" or "; did you mean run, or runs?", "" for none.
func didYouMean(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return "; did you mean " + names[0] + "?"
	}
	return "; did you mean " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1] + "?"
}
