package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/interpreters"
	"github.com/pydepot/pydepot/internal/testdist"
)

// proxyTrap is where every client's proxy points: nothing listens there, so a client that
// reaches for any host but 127.0.0.1 (PyPI for a build backend, say) fails at once instead
// of quietly using another index.
const proxyTrap = "http://127.0.0.1:9"

// foreignEnv are the prefixes of the machine's variables a client must not see: its own
// settings (PIP_FIND_LINKS and PIP_CERT are set on this machine), proxies, CA bundles
// (requests prefers CURL_CA_BUNDLE to pip's --cert), active virtualenvs and Python paths.
var foreignEnv = []string{"PIP_", "UV_", "POETRY_", "PDM_", "HATCH_", "PIPENV_", "TWINE_", "VIRTUAL_ENV",
	"CONDA_", "PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTHON_KEYRING", "HTTP_PROXY", "HTTPS_PROXY",
	"ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "NETRC", "XDG_"}

// commandEnv is the machine's environment without foreignEnv, with HOME and XDG_CACHE_HOME
// in the process's shared temporary folder (so that no command writes into the real
// ~/.cache), then env, which may override them.
func commandEnv(env []string) []string {
	out := []string{"HOME=" + filepath.Join(shared, "home"), "XDG_CACHE_HOME=" + filepath.Join(shared, "home", ".cache")}
	for _, kv := range os.Environ() {
		key, _, _ := strings.Cut(kv, "=")
		foreign := false
		for _, p := range foreignEnv {
			if strings.HasPrefix(strings.ToUpper(key), p) {
				foreign = true
				break
			}
		}
		if !foreign && key != "HOME" {
			out = append(out, kv)
		}
	}
	return append(out, env...)
}

// clientEnv is the environment every client runs with: a fresh HOME and XDG folders, each
// client's cache and configuration in them, no prompts, no update checks, a keyring that
// refuses every call (so that pdm keeps a password in its configuration rather than give
// it to a keyring that drops it, and nobody reads the machine's keyring), and
// the proxy trap for anything that is not 127.0.0.1. home is the HOME it names.
func clientEnv(t *testing.T) (env []string, home string) {
	t.Helper()
	home = t.TempDir()
	env, err := clientEnvIn(home)
	if err != nil {
		t.Fatal(err)
	}
	return env, home
}

// clientEnvIn is clientEnv with its HOME at home, for what tests share (the upstreams).
func clientEnvIn(home string) ([]string, error) {
	var mkErr error
	dir := func(rel string) string {
		p := filepath.Join(home, filepath.FromSlash(rel))
		if err := os.MkdirAll(p, 0o755); err != nil && mkErr == nil {
			mkErr = err
		}
		return p
	}
	hatchConfig := filepath.Join(dir(".config/hatch"), "config.toml")
	if err := os.WriteFile(hatchConfig, nil, 0o644); err != nil {
		return nil, err
	}
	noProxy := "127.0.0.1,localhost"
	env := []string{
		"HOME=" + home,
		"XDG_CACHE_HOME=" + dir(".cache"), "XDG_CONFIG_HOME=" + dir(".config"),
		"XDG_DATA_HOME=" + dir(".local/share"), "XDG_STATE_HOME=" + dir(".local/state"),
		"HTTP_PROXY=" + proxyTrap, "HTTPS_PROXY=" + proxyTrap, "ALL_PROXY=" + proxyTrap,
		"http_proxy=" + proxyTrap, "https_proxy=" + proxyTrap, "all_proxy=" + proxyTrap,
		"NO_PROXY=" + noProxy, "no_proxy=" + noProxy,
		"PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring",
		"PIP_CONFIG_FILE=/dev/null", "PIP_CACHE_DIR=" + dir("cache/pip"),
		"PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1",
		"UV_CACHE_DIR=" + dir("cache/uv"), "UV_PYTHON_DOWNLOADS=never", "UV_NO_PROGRESS=1",
		"POETRY_CACHE_DIR=" + dir("cache/poetry"), "POETRY_CONFIG_DIR=" + dir(".config/pypoetry"),
		"POETRY_DATA_DIR=" + dir(".local/share/pypoetry"), "POETRY_NO_INTERACTION=1",
		"POETRY_VIRTUALENVS_IN_PROJECT=true",
		"PDM_HOME=" + dir(".local/share/pdm"), "PDM_CACHE_DIR=" + dir("cache/pdm"),
		"PDM_CONFIG_FILE=" + filepath.Join(dir(".config/pdm"), "config.toml"),
		"PDM_CHECK_UPDATE=false", "PDM_NON_INTERACTIVE=1", "PDM_IGNORE_STORED_INDEX=1",
		"HATCH_CONFIG=" + hatchConfig, "HATCH_DATA_DIR=" + dir(".local/share/hatch"),
		"HATCH_CACHE_DIR=" + dir("cache/hatch"),
		"PIPENV_CACHE_DIR=" + dir("cache/pipenv"), "PIPENV_VENV_IN_PROJECT=1", "PIPENV_NOSPIN=1",
		"PIPENV_YES=1", "PIPENV_IGNORE_VIRTUALENVS=1", "PIPENV_NO_INHERIT=1", "CI=1",
	}
	return env, mkErr
}

var (
	py311Once sync.Once
	py311     string
	py311Err  error
)

// python311 returns a CPython 3.11 executable (the wheels rebuilt from this machine's
// site-packages are cp311), found by version as `pydepot create` finds one.
func python311(t *testing.T) string {
	t.Helper()
	py311Once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		in, err := interpreters.Find(ctx, "3.11", interpreters.Options{})
		if err != nil {
			py311Err = err
			return
		}
		// The executable under sys.base_prefix, not a pyenv shim or a venv's link.
		py311 = filepath.Join(in.BasePrefix, "bin", "python3.11")
		if _, err := os.Stat(py311); err != nil {
			py311 = in.Path
		}
	})
	if py311Err != nil {
		t.Fatal(py311Err)
	}
	return py311
}

// newVenv makes an empty virtualenv (no pip in it) with uv and returns its python; today's
// pip drives it from outside with `pip --python`.
func newVenv(t *testing.T, env []string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "venv")
	run(t, "", env, testdist.Tool(t, "uv"), "venv", "--quiet", "--python", python311(t), dir)
	return filepath.Join(dir, "bin", "python")
}

// writeFiles writes files (relative path → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for rel, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
