package server

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// twine returns the path of twine (Debian's package, which the test setup installs).
func twine(t *testing.T) string {
	t.Helper()
	return testdist.NeedCommand(t, "twine", "twine")
}

// TestTwineUpload drives the legacy API with the real twine: an upload, a re-upload with
// --skip-existing, and a refusal of the same filename with other content.
func TestTwineUpload(t *testing.T) {
	tw := twine(t)
	e := newEnv(t, Config{})
	dir := t.TempDir()
	whl := filepath.Join(dir, "wheel-0.38.4-py3-none-any.whl")
	if err := os.WriteFile(whl, readFile(t, "/usr/share/python-wheels/wheel-0.38.4-py3-none-any.whl"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		cmd := exec.Command(tw, append([]string{"upload", "--non-interactive", "--disable-progress-bar", "--repository-url", e.srv.URL + "/legacy/", "-u", "__token__", "-p", adminSecret}, args...)...)
		cmd.Env = append(os.Environ(), "HOME="+dir, "TWINE_CERT=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run(whl); err != nil {
		t.Fatalf("twine upload: %v\n%s", err, out)
	}
	if st := e.state("main"); len(st.files) != 1 {
		t.Fatalf("after twine upload: %s", st)
	}
	if out, err := run("--skip-existing", whl); err != nil {
		t.Fatalf("twine upload --skip-existing of the same file: %v\n%s", err, out)
	}
	// Same filename, other bytes: twine reports PyPI's message, and --skip-existing skips it.
	other := filepath.Join(dir, "other", "wheel-0.38.4-py3-none-any.whl")
	os.MkdirAll(filepath.Dir(other), 0o755)
	data := readFile(t, whl)
	if err := os.WriteFile(other, append(data[:len(data):len(data)], 0), 0o644); err != nil { // a trailing byte keeps the zip readable
		t.Fatal(err)
	}
	// Without --verbose, twine shows the status line's reason phrase: PyPI's text must be there.
	out, err := run(other)
	if err == nil || !strings.Contains(out, "400") || !strings.Contains(out, "File already exists") {
		t.Fatalf("twine upload of other content: %v\n%s", err, out)
	}
	if out, err := run("--skip-existing", other); err != nil || !strings.Contains(out, "Skipping") {
		t.Fatalf("twine --skip-existing of other content: %v\n%s", err, out)
	}
	// A wrong password is refused.
	cmd := exec.Command(tw, "upload", "--non-interactive", "--disable-progress-bar", "--repository-url", e.srv.URL+"/legacy/", "-u", "__token__", "-p", "wrong", whl)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "403") && !strings.Contains(string(out), "401") {
		t.Fatalf("twine with a wrong token: %v\n%s", err, out)
	}
	if st := e.state("main"); len(st.files) != 1 || st.versions != 2 {
		t.Fatalf("repository after refusals: %s", st)
	}
}

// TestTwineTooLarge: twine sees the 413 rather than a reset connection.
func TestTwineTooLarge(t *testing.T) {
	tw := twine(t)
	e := newEnv(t, Config{MaxUpload: 512 << 10})
	dir := t.TempDir()
	whl := filepath.Join(dir, "pip-23.0.1-py3-none-any.whl")
	if err := os.WriteFile(whl, readFile(t, "/usr/share/python-wheels/pip-23.0.1-py3-none-any.whl"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tw, "upload", "--non-interactive", "--disable-progress-bar", "--repository-url", e.srv.URL+"/legacy/", "-u", "__token__", "-p", adminSecret, whl)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "413") {
		t.Fatalf("twine upload over the limit: %v\n%s", err, out)
	}
	if st := e.state("main"); len(st.files) != 0 {
		t.Fatalf("repository changed: %s", st)
	}
}
