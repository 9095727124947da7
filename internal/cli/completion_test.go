package cli

import (
	"slices"
	"strings"
	"testing"
)

// complete runs cobra's __complete (what the shell scripts call) and returns the offered
// values without their descriptions.
func complete(t *testing.T, url string, args ...string) []string {
	t.Helper()
	out := mustRun(t, url, append([]string{"__complete"}, args...)...)
	var vals []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, ":") { // the directive
			continue
		}
		v, _, _ := strings.Cut(line, "\t")
		vals = append(vals, v)
	}
	return vals
}

// TestCompletionFromServer: project names for yank/unyank/remove (of the --repository
// given), token ids for token revoke, version numbers for repo rollback REPO, and the
// formats of create --format, through cobra's __complete against a real server.
func TestCompletionFromServer(t *testing.T) {
	url := startServer(t)
	mustRun(t, url, "upload", systemWheel(t, "wheel-0.38.4-py3-none-any.whl"))
	mustRun(t, url, "upload", systemWheel(t, "setuptools-66.1.1-py3-none-any.whl"))
	mustRun(t, url, "repo", "create", "team")
	mustRun(t, url, "upload", "-r", "team", systemWheel(t, "pip-23.0.1-py3-none-any.whl"))
	mustRun(t, url, "token", "create", "ci", "--scope", "upload", "-r", "team")

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"yank", ""}, []string{"setuptools", "wheel"}},
		{[]string{"yank", "w"}, []string{"wheel"}},
		{[]string{"yank", "-r", "team", ""}, []string{"pip"}},
		{[]string{"yank", "--repository=team", "p"}, []string{"pip"}},
		{[]string{"unyank", "s"}, []string{"setuptools"}},
		{[]string{"remove", ""}, []string{"setuptools", "wheel"}},
		{[]string{"yank", "wheel", ""}, nil},
		{[]string{"token", "revoke", ""}, []string{"1", "2"}},
		{[]string{"token", "revoke", "2", ""}, nil},
		{[]string{"repo", "rollback", ""}, []string{"main", "team"}},
		{[]string{"repo", "rollback", "main", ""}, []string{"0", "1", "2"}},
		{[]string{"repo", "rollback", "team", "1"}, []string{"1"}},
		{[]string{"repo", "rollback", "main", "1", ""}, nil},
		{[]string{"repo", "diff", "main", ""}, []string{"0", "1", "2"}},
		{[]string{"repo", "diff", "team", "0", ""}, []string{"0", "1"}},
		{[]string{"repo", "diff", "team", "0", "1", ""}, nil},
		{[]string{"repo", "retain", ""}, []string{"main", "team"}},
		{[]string{"distribution", "update", "main", "--repository", "team", "--version", ""}, []string{"0", "1"}},
		{[]string{"distribution", "update", "main", "--version", ""}, []string{"0", "1", "2"}},
		{[]string{"create", "deps.json", "env", "--format", ""}, []string{"gz", "zst"}},
	} {
		got := complete(t, url, tc.args...)
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("pydepot __complete %q: %q, want %q", tc.args, got, tc.want)
		}
	}
	// Descriptions say what an id or a version is.
	out := mustRun(t, url, "__complete", "token", "revoke", "2")
	if !strings.Contains(out, "2\tci (upload on team)") {
		t.Errorf("token id description: %q", out)
	}
	out = mustRun(t, url, "__complete", "repo", "rollback", "main", "1")
	if !strings.Contains(out, "1\tupload wheel-0.38.4-py3-none-any.whl") {
		t.Errorf("version description: %q", out)
	}
}
