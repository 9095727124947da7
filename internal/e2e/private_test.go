package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// wantSecretApp fails unless py (an environment's python) has secret-app and its
// dependency secret-lib installed.
func wantSecretApp(t *testing.T, py string) {
	t.Helper()
	out := run(t, "", nil, py, "-c", "import secret_app, secret_lib; secret_app.main()")
	if strings.TrimSpace(out) != "secret-app 1.0" {
		t.Fatalf("%s printed %q", py, out)
	}
}

// wantNoSecret fails if a file a client wrote (a lock file) holds the token.
func wantNoSecret(t *testing.T, path, token string) {
	t.Helper()
	if strings.Contains(readFile(t, path), token) {
		t.Fatalf("%s holds the token", filepath.Base(path))
	}
}

// TestPrivateDistributionWithEachClient: a private distribution is invisible without a
// token (401 with WWW-Authenticate: Basic) and to a token of another repository; each client
// reads it, locks it and installs it with a read token given its own way: pip from ~/.netrc
// and from the URL, uv from UV_INDEX_<NAME>_USERNAME/PASSWORD, poetry from
// POETRY_HTTP_BASIC_<NAME>_*, pdm from the source's username and password in its config,
// pipenv from environment variables expanded in the Pipfile's url. No lock file keeps the token.
func TestPrivateDistributionWithEachClient(t *testing.T) {
	t.Parallel()
	needTools(t)
	s := startServer(t)
	bin := pydepotBin(t)
	admin := s.adminEnv()
	built, err := buildProjects(t.TempDir(),
		testdist.SimpleProject("secret-lib", "1.0"),
		testdist.SimpleProject("secret-app", "1.0", "secret-lib"))
	if err != nil {
		t.Fatal(err)
	}
	run(t, "", admin, bin, "repo", "create", "team")
	run(t, "", admin, bin, "upload", "-r", "team", built[0][0], built[1][0])
	run(t, "", admin, bin, "distribution", "create", "team/private", "--repository", "team", "--private")
	reader := lastLine(run(t, "", admin, bin, "token", "create", "reader", "--scope", "read", "-r", "team"))
	other := lastLine(run(t, "", admin, bin, "token", "create", "outsider", "--scope", "read", "-r", "main"))
	index := s.URL + "/team/private/simple/"
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("anonymous-and-outsider", func(t *testing.T) {
		t.Parallel()
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
	})
	t.Run("pip-netrc", func(t *testing.T) {
		t.Parallel()
		env, home := clientEnv(t)
		py := newVenv(t, env)
		pip := testdist.Tool(t, "pip")
		if out, err := runErr("", env, pip, "--python", py, "install", "--index-url", index, "secret-app"); err == nil {
			t.Fatalf("pip installed from a private distribution without credentials:\n%s", out)
		}
		netrc := fmt.Sprintf("machine %s login __token__ password %s\n", u.Hostname(), reader)
		if err := os.WriteFile(filepath.Join(home, ".netrc"), []byte(netrc), 0o600); err != nil {
			t.Fatal(err)
		}
		run(t, "", env, pip, "--python", py, "install", "--index-url", index, "secret-app")
		wantSecretApp(t, py)
	})
	t.Run("pip-url", func(t *testing.T) {
		t.Parallel()
		env, _ := clientEnv(t)
		py := newVenv(t, env)
		withCreds := *u
		withCreds.User = url.UserPassword("__token__", reader)
		run(t, "", env, testdist.Tool(t, "pip"), "--python", py, "install", "--index-url", withCreds.String()+"/team/private/simple/", "secret-app")
		wantSecretApp(t, py)
	})
	t.Run("uv", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"pyproject.toml": fmt.Sprintf(`[project]
name = "consumer"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["secret-app"]

[[tool.uv.index]]
name = "private"
url = %q
default = true
`, index)})
		env, _ := clientEnv(t)
		uv := testdist.Tool(t, "uv")
		if out, err := runErr(dir, env, uv, "lock", "--python", python311(t)); err == nil {
			t.Fatalf("uv locked from a private distribution without credentials:\n%s", out)
		}
		env = append(env, "UV_INDEX_PRIVATE_USERNAME=__token__", "UV_INDEX_PRIVATE_PASSWORD="+reader)
		run(t, dir, env, uv, "lock", "--python", python311(t))
		wantLock(t, filepath.Join(dir, "uv.lock"), index, `"secret-app"`, `"secret-lib"`)
		wantNoSecret(t, filepath.Join(dir, "uv.lock"), reader)
		run(t, dir, env, uv, "sync", "--locked", "--python", python311(t))
		wantSecretApp(t, filepath.Join(dir, ".venv", "bin", "python"))
	})
	t.Run("poetry", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"pyproject.toml": fmt.Sprintf(`[project]
name = "consumer"
version = "0.1.0"
requires-python = ">=3.11,<4"
dependencies = ["secret-app"]

[tool.poetry]
package-mode = false

[[tool.poetry.source]]
name = "private"
url = %q
priority = "primary"
`, index)})
		env, _ := clientEnv(t)
		env = append(env, "POETRY_HTTP_BASIC_PRIVATE_USERNAME=__token__", "POETRY_HTTP_BASIC_PRIVATE_PASSWORD="+reader)
		poetry := testdist.Tool(t, "poetry")
		run(t, dir, env, poetry, "lock")
		wantLock(t, filepath.Join(dir, "poetry.lock"), index, `"secret-app"`, `"secret-lib"`)
		wantNoSecret(t, filepath.Join(dir, "poetry.lock"), reader)
		run(t, dir, env, poetry, "install")
		wantSecretApp(t, filepath.Join(dir, ".venv", "bin", "python"))
	})
	t.Run("pdm", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"pyproject.toml": fmt.Sprintf(`[project]
name = "consumer"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["secret-app"]

[tool.pdm]
distribution = false

[[tool.pdm.source]]
name = "private"
url = %q
`, index)})
		env, _ := clientEnv(t)
		pdm := testdist.Tool(t, "pdm")
		// The source's credentials live in pdm's own (here temporary) configuration.
		run(t, dir, env, pdm, "config", "pypi.private.username", "__token__")
		run(t, dir, env, pdm, "config", "pypi.private.password", reader)
		run(t, dir, env, pdm, "use", "--first", python311(t))
		run(t, dir, env, pdm, "lock")
		wantLock(t, filepath.Join(dir, "pdm.lock"), "", `"secret-app"`, `"secret-lib"`)
		wantNoSecret(t, filepath.Join(dir, "pdm.lock"), reader)
		wantNoSecret(t, filepath.Join(dir, "pyproject.toml"), reader)
		run(t, dir, env, pdm, "sync")
		wantSecretApp(t, filepath.Join(dir, ".venv", "bin", "python"))
	})
	t.Run("pipenv", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"Pipfile": fmt.Sprintf(`[[source]]
url = "http://${PRIVATE_INDEX_USER}:${PRIVATE_INDEX_TOKEN}@%s/team/private/simple/"
verify_ssl = false
name = "private"

[packages]
secret-app = "*"

[requires]
python_version = "3.11"
`, u.Host)})
		env, _ := clientEnv(t)
		env = append(env, "PIPENV_PYTHON="+python311(t), "PRIVATE_INDEX_USER=__token__", "PRIVATE_INDEX_TOKEN="+reader)
		pipenv := testdist.Tool(t, "pipenv")
		run(t, dir, env, pipenv, "lock")
		wantLock(t, filepath.Join(dir, "Pipfile.lock"), "", `"secret-app"`, `"secret-lib"`, "${PRIVATE_INDEX_TOKEN}")
		wantNoSecret(t, filepath.Join(dir, "Pipfile.lock"), reader)
		run(t, dir, env, pipenv, "sync")
		wantSecretApp(t, filepath.Join(dir, ".venv", "bin", "python"))
	})
}
