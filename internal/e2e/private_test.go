package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// TestPrivateDistributionWithNetrc: a private distribution is invisible without a token
// (401 with WWW-Authenticate: Basic), pip reads the token from ~/.netrc when challenged, and
// a token scoped to another repository gets nothing.
func TestPrivateDistributionWithNetrc(t *testing.T) {
	needTools(t)
	s := startServer(t)
	bin := pydepotBin(t)
	admin := []string{"PYDEPOT_URL=" + s.URL, "PYDEPOT_TOKEN=" + s.Token}
	dir := t.TempDir()
	var files []string
	for _, p := range []map[string]string{
		testdist.SimpleProject("secret-lib", "1.0"),
		testdist.SimpleProject("secret-app", "1.0", "secret-lib"),
	} {
		whl, _, err := testdist.BuildProject(dir, p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, whl)
	}
	run(t, "", admin, bin, "repo", "create", "team")
	run(t, "", admin, bin, append([]string{"upload", "-r", "team"}, files...)...)
	run(t, "", admin, bin, "distribution", "create", "team/private", "--repository", "team", "--private")
	// The secret is the last line (stdout); the line before it is the notice on stderr.
	lastLine := func(out string) string {
		lines := strings.Split(strings.TrimSpace(out), "\n")
		return strings.TrimSpace(lines[len(lines)-1])
	}
	reader := lastLine(run(t, "", admin, bin, "token", "create", "reader", "--scope", "read", "-r", "team"))
	other := lastLine(run(t, "", admin, bin, "token", "create", "outsider", "--scope", "read", "-r", "main"))
	index := s.URL + "/team/private/simple/"

	resp, err := http.Get(index + "secret-app/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("anonymous read of a private distribution: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	req, _ := http.NewRequest("GET", index+"secret-app/", nil)
	req.SetBasicAuth("__token__", other)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
		t.Fatalf("token for another repository read the private distribution: %d", resp.StatusCode)
	}

	venvBin := venv(t)
	home := t.TempDir()
	env := []string{"PIP_CONFIG_FILE=/dev/null", "PIP_NO_CACHE_DIR=1", "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1", "HOME=" + home}
	if out, err := runErr("", env, filepath.Join(venvBin, "pip"), "install", "--index-url", index, "secret-app"); err == nil {
		t.Fatalf("pip installed from a private distribution without credentials:\n%s", out)
	}
	host := strings.TrimPrefix(s.URL, "http://")
	host = host[:strings.LastIndex(host, ":")]
	netrc := fmt.Sprintf("machine %s login __token__ password %s\n", host, reader)
	if err := os.WriteFile(filepath.Join(home, ".netrc"), []byte(netrc), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, "", env, filepath.Join(venvBin, "pip"), "install", "--index-url", index, "secret-app")
	if out := run(t, "", nil, filepath.Join(venvBin, "secret-app-hello")); strings.TrimSpace(out) != "secret-app 1.0" {
		t.Fatalf("entry point printed %q", out)
	}
	run(t, "", nil, filepath.Join(venvBin, "python"), "-c", "import secret_lib")
}
