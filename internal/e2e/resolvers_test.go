package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// uploadCorpus starts a server and uploads the real corpus with twine.
func uploadCorpus(t *testing.T) (*server, corpus) {
	t.Helper()
	needTools(t)
	s := startServer(t)
	c := buildCorpus(t)
	c.upload(t, s)
	return s, c
}

func TestPoetryResolvesFromIndex(t *testing.T) {
	s, _ := uploadCorpus(t)
	dir := t.TempDir()
	pyproject := fmt.Sprintf(`[tool.poetry]
name = "consumer"
version = "0.1.0"
description = "uses the index"
authors = ["Test <test@example.com>"]

[tool.poetry.dependencies]
python = "^3.11"
app-one = "1.0"
app-two = "1.0"

[[tool.poetry.source]]
name = "pydepot"
url = "%s/simple/"
default = true

[build-system]
requires = ["poetry-core"]
build-backend = "poetry.core.masonry.api"
`, s.URL)
	if err := os.WriteFile(filepath.Join(dir, "pyproject.toml"), []byte(pyproject), 0o644); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	env := []string{"HOME=" + home, "POETRY_CACHE_DIR=" + filepath.Join(home, "cache"), "POETRY_VIRTUALENVS_CREATE=false", "POETRY_NO_INTERACTION=1"}
	run(t, dir, env, "poetry", "lock", "--no-update")
	lock, err := os.ReadFile(filepath.Join(dir, "poetry.lock"))
	if err != nil {
		t.Fatal(err)
	}
	// Poetry 1.3 (Debian 12) reads dependencies with pkginfo 1.8, which does not know
	// Metadata-Version 2.3+: jinja2's own dependency on markupsafe is invisible to it, so the
	// transitive check uses app-two -> lib-two, whose metadata is 2.1.
	for _, want := range []string{`name = "app-one"`, `name = "jinja2"`, `name = "app-two"`, `name = "lib-two"`, `lib-two = ">=2"`, s.URL} {
		if !strings.Contains(strings.ToLower(string(lock)), strings.ToLower(want)) {
			t.Errorf("poetry.lock lacks %s:\n%s", want, lock)
		}
	}
}

func TestPipenvResolvesFromIndex(t *testing.T) {
	s, _ := uploadCorpus(t)
	dir := t.TempDir()
	pipfile := fmt.Sprintf(`[[source]]
url = "%s/simple/"
verify_ssl = false
name = "pydepot"

[packages]
app-one = "==1.0"

[requires]
python_version = "3.11"
`, s.URL)
	if err := os.WriteFile(filepath.Join(dir, "Pipfile"), []byte(pipfile), 0o644); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	env := []string{"HOME=" + home, "PIPENV_VENV_IN_PROJECT=1", "PIPENV_PYTHON=/usr/bin/python3", "PIPENV_NOSPIN=1",
		"PIPENV_CACHE_DIR=" + filepath.Join(home, "cache"), "PIP_CONFIG_FILE=/dev/null", "PIPENV_YES=1", "CI=1"}
	run(t, dir, env, "pipenv", "lock")
	lock, err := os.ReadFile(filepath.Join(dir, "Pipfile.lock"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"app-one"`, `"jinja2"`, `"markupsafe"`, `"sha256:`} {
		if !strings.Contains(strings.ToLower(string(lock)), strings.ToLower(want)) {
			t.Errorf("Pipfile.lock lacks %s:\n%s", want, lock)
		}
	}
}

// TestPoetryBuildAndPublish: a project built by poetry is published with `poetry publish`
// through the legacy upload API and then listed on the simple page.
func TestPoetryBuildAndPublish(t *testing.T) {
	needTools(t)
	s := startServer(t)
	dir := t.TempDir()
	pyproject := `[tool.poetry]
name = "poetry-made"
version = "0.3.0"
description = "built and published by poetry"
authors = ["Test <test@example.com>"]
packages = [{include = "poetry_made"}]

[tool.poetry.dependencies]
python = "^3.7"

[build-system]
requires = ["poetry-core"]
build-backend = "poetry.core.masonry.api"
`
	for name, body := range map[string]string{"pyproject.toml": pyproject, "poetry_made/__init__.py": "X = 1\n"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	home := t.TempDir()
	env := []string{"HOME=" + home, "POETRY_CACHE_DIR=" + filepath.Join(home, "cache"), "POETRY_NO_INTERACTION=1",
		"POETRY_REPOSITORIES_PYDEPOT_URL=" + s.URL + "/legacy/"}
	run(t, dir, env, "poetry", "build")
	run(t, dir, env, "poetry", "publish", "--repository", "pydepot", "--username", "__token__", "--password", s.Token)
	resp, err := http.Get(s.URL + "/simple/poetry-made/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out := string(body)
	for _, want := range []string{"poetry_made-0.3.0-py3-none-any.whl", "poetry_made-0.3.0.tar.gz"} {
		if !strings.Contains(out, want) {
			t.Errorf("simple page lacks %s:\n%s", want, out)
		}
	}
}
