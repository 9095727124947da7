package cli

import "github.com/spf13/cobra"

// placeholder until the command is written; replace this whole file.
func newUploadCmd(env Env) *cobra.Command {
	return &cobra.Command{Use: "upload", Short: "(not yet written)", Hidden: true}
}
