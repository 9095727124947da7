package cli

import "github.com/spf13/cobra"

func newHelpCmd(env Env) *cobra.Command {
	return &cobra.Command{Use: "help", Short: "(not yet written)", Hidden: true}
}
