package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestUnknownSubcommandOfEveryGroup: a typo under any command group (repo, token,
// distribution, completion...) exits non-zero with cobra's "unknown command" message and
// its suggestions, instead of printing the group's help and exiting 0.
func TestUnknownSubcommandOfEveryGroup(t *testing.T) {
	env, _, _ := testEnv(nil)
	var groups []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.HasSubCommands() && sub.Name() != "help" {
				groups = append(groups, sub)
			}
			walk(sub)
		}
	}
	walk(NewRoot(env))
	if len(groups) < 4 {
		t.Errorf("found %d command groups, want repo, distribution, token and completion at least", len(groups))
	}
	for _, g := range groups {
		path := strings.Fields(g.CommandPath())[1:]
		first := g.Commands()[0].Name()
		typo := first[:len(first)-1] + "x" // one letter off
		code, out, errb := cliRun(t, "", "", append(path, typo, "arg")...)
		want := `unknown command "` + typo + `" for "` + g.CommandPath() + `"`
		if code == 0 || !strings.Contains(errb, want) || !strings.Contains(errb, "Did you mean this?\n\t"+first) {
			t.Errorf("%s %s: exit %d\nstdout: %s\nstderr: %s\nwant %q and a suggestion of %s", g.CommandPath(), typo, code, out, errb, want, first)
		}
		if code, out, errb := cliRun(t, "", "", path...); code != 0 || !strings.Contains(out, "Available Commands:") {
			t.Errorf("%s alone: exit %d, want its help\nstdout: %s\nstderr: %s", g.CommandPath(), code, out, errb)
		}
	}
	if code, _, errb := cliRun(t, "", "", "repo", "lst"); code == 0 || !strings.Contains(errb, "Did you mean this?\n\tlist") {
		t.Errorf("repo lst: exit %d: %s", code, errb)
	}
	// A flag of the intended subcommand after the typo does not hide it.
	if code, _, errb := cliRun(t, "", "", "distribution", "craete", "prod", "--repository", "main"); code == 0 || !strings.Contains(errb, `unknown command "craete" for "pydepot distribution"`) {
		t.Errorf("distribution craete prod --repository main: exit %d: %s", code, errb)
	}
	if code, _, errb := cliRun(t, "", "", "token", "craete", "x"); code == 0 || !strings.Contains(errb, `unknown command "craete" for "pydepot token"`) {
		t.Errorf("token craete x: exit %d: %s", code, errb)
	}
}

// TestDistributionCreateDefaultsToMain: the help says --repository defaults to main, and
// it does.
func TestDistributionCreateDefaultsToMain(t *testing.T) {
	url := startServer(t)
	out := mustRun(t, url, "distribution", "create", "staging")
	if !strings.Contains(out, "serves repository main") {
		t.Fatalf("distribution create staging: %s", out)
	}
	out = mustRun(t, url, "distribution", "show", "staging")
	if !strings.Contains(out, "serves repository main") {
		t.Fatalf("distribution show staging: %s", out)
	}
	// update's own --repository (no default) does not leak into create's.
	out = mustRun(t, url, "distribution", "update", "staging", "--private")
	if !strings.Contains(out, "serves repository main") || !strings.Contains(out, "private") {
		t.Fatalf("distribution update: %s", out)
	}
}
