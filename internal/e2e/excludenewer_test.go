package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/testdist"
)

// uploadTimes returns the PEP 700 upload-time of each file of project on the simple JSON page.
func uploadTimes(t *testing.T, index, project string) map[string]time.Time {
	t.Helper()
	req, _ := http.NewRequest("GET", index+project+"/", nil)
	req.Header.Set("Accept", "application/vnd.pypi.simple.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Files []struct {
			Filename   string `json:"filename"`
			UploadTime string `json:"upload-time"`
		} `json:"files"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	out := map[string]time.Time{}
	for _, f := range page.Files {
		at, err := time.Parse(time.RFC3339Nano, f.UploadTime)
		if err != nil {
			t.Fatalf("%s: upload-time %q: %v", f.Filename, f.UploadTime, err)
		}
		out[f.Filename] = at
	}
	return out
}

// TestUvExcludeNewer: uv's --exclude-newer (and exclude-newer in [tool.uv]) reads the PEP 700
// upload-time the server gives each file: with a cutoff between the uploads of dated 1.0
// and dated 2.0, uv installs and locks 1.0; without it, 2.0.
func TestUvExcludeNewer(t *testing.T) {
	t.Parallel()
	needTools(t)
	s := startServer(t)
	built, err := buildProjects(t.TempDir(), testdist.SimpleProject("dated", "1.0"), testdist.SimpleProject("dated", "2.0"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := twineUpload(t, s, s.Token, built[0][0]); err != nil {
		t.Fatalf("upload 1.0: %v\n%s", err, out)
	}
	// The cutoff is the next whole second, and 2.0 goes up after it.
	cutoff := time.Now().UTC().Truncate(time.Second).Add(time.Second)
	time.Sleep(time.Until(cutoff) + 50*time.Millisecond)
	if out, err := twineUpload(t, s, s.Token, built[1][0]); err != nil {
		t.Fatalf("upload 2.0: %v\n%s", err, out)
	}
	index := s.URL + "/simple/"
	times := uploadTimes(t, index, "dated")
	old, young := times[filepath.Base(built[0][0])], times[filepath.Base(built[1][0])]
	if !old.Before(cutoff) || !young.After(cutoff) {
		t.Fatalf("upload-times %v and %v do not straddle the cutoff %v", old, young, cutoff)
	}
	stamp := cutoff.Format(time.RFC3339)

	env, _ := clientEnv(t)
	uv := testdist.Tool(t, "uv")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--exclude-newer", stamp}, "dated==1.0"},
		{nil, "dated==2.0"},
	} {
		py := newVenv(t, env)
		args := append([]string{"pip", "install", "--python", py, "--index-url", index}, c.args...)
		out := run(t, "", env, uv, append(args, "dated")...)
		if !strings.Contains(out, "+ "+c.want) {
			t.Errorf("uv pip install %v: want %s installed:\n%s", c.args, c.want, out)
		}
	}

	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"pyproject.toml": fmt.Sprintf(`[project]
name = "consumer"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["dated"]

[tool.uv]
exclude-newer = %q

[[tool.uv.index]]
name = "pydepot"
url = %q
default = true
`, stamp, index)})
	run(t, dir, env, uv, "lock", "--python", python311(t))
	lock := readFile(t, filepath.Join(dir, "uv.lock"))
	if !strings.Contains(lock, "name = \"dated\"\nversion = \"1.0\"") {
		t.Fatalf("uv.lock with exclude-newer %s does not pin dated 1.0:\n%s", stamp, lock)
	}
}
