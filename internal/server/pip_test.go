package server

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pipDownload runs pip download against the test server, isolated from any pip.conf.
func (e *testEnv) pipDownload(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, append([]string{"-m", "pip", "download", "--no-cache-dir", "--no-deps", "--disable-pip-version-check",
		"--index-url", e.srv.URL + "/simple/", "-d", dir}, args...)...)
	cmd.Env = append(os.Environ(), "PIP_CONFIG_FILE=/dev/null", "PIP_FIND_LINKS=", "PIP_NO_INPUT=1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestPipDownload: pip reads our simple API, skips yanked releases unless pinned, uses
// the PEP 658 metadata, and verifies hashes with --require-hashes.
func TestPipDownload(t *testing.T) {
	e := newEnv(t, Config{})
	old := makeWheel(t, "pipdemo", "1.0", wheelOpts{})
	e.mustUpload(wheelName("pipdemo", "1.0"), old)
	e.mustUpload(wheelName("pipdemo", "2.0"), makeWheel(t, "pipdemo", "2.0", wheelOpts{}))
	if err := e.svc.Yank(t.Context(), "main", "pipdemo", "2.0", "broken release"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out, err := e.pipDownload(t, dir, "pipdemo")
	if err != nil {
		t.Fatalf("pip download: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, wheelName("pipdemo", "1.0"))); err != nil {
		t.Fatalf("pip did not pick 1.0 over the yanked 2.0:\n%s", out)
	}
	// Pinned exactly, the yanked release is still installable (PEP 592), with a warning.
	out, err = e.pipDownload(t, dir, "pipdemo==2.0")
	if err != nil || !strings.Contains(out, "broken release") {
		t.Fatalf("pip download of the pinned yanked release: %v\n%s", err, out)
	}
	sum := sha256.Sum256(old)
	req := filepath.Join(t.TempDir(), "req.txt")
	os.WriteFile(req, []byte("pipdemo==1.0 --hash=sha256:"+hex.EncodeToString(sum[:])+"\n"), 0o644)
	if out, err := e.pipDownload(t, t.TempDir(), "--require-hashes", "-r", req); err != nil {
		t.Fatalf("pip download --require-hashes: %v\n%s", err, out)
	}
	os.WriteFile(req, []byte("pipdemo==1.0 --hash=sha256:"+strings.Repeat("0", 64)+"\n"), 0o644)
	if out, err := e.pipDownload(t, t.TempDir(), "--require-hashes", "-r", req); err == nil || !strings.Contains(out, "HASHES") {
		t.Fatalf("pip accepted a wrong hash: %v\n%s", err, out)
	}
}
