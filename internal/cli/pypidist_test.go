package cli

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestDistributionCreatePyPI: `distribution create pypi` works (what proxpi and devpi users
// type, and issue 9's pull-through example), its simple index answers at /pypi/simple/,
// and pypi stays refused at any other depth.
func TestDistributionCreatePyPI(t *testing.T) {
	url := startServer(t)
	mustRun(t, url, "repo", "create", "proxied")
	out := mustRun(t, url, "distribution", "create", "pypi", "--repository", "proxied")
	if !strings.Contains(out, "created distribution pypi") || !strings.Contains(out, "proxied") {
		t.Fatalf("create pypi: %s", out)
	}
	if out := mustRun(t, url, "distribution", "show", "pypi"); !strings.Contains(out, "proxied") {
		t.Errorf("show pypi: %s", out)
	}
	resp, err := http.Get(url + "/pypi/simple/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Simple index") {
		t.Errorf("GET /pypi/simple/: %d %s", resp.StatusCode, body)
	}
	for _, bad := range []string{"team/pypi", "pypi/dev"} {
		if code, _, errb := cliRun(t, url, testAdmin, "distribution", "create", bad, "--repository", "proxied"); code == 0 || !strings.Contains(errb, `"pypi" is reserved`) {
			t.Errorf("create %s: exit %d: %s", bad, code, errb)
		}
	}
	// Issue 9's command, once the remote exists.
	mustRun(t, url, "distribution", "delete", "pypi")
	mustRun(t, url, "remote", "create", "up", "--url", "http://127.0.0.1:9/simple/")
	out = mustRun(t, url, "distribution", "create", "pypi", "--pull-through", "up", "--ttl", "10m")
	if !strings.Contains(out, "created distribution pypi") || !strings.Contains(out, "pull-through from remote up, ttl 10m0s") {
		t.Errorf("create pypi --pull-through: %s", out)
	}
}
