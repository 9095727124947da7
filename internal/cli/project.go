package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/server/wire"
)

// projectStatuses are PEP 792's statuses with what each means, for help and completion.
var projectStatuses = []string{
	"active\tthe default",
	"archived\tno update expected: uploads refused, files still offered",
	"quarantined\tunsafe (malware): uploads refused, no file offered",
	"deprecated\tobsolete, maybe superseded; otherwise as active",
}

// newProjectCmd is "pydepot project"; root.go registers it.
func newProjectCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "project",
		Short: "Set what a repository says about a project (its PEP 792 status)",
		Long: "A project's display name and status belong to a repository and are versioned like its\n" +
			"files: a change makes a new repository version, and older versions (and distributions\n" +
			"pinned to them) keep what they had. See 'pydepot help model'.",
	}
	var reason string
	status := &cobra.Command{
		Use:   "status REPO PROJECT active|archived|quarantined|deprecated [--reason TEXT]",
		Short: "Set a project's PEP 792 status in a repository's next version (admin)",
		Long: "Sets the PEP 792 status of PROJECT in REPO, in a new repository version; nothing\n" +
			"changes (and no version is made) when the project already has that status and reason.\n" +
			"The statuses:\n\n" + statusTable() +
			"\nThe simple pages serve the status (and the reason) of the version they serve.",
		Example:           "  pydepot project status main evil-pkg quarantined --reason 'malware, see advisory 12'",
		Args:              cobra.ExactArgs(3),
		ValidArgsFunction: completeProjectStatus(env),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := newClient(env).SetProjectStatus(cmd.Context(), args[0], args[1], args[2], reason)
			if err != nil {
				return err
			}
			fmt.Fprintln(env.Stdout, describeStatus(res))
			return nil
		},
	}
	status.Flags().StringVar(&reason, "reason", "", "why (PEP 792's reason, served with the status); without it the reason is cleared")
	cmd.AddCommand(status)
	return cmd
}

// statusTable lists projectStatuses for the help text, one aligned line each.
func statusTable() string {
	var b strings.Builder
	for _, s := range projectStatuses {
		name, what, _ := strings.Cut(s, "\t")
		fmt.Fprintf(&b, "  %-12s %s\n", name, what)
	}
	return b.String()
}

// describeStatus says what a status change did, and says so when it did nothing.
func describeStatus(res *wire.StatusResult) string {
	what := fmt.Sprintf("%s in %s is %s", res.Project, res.Repository, res.Status)
	if res.Reason != "" {
		what += fmt.Sprintf(" (reason: %s)", res.Reason)
	}
	if !res.Changed {
		return what + " already; nothing changed"
	}
	return fmt.Sprintf("%s now: repository version %d", what, res.RepositoryVersion)
}

// completeProjectStatus offers a repository, then its projects, then the statuses.
func completeProjectStatus(env Env) cobra.CompletionFunc {
	repos := completeFrom(env, repositoryNames)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		switch len(args) {
		case 0:
			return repos(cmd, args, toComplete)
		case 1:
			return completeFrom(env, projectNames(args[0]))(cmd, args, toComplete)
		case 2:
			var out []string
			for _, s := range projectStatuses {
				if strings.HasPrefix(s, toComplete) {
					out = append(out, s)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}
