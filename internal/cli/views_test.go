package cli

import (
	"strings"
	"testing"
)

// TestDistributionSources: --source, --allow-shadow and their update.
func TestDistributionSources(t *testing.T) {
	url := startServer(t)
	mustRun(t, url, "repo", "create", "hosted")
	mustRun(t, url, "repo", "create", "mirror")
	out := mustRun(t, url, "distribution", "create", "team", "--source", "hosted", "--source", "mirror@0", "--allow-shadow", "Acme_Utils")
	if !strings.Contains(out, "merges hosted, then mirror@0; shadowing allowed for acme-utils, public") {
		t.Fatalf("create: %s", out)
	}
	out = mustRun(t, url, "distribution", "list")
	if !strings.Contains(out, "hosted+mirror") {
		t.Errorf("list: %s", out)
	}
	out = mustRun(t, url, "distribution", "update", "team", "--source", "mirror", "--source", "hosted", "--allow-shadow", "x")
	if !strings.Contains(out, "merges mirror, then hosted; shadowing allowed for x") {
		t.Errorf("update: %s", out)
	}
	if code, _, errb := cliRun(t, url, testAdmin, "distribution", "create", "bad", "--source", "hosted@x"); code == 0 || !strings.Contains(errb, "repository version number") {
		t.Errorf("bad pin: %d %s", code, errb)
	}
	if code, _, errb := cliRun(t, url, testAdmin, "distribution", "create", "bad", "--source", "hosted", "--source", "hosted"); code == 0 || !strings.Contains(errb, "twice") {
		t.Errorf("twice: %d %s", code, errb)
	}
}
