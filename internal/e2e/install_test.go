package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// wantImports fails unless py (an environment's python) runs app-one's entry point's code
// and imports jinja2 and markupsafe: the project and its dependencies were installed.
func wantImports(t *testing.T, py string) {
	t.Helper()
	out := run(t, "", nil, py, "-c", "import app_one, jinja2, markupsafe; app_one.main(); print(jinja2.Template('{{x}}').render(x=41+1))")
	if strings.TrimSpace(out) != "app-one 1.0\n42" {
		t.Fatalf("%s printed %q", py, out)
	}
}

// wantLock fails unless the lock file path names every one of names (case-insensitively)
// and, when url is not "", the index it resolved from.
func wantLock(t *testing.T, path, url string, names ...string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lock := strings.ToLower(string(data))
	for _, n := range names {
		if !strings.Contains(lock, strings.ToLower(n)) {
			t.Errorf("%s lacks %s:\n%s", filepath.Base(path), n, data)
		}
	}
	if url != "" && !strings.Contains(lock, strings.ToLower(strings.TrimSuffix(url, "/"))) {
		t.Errorf("%s does not name the index %s:\n%s", filepath.Base(path), url, data)
	}
	return string(data)
}

// TestInstallAndLockWithEachClient: one server holds the corpus (uploaded with twine 7);
// today's pip, uv (pip interface, and lock/sync with a [[tool.uv.index]]), poetry, pdm and
// pipenv each resolve app-one, which needs jinja2, which needs markupsafe, lock it where the
// client locks, and install it into a fresh environment that then imports all three.
func TestInstallAndLockWithEachClient(t *testing.T) {
	t.Parallel()
	needTools(t)
	s := startServer(t)
	buildCorpus(t).upload(t, s)
	index := s.URL + "/simple/"
	deps := []string{`"app-one"`, `"jinja2"`, `"markupsafe"`}

	t.Run("pip", func(t *testing.T) {
		t.Parallel()
		env, _ := clientEnv(t)
		py := newVenv(t, env)
		run(t, "", env, testdist.Tool(t, "pip"), "--python", py, "install", "--index-url", index, "app-one")
		wantImports(t, py)
	})
	t.Run("uv-pip", func(t *testing.T) {
		t.Parallel()
		env, _ := clientEnv(t)
		py := newVenv(t, env)
		run(t, "", env, testdist.Tool(t, "uv"), "pip", "install", "--python", py, "--index-url", index, "app-one")
		wantImports(t, py)
	})
	t.Run("uv-lock-sync", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"pyproject.toml": fmt.Sprintf(`[project]
name = "consumer"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["app-one==1.0"]

[[tool.uv.index]]
name = "pydepot"
url = %q
default = true
`, index)})
		env, _ := clientEnv(t)
		uv := testdist.Tool(t, "uv")
		run(t, dir, env, uv, "lock", "--python", python311(t))
		wantLock(t, filepath.Join(dir, "uv.lock"), index, deps...)
		run(t, dir, env, uv, "sync", "--locked", "--python", python311(t))
		wantImports(t, filepath.Join(dir, ".venv", "bin", "python"))
	})
	t.Run("poetry", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"pyproject.toml": fmt.Sprintf(`[project]
name = "consumer"
version = "0.1.0"
requires-python = ">=3.11,<4"
dependencies = ["app-one==1.0"]

[tool.poetry]
package-mode = false

[[tool.poetry.source]]
name = "pydepot"
url = %q
priority = "primary"
`, index)})
		env, _ := clientEnv(t)
		poetry := testdist.Tool(t, "poetry")
		run(t, dir, env, poetry, "lock")
		wantLock(t, filepath.Join(dir, "poetry.lock"), index, deps...)
		run(t, dir, env, poetry, "install")
		wantImports(t, filepath.Join(dir, ".venv", "bin", "python"))
	})
	t.Run("pdm", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"pyproject.toml": fmt.Sprintf(`[project]
name = "consumer"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["app-one==1.0"]

[tool.pdm]
distribution = false

[[tool.pdm.source]]
name = "pydepot"
url = %q
`, index)})
		env, _ := clientEnv(t)
		pdm := testdist.Tool(t, "pdm")
		run(t, dir, env, pdm, "use", "--first", python311(t))
		run(t, dir, env, pdm, "lock")
		wantLock(t, filepath.Join(dir, "pdm.lock"), "", deps...)
		run(t, dir, env, pdm, "sync")
		wantImports(t, filepath.Join(dir, ".venv", "bin", "python"))
	})
	t.Run("pipenv", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"Pipfile": fmt.Sprintf(`[[source]]
url = %q
verify_ssl = false
name = "pydepot"

[packages]
app-one = "==1.0"

[requires]
python_version = "3.11"
`, index)})
		env, _ := clientEnv(t)
		env = append(env, "PIPENV_PYTHON="+python311(t))
		pipenv := testdist.Tool(t, "pipenv")
		run(t, dir, env, pipenv, "lock")
		wantLock(t, filepath.Join(dir, "Pipfile.lock"), index, append(deps, `"sha256:`)...)
		run(t, dir, env, pipenv, "sync")
		wantImports(t, filepath.Join(dir, ".venv", "bin", "python"))
	})
}
