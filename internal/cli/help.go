package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/docs"
)

func newHelpCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "help [command | list | show TOPIC]",
		Short: "Help about a command, or the guides: 'help list', 'help show TOPIC'",
		RunE: func(cmd *cobra.Command, args []string) error {
			target, _, err := cmd.Root().Find(args)
			if err != nil || target == nil {
				return fmt.Errorf("unknown help topic %q: try 'pydepot help list'", args)
			}
			target.InitDefaultHelpFlag()
			return target.Help()
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
				return err
			}
			_, err = env.Stdout.Write(t.Body)
			return err
		},
	})
	return cmd
}
