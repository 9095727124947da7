package cli

import (
	"slices"
	"strings"
	"testing"
)

// TestProjectStatus: 'project status' sets a status in a new version, says when nothing
// changed, refuses a status PEP 792 does not define, and completes repositories,
// projects and statuses.
func TestProjectStatus(t *testing.T) {
	url := startServer(t)
	mustRun(t, url, "upload", systemWheel(t, "wheel-0.38.4-py3-none-any.whl"))
	mustRun(t, url, "repo", "create", "team")
	mustRun(t, url, "upload", "-r", "team", systemWheel(t, "pip-23.0.1-py3-none-any.whl"))

	out := mustRun(t, url, "project", "status", "main", "Wheel", "archived", "--reason", "superseded by uv")
	if !strings.Contains(out, "wheel in main is archived (reason: superseded by uv) now: repository version 2") {
		t.Errorf("first change: %q", out)
	}
	out = mustRun(t, url, "project", "status", "main", "wheel", "archived", "--reason", "superseded by uv")
	if !strings.Contains(out, "already; nothing changed") {
		t.Errorf("same status again: %q", out)
	}
	if out := mustRun(t, url, "repo", "versions", "main"); !strings.Contains(out, "status wheel archived") || strings.Count(out, "\n") != 4 {
		t.Errorf("versions:\n%s", out)
	}
	code, _, errb := cliRun(t, url, testAdmin, "project", "status", "main", "wheel", "retired")
	if code == 0 || !strings.Contains(errb, "PEP 792") {
		t.Errorf("unknown status: exit %d, %q", code, errb)
	}
	if code, _, errb := cliRun(t, url, testAdmin, "project", "status", "main", "pip", "archived"); code == 0 || !strings.Contains(errb, "pip") {
		t.Errorf("project of another repository: exit %d, %q", code, errb)
	}

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"project", ""}, []string{"status"}},
		{[]string{"project", "status", ""}, []string{"main", "team"}},
		{[]string{"project", "status", "team", ""}, []string{"pip"}},
		{[]string{"project", "status", "main", "wheel", ""}, []string{"active", "archived", "deprecated", "quarantined"}},
		{[]string{"project", "status", "main", "wheel", "a"}, []string{"active", "archived"}},
		{[]string{"project", "status", "main", "wheel", "active", ""}, nil},
	} {
		got := complete(t, url, tc.args...)
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("pydepot __complete %q: %q, want %q", tc.args, got, tc.want)
		}
	}
}
