package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/buildinfo"
)

func newVersionCmd(env Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print pydepot's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(env.Stdout, "pydepot %s\n", buildinfo.Version)
			return nil
		},
	}
}
