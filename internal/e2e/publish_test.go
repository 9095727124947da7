package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// servedFiles returns the files the simple JSON page of project lists under index (a
// /simple/ URL), filename → sha256, read with token when it is not "".
func servedFiles(t *testing.T, index, project, token string) map[string]string {
	t.Helper()
	req, err := http.NewRequest("GET", index+project+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.pypi.simple.v1+json")
	if token != "" {
		req.SetBasicAuth("__token__", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s%s/: %s", index, project, resp.Status)
	}
	var page struct {
		Files []struct {
			Filename string            `json:"filename"`
			Hashes   map[string]string `json:"hashes"`
		} `json:"files"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range page.Files {
		out[f.Filename] = f.Hashes["sha256"]
	}
	return out
}

// wantServed fails unless index serves each of files (local paths) under project with the
// same bytes.
func wantServed(t *testing.T, index, project, token string, files ...string) {
	t.Helper()
	got := servedFiles(t, index, project, token)
	for _, f := range files {
		if sum, ok := got[filepath.Base(f)]; !ok || sum != fileSHA(t, f) {
			t.Errorf("%s: %s not served with its bytes (served %v)", project, filepath.Base(f), got)
		}
	}
	if len(files) == 0 {
		t.Fatalf("%s: no files to check", project)
	}
}

// distFiles lists dir/dist/*.
func distFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "dist", "*"))
	if len(files) == 0 {
		t.Fatalf("nothing in %s/dist", dir)
	}
	return files
}

// TestPublishWithEachClient: today's twine, uv, poetry, pdm and hatch each publish a
// project of their own to one server with an upload token (never the admin token), in
// parallel; the simple page then serves exactly the bytes each sent. twine's files include
// the Metadata-Version 2.4 wheels rebuilt from jinja2 and markupsafe, which twine 4 refused.
func TestPublishWithEachClient(t *testing.T) {
	t.Parallel()
	needTools(t)
	s := startServer(t)
	token := lastLine(run(t, "", s.adminEnv(), pydepotBin(t), "token", "create", "publisher", "--scope", "upload", "-r", "main"))
	legacy := s.URL + "/legacy/"
	index := s.URL + "/simple/"

	t.Run("twine", func(t *testing.T) {
		t.Parallel()
		c := buildCorpus(t)
		if out, err := twineUpload(t, s, token, c.modern...); err != nil {
			t.Fatalf("twine 7 upload of Metadata 2.4 wheels: %v\n%s", err, out)
		}
		wantServed(t, index, "jinja2", "", c.modern[0])
		wantServed(t, index, "markupsafe", "", c.modern[1])
		// An identical re-upload answers 200 and makes no new version.
		before := repoVersions(t, s)
		if out, err := twineUpload(t, s, token, c.modern[0]); err != nil {
			t.Fatalf("identical re-upload failed: %v\n%s", err, out)
		}
		if after := repoVersions(t, s); after != before {
			t.Fatalf("identical re-upload made a new version: %d -> %d", before, after)
		}
	})
	t.Run("uv", func(t *testing.T) {
		t.Parallel()
		// uv publishes only normalized file names, which setuptools 66 gives a name without
		// dashes.
		built, err := buildProjects(t.TempDir(), testdist.SimpleProject("uvmade", "1.0"))
		if err != nil {
			t.Fatal(err)
		}
		env, _ := clientEnv(t)
		out := run(t, "", env, testdist.Tool(t, "uv"), "publish", "--publish-url", legacy, "--token", token, built[0][0], built[0][1])
		if strings.Contains(out, "skipping") {
			t.Fatalf("uv publish skipped a file:\n%s", out)
		}
		wantServed(t, index, "uvmade", "", built[0][0], built[0][1])
		// --check-url lets uv see the files are there and skip them.
		out = run(t, "", env, testdist.Tool(t, "uv"), "publish", "--publish-url", legacy, "--token", token, "--check-url", index, built[0][0])
		if !strings.Contains(out, "already exists") {
			t.Fatalf("uv publish --check-url did not find the uploaded file:\n%s", out)
		}
	})
	t.Run("poetry", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{
			"pyproject.toml": `[project]
name = "poetry-made"
version = "0.3.0"
description = "built and published by poetry"
requires-python = ">=3.9"
authors = [{name = "Test", email = "test@example.com"}]

[build-system]
requires = ["poetry-core>=2.0"]
build-backend = "poetry.core.masonry.api"
`,
			"poetry_made/__init__.py": "X = 1\n",
		})
		env, _ := clientEnv(t)
		env = append(env, "POETRY_REPOSITORIES_PYDEPOT_URL="+legacy,
			"POETRY_HTTP_BASIC_PYDEPOT_USERNAME=__token__", "POETRY_HTTP_BASIC_PYDEPOT_PASSWORD="+token)
		poetry := testdist.Tool(t, "poetry")
		run(t, dir, env, poetry, "build")
		run(t, dir, env, poetry, "publish", "--repository", "pydepot")
		files := distFiles(t, dir)
		wantServed(t, index, "poetry-made", "", files...)
	})
	t.Run("pdm", func(t *testing.T) {
		t.Parallel()
		built, err := buildProjects(t.TempDir(), testdist.SimpleProject("pdm-made", "1.0"))
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Dir(filepath.Dir(built[0][0])) // the project, with its dist/
		env, _ := clientEnv(t)
		env = append(env, "PDM_PUBLISH_USERNAME=__token__", "PDM_PUBLISH_PASSWORD="+token)
		run(t, dir, env, testdist.Tool(t, "pdm"), "publish", "--no-build", "--repository", legacy)
		wantServed(t, index, "pdm-made", "", built[0][0], built[0][1])
	})
	t.Run("hatch", func(t *testing.T) {
		t.Parallel()
		built, err := buildProjects(t.TempDir(), testdist.SimpleProject("hatch-made", "1.0"))
		if err != nil {
			t.Fatal(err)
		}
		env, _ := clientEnv(t)
		env = append(env, "HATCH_INDEX_REPO="+legacy, "HATCH_INDEX_USER=__token__", "HATCH_INDEX_AUTH="+token)
		run(t, "", env, testdist.Tool(t, "hatch"), "publish", "--no-prompt", built[0][0], built[0][1])
		wantServed(t, index, "hatch-made", "", built[0][0], built[0][1])
	})
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lastLine is a command's last output line: where `pydepot token create` prints the secret
// (stdout), after its notice on stderr.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
