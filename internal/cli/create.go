package cli

import "github.com/spf13/cobra"

// placeholder until the command is written; replace this whole file.
func newCreateCmd(env Env) *cobra.Command {
	return &cobra.Command{Use: "create", Short: "(not yet written)", Hidden: true}
}
