package cli

import "github.com/spf13/cobra"

// placeholder until the command is written; replace this whole file.
func newYankCmd(env Env) *cobra.Command {
	return &cobra.Command{Use: "yank", Short: "(not yet written)", Hidden: true}
}
