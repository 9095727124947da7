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

// TestRepoBlock: repo block, blocks, unblock, and an upload refused with the rule named.
func TestRepoBlock(t *testing.T) {
	url := startServer(t)
	out := mustRun(t, url, "repo", "block", "main", "Wheel==0.38.4")
	if !strings.Contains(out, "blocks wheel==0.38.4") {
		t.Fatalf("block: %s", out)
	}
	mustRun(t, url, "repo", "block", "main", "setuptools")
	out = mustRun(t, url, "repo", "blocks", "main")
	if !strings.Contains(out, "setuptools") || !strings.Contains(out, "wheel==0.38.4") {
		t.Errorf("blocks: %s", out)
	}
	whl := systemWheel(t, "setuptools-66.1.1-py3-none-any.whl")
	code, _, errb := cliRun(t, url, testAdmin, "upload", whl)
	if code == 0 || !strings.Contains(errb, `rule "setuptools"`) || !strings.Contains(errb, "403") {
		t.Errorf("blocked upload: exit %d: %s", code, errb)
	}
	mustRun(t, url, "repo", "unblock", "main", "setuptools")
	mustRun(t, url, "upload", whl)
	if code, _, errb := cliRun(t, url, testAdmin, "repo", "block", "main", "not/a rule"); code == 0 || !strings.Contains(errb, "not/a rule") {
		t.Errorf("bad rule: exit %d: %s", code, errb)
	}
}

// TestDistributionPullThrough: --pull-through makes the last source, in a repository
// named after the remote (created), or --pull-repository.
func TestDistributionPullThrough(t *testing.T) {
	url := startServer(t)
	if code, _, errb := cliRun(t, url, testAdmin, "distribution", "create", "proxy", "--pull-through", "up"); code == 0 || !strings.Contains(errb, `remote "up"`) {
		t.Errorf("a missing remote: %d %s", code, errb)
	}
	mustRun(t, url, "remote", "create", "up", "--url", "http://127.0.0.1:9/simple/")
	out := mustRun(t, url, "distribution", "create", "proxy", "--pull-through", "up", "--ttl", "5m")
	if !strings.Contains(out, "merges up (pull-through from remote up, ttl 5m0s)") {
		t.Fatalf("create: %s", out)
	}
	if out := mustRun(t, url, "repo", "list"); !strings.Contains(out, "up ") {
		t.Errorf("the pull-through repository was not made: %s", out)
	}
	out = mustRun(t, url, "distribution", "create", "team", "--source", "main", "--pull-through", "up", "--pull-repository", "cache")
	if !strings.Contains(out, "merges main, then cache (pull-through from remote up, ttl 10m0s)") {
		t.Errorf("create with sources: %s", out)
	}
	if code, _, errb := cliRun(t, url, testAdmin, "distribution", "create", "bad", "--ttl", "5m"); code == 0 || !strings.Contains(errb, "--pull-through") {
		t.Errorf("--ttl alone: %d %s", code, errb)
	}
}
