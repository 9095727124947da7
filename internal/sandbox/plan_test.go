package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEtcMasks: what others cannot read is masked (a file by /dev/null, a folder by an
// empty read-only tmpfs, whose contents are not walked); readable entries are left; too
// many entries is an error, not a partial list.
func TestEtcMasks(t *testing.T) {
	etc := t.TempDir()
	os.Chmod(etc, 0o755)
	os.MkdirAll(filepath.Join(etc, "private", "deep"), 0o700)
	os.WriteFile(filepath.Join(etc, "private", "deep", "key"), nil, 0o600)
	os.MkdirAll(filepath.Join(etc, "open"), 0o755)
	os.WriteFile(filepath.Join(etc, "open", "shadow"), nil, 0o640)
	os.WriteFile(filepath.Join(etc, "open", "hosts"), nil, 0o644)
	os.Symlink("/nonexistent", filepath.Join(etc, "link"))
	a, err := etcMasks(etc, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(a, " ")
	for _, want := range []string{
		"--tmpfs " + filepath.Join(etc, "private") + " --remount-ro " + filepath.Join(etc, "private"),
		"--ro-bind /dev/null " + filepath.Join(etc, "open", "shadow"),
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in %q", want, got)
		}
	}
	for _, not := range []string{"hosts", "deep", "link"} {
		if strings.Contains(got, not) {
			t.Errorf("%s masked: %q", not, got)
		}
	}
	if _, err := etcMasks(etc, 3); err == nil || !strings.Contains(err.Error(), "more than 3 entries") {
		t.Errorf("no error past the cap: %v", err)
	}
}
