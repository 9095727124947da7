// Package testdisk gives tests a small real file system to fill: a tmpfs mounted in a
// temporary folder, so that "the disk is full" is the kernel's ENOSPC, not a mock.
package testdisk

import (
	"os"
	"os/exec"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// Tiny mounts a tmpfs of size (mount's syntax: "1m", "2m") in a temporary folder, owned
// by and private to the test's user, and returns its path; it is unmounted when the test
// ends. Mounting needs root: where it cannot mount, the test fails with CI=true (CI runs
// as root) and is skipped elsewhere.
func Tiny(t testing.TB, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		testdist.Missing(t, "mounting a small tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		testdist.Missing(t, "cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}
