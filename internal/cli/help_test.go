package cli

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestHelpUnknownTopic: an unknown topic is named as typed (not as Go's ["shw"]) with the
// closest commands and topics.
func TestHelpUnknownTopic(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"help", "shw"}, `unknown help topic "shw"; did you mean show?`},
		{[]string{"help", "quickstat"}, `unknown help topic "quickstat"; did you mean quickstart?`},
		{[]string{"help", "repo", "lst"}, `unknown help topic "repo lst"; did you mean repo list?`},
		{[]string{"help", "show", "quickstat"}, `no help topic "quickstat"; did you mean quickstart?`},
		{[]string{"help", "show", "tokns"}, `did you mean tokens?`},
		{[]string{"help", "xyzzy"}, "'pydepot help list'"},
	} {
		code, _, errb := cliRun(t, "", "", tc.args...)
		if code != 1 || !strings.Contains(errb, tc.want) || strings.Contains(errb, "[") {
			t.Errorf("pydepot %s: exit %d: %s\nwant %q", strings.Join(tc.args, " "), code, errb, tc.want)
		}
	}
	// A topic name alone shows the topic; a command name shows the command's help.
	if code, out, errb := cliRun(t, "", "", "help", "quickstart"); code != 0 || !strings.HasPrefix(out, "# ") {
		t.Errorf("help quickstart: exit %d\n%s%s", code, out, errb)
	}
	if code, out, _ := cliRun(t, "", "", "help", "repo"); code != 0 || !strings.Contains(out, "pydepot repo [command]") {
		t.Errorf("help repo: exit %d\n%s", code, out)
	}
}

func TestClosest(t *testing.T) {
	cands := []string{"show", "list", "serve", "quickstart", "run", "repo", "api", "analyze", "tokens", "token"}
	for typed, want := range map[string][]string{
		"shw":     {"show"},
		"sohw":    {"show"}, // a swap is one edit
		"quick":   {"quickstart"},
		"tokns":   {"tokens", "token"},
		"ap":      {"api"},
		"xyzzy":   nil,
		"":        nil,
		"SERVE":   {"serve"},
		"analyse": {"analyze"},
	} {
		if got := closest(typed, cands); !slices.Equal(got, want) {
			t.Errorf("closest(%q) = %q, want %q", typed, got, want)
		}
	}
	// Whatever is typed, the work is bounded.
	start := time.Now()
	closest(strings.Repeat("a", 1<<20), cands)
	if d := time.Since(start); d > time.Second {
		t.Errorf("closest of a 1 MiB word took %v", d)
	}
}

// TestWorkflowTopic: the add/yank/remove workflow has a guide that covers each command of
// it and links to the API topic.
func TestWorkflowTopic(t *testing.T) {
	code, out, errb := cliRun(t, "", "", "help", "show", "workflow")
	if code != 0 {
		t.Fatalf("help show workflow: exit %d: %s", code, errb)
	}
	for _, want := range []string{"(api.md)", "pydepot upload", "pydepot yank", "pydepot unyank", "pydepot remove",
		"pydepot repo versions", "pydepot repo rollback", "pydepot distribution update prod --pin", "--unpin"} {
		if !strings.Contains(out, want) {
			t.Errorf("the workflow topic does not mention %q", want)
		}
	}
	code, out, _ = cliRun(t, "", "", "help", "list")
	if code != 0 || !strings.Contains(out, "workflow") {
		t.Errorf("help list: %s", out)
	}
}
