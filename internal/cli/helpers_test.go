package cli

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testserver"
)

const testAdmin = "cli-test-admin-token"

// startServer runs the real index and HTTP stack in-process on temporary storage and
// returns its URL; the admin token is testAdmin.
func startServer(t *testing.T) string {
	t.Helper()
	return startServerWrapped(t, nil)
}

// startServerWrapped is startServer with its handler wrapped by wrap (nil for none).
func startServerWrapped(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	return testserver.Start(t, testserver.Options{Admin: testAdmin, Wrap: wrap}).URL
}

// cliRun runs the pydepot command line through Main (so the exit status is the real one)
// with PYDEPOT_URL and PYDEPOT_TOKEN set as given ("" leaves a variable unset).
func cliRun(t *testing.T, url, token string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	vars := map[string]string{}
	if url != "" {
		vars["PYDEPOT_URL"] = url
	}
	if token != "" {
		vars["PYDEPOT_TOKEN"] = token
	}
	env, out, errb := testEnv(vars)
	code = Main(t.Context(), args, env)
	return code, out.String(), errb.String()
}

// mustRun is cliRun that fails the test unless the command exits 0.
func mustRun(t *testing.T, url string, args ...string) string {
	t.Helper()
	code, out, errb := cliRun(t, url, testAdmin, args...)
	if code != 0 {
		t.Fatalf("pydepot %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errb)
	}
	return out
}

// systemWheel copies one of Debian's wheels (python3-wheel) into a temporary folder.
func systemWheel(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("/usr/share/python-wheels", name))
	if err != nil {
		t.Fatalf("Debian wheel %s (python3-wheel, python3-pip): %v", name, err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
