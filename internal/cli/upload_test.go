package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUploadThroughPinnedDistribution: an upload through a distribution says whether the
// file was new or already there, and warns when the pinned distribution does not serve it.
func TestUploadThroughPinnedDistribution(t *testing.T) {
	url := startServer(t)
	wheel := systemWheel(t, "wheel-0.38.4-py3-none-any.whl")
	pip := systemWheel(t, "pip-23.0.1-py3-none-any.whl")
	mustRun(t, url, "upload", wheel) // main version 1
	mustRun(t, url, "distribution", "create", "prod", "--pin", "1")

	// Already there and served by the pin.
	code, out, errb := cliRun(t, url, testAdmin, "upload", "--distribution", "prod", wheel)
	if code != 0 || !strings.Contains(out, "already in repository main (identical), nothing uploaded") || !strings.Contains(out, "distribution prod serves it") || errb != "" {
		t.Errorf("re-upload of a served file: exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
	// New, so in version 2, which prod (pinned to 1) does not serve.
	code, out, errb = cliRun(t, url, testAdmin, "upload", "-d", "prod", pip)
	if code != 0 || !strings.Contains(out, "uploaded pip-23.0.1-py3-none-any.whl to repository main (now at version 2)") ||
		!strings.Contains(errb, "distribution prod does not serve pip-23.0.1-py3-none-any.whl: it is pinned to version 1") ||
		!strings.Contains(errb, "pydepot distribution update prod --pin 2") {
		t.Errorf("upload past the pin: exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
	// Already there, still not served: it must not say "uploaded".
	code, out, errb = cliRun(t, url, testAdmin, "upload", "-d", "prod", pip)
	if code != 0 || strings.HasPrefix(out, "uploaded") || !strings.Contains(out, "already in repository main") || !strings.Contains(errb, "pinned to version 1") {
		t.Errorf("re-upload of an unserved file: exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
	// Unpinned, it is served.
	mustRun(t, url, "distribution", "update", "prod", "--unpin")
	code, out, errb = cliRun(t, url, testAdmin, "upload", "-d", "prod", pip)
	if code != 0 || !strings.Contains(out, "distribution prod serves it") || errb != "" {
		t.Errorf("re-upload after unpin: exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
	code, _, errb = cliRun(t, url, testAdmin, "upload", "-d", "nope", pip)
	if code != 1 || !strings.Contains(errb, `no distribution "nope"`) {
		t.Errorf("upload to a missing distribution: exit %d: %s", code, errb)
	}
}

// TestUploadErrorMessages: a missing file is reported as missing (not as a bad file
// name), and no message ends in the error category's name.
func TestUploadErrorMessages(t *testing.T) {
	url := startServer(t)
	code, _, errb := cliRun(t, url, testAdmin, "upload", "missing.whl")
	if code != 1 || !strings.Contains(errb, "missing.whl: no such file") || strings.Contains(errb, "file name") {
		t.Errorf("upload missing.whl: exit %d: %s", code, errb)
	}
	bad := filepath.Join(t.TempDir(), "bad.whl")
	if err := os.WriteFile(bad, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errb = cliRun(t, url, testAdmin, "upload", bad)
	if code != 1 || !strings.Contains(errb, "bad.whl is not a wheel or sdist") {
		t.Errorf("upload bad.whl: exit %d: %s", code, errb)
	}
	dist := filepath.Join(t.TempDir(), "dist")
	if err := os.Mkdir(dist, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, errb := cliRun(t, url, testAdmin, "upload", dist); code != 1 || !strings.Contains(errb, "dist is a folder") || strings.Contains(errb, "file name") {
		t.Errorf("upload of a folder: exit %d: %s", code, errb)
	}
	code, _, errb2 := cliRun(t, url, testAdmin, "repo", "create", "Bad/Name")
	if code != 1 || !strings.Contains(errb2, "Bad/Name") {
		t.Errorf("repo create Bad/Name: exit %d: %s", code, errb2)
	}
	for _, msg := range []string{errb, errb2} {
		for _, line := range strings.Split(strings.TrimSpace(msg), "\n") {
			for _, cat := range []string{": invalid", ": not found", ": conflict", ": too large"} {
				if strings.HasSuffix(line, cat) {
					t.Errorf("message ends in the category %q: %s", cat, line)
				}
			}
		}
	}
}
