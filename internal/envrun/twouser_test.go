package envrun_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/pydepot/pydepot/internal/envrun"
)

// newLocalUser creates an unprivileged local user for the test (useradd, as root) and
// removes it at the end; it returns the user's uid and gid.
func newLocalUser(t *testing.T) (uid, gid int) {
	t.Helper()
	name := fmt.Sprintf("pydt%d", os.Getpid()%100000)
	exec.Command("userdel", name).Run() // left by a killed run, if any
	if out, err := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid
}

// buildPydepot compiles the pydepot binary into dir.
func buildPydepot(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "pydepot")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/pydepot/pydepot/cmd/pydepot")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// asUser runs argv as uid/gid (the test's own user when uid < 0) with exactly env.
func asUser(t *testing.T, uid, gid int, env []string, argv ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = "/"
	if uid >= 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errb.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", argv, err)
	}
	return out.String(), errb.String(), 0
}

// TestOtherUserCannotPoisonCache: another local user (created by the test) unpacks the same public
// tarball first, copies the result to every folder the victim (the test's user, root in
// CI) might use, replaces bin/hello there and makes it all writable. The victim's runs,
// through the /tmp fallback and both recipes of the clusters help topic, must never run
// that code: they refuse (exit 3), and a run of the victim's own still works.
func TestOtherUserCannotPoisonCache(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a second user (CI runs the tests as root)")
	}
	otherUID, otherGID := newLocalUser(t)
	base := t.TempDir()
	// the other user must reach the binary, the tarball and the shared folder: open the path.
	for p := base; p != "/" && p != os.TempDir(); p = filepath.Dir(p) {
		os.Chmod(p, 0o755)
	}
	bin := buildPydepot(t, base)
	pub := filepath.Join(base, "pub")
	os.Mkdir(pub, 0o755)
	tarball := fakeEnv(t, pub)
	os.Chmod(tarball, 0o644)
	shared := filepath.Join(base, "tmp") // stands for /tmp: sticky and world-writable
	os.Mkdir(shared, 0o755)
	if err := os.Chmod(shared, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	victimUID := os.Geteuid()
	pwned := filepath.Join(shared, "pwned")

	// The attacker's own, honest run: it must get a per-user fallback created 0700.
	attEnv := []string{"PATH=/usr/bin:/bin", "TMPDIR=" + shared}
	out, errOut, st := asUser(t, otherUID, otherGID, attEnv, bin, "run", "-e", tarball, "--", "hello", "mine")
	if st != 0 || !strings.Contains(out, "hello mine") {
		t.Fatalf("the other user's own run: status %d %q %s", st, out, errOut)
	}
	fb := filepath.Join(shared, "pydepot-"+strconv.Itoa(otherUID))
	if fi, err := os.Lstat(fb); err != nil || fi.Mode().Perm() != 0o700 || fi.Sys().(*syscall.Stat_t).Uid != uint32(otherUID) {
		t.Errorf("the other user's fallback cache %s: %v %v", fb, fi, err)
	}
	// Then the poisoning: into the cache folders the victim may use (the per-user
	// fallback, the old shared one, the XDG_CACHE_HOME=/tmp/$USER-pydepot recipe) and the
	// -u /tmp/myenv recipe's folder.
	xdg := filepath.Join(shared, "root-pydepot")
	udir := filepath.Join(shared, "myenv")
	script := `set -e
src=
for d in "$SHARED"/pydepot-*/envs/*/; do [ -f "$d/bin/hello" ] && src=${d%/}; done
for c in "$SHARED/pydepot-$VICTIM" "$SHARED/pydepot-cache" "$XDG/pydepot"; do
	mkdir -p "$c/envs"
	[ -d "$c/envs/${src##*/}" ] || cp -a "$src" "$c/envs/"
done
cp -a "$src" "$UDIR"
for f in "$SHARED"/*/envs/*/bin/hello "$XDG"/pydepot/envs/*/bin/hello "$UDIR/bin/hello"; do
	printf '#!/bin/sh\necho pwned\ntouch %s\n' "$SHARED/pwned" > "$f"
done
chmod -R a+rwX "$SHARED/pydepot-$VICTIM" "$SHARED/pydepot-cache" "$XDG" "$UDIR"
`
	_, errOut, st = asUser(t, otherUID, otherGID, append(attEnv, "SHARED="+shared, "XDG="+xdg, "UDIR="+udir,
		"VICTIM="+strconv.Itoa(victimUID)), "/bin/sh", "-c", script)
	if st != 0 {
		t.Fatalf("poisoning failed: %s", errOut)
	}

	for _, tc := range []struct {
		name string
		env  []string
		args []string
	}{
		{"no HOME, the /tmp fallback", []string{"TMPDIR=" + shared}, nil},
		{"XDG_CACHE_HOME=/tmp/$USER-pydepot", []string{"XDG_CACHE_HOME=" + xdg}, nil},
		{"-u /tmp/myenv", []string{"XDG_CACHE_HOME=" + filepath.Join(base, "victim-cache")}, []string{"-u", udir}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{bin, "run"}, tc.args...)
			args = append(args, "-e", tarball, "--", "hello", "victim")
			out, errOut, st := asUser(t, -1, -1, append([]string{"PATH=/usr/bin:/bin"}, tc.env...), args...)
			if strings.Contains(out, "pwned") {
				t.Fatalf("the victim ran the other user's code: %q", out)
			}
			if _, err := os.Stat(pwned); err == nil {
				t.Fatal("the other user's code ran")
			}
			if st != 3 || !strings.Contains(errOut, "refusing to use") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Fatalf("status %d, stdout %q, stderr %q; want a one-line refusal, exit 3", st, out, errOut)
			}
		})
	}
	// The victim's own cache still works.
	out, errOut, st = asUser(t, -1, -1, []string{"PATH=/usr/bin:/bin", "XDG_CACHE_HOME=" + filepath.Join(base, "victim-cache")},
		bin, "run", "-e", tarball, "--", "hello", "victim")
	if st != 0 || strings.TrimSpace(out) != "hello victim" {
		t.Fatalf("the victim's own run: %d %q %s", st, out, errOut)
	}
}

// TestUnsafeFolders covers the checks one user can set up alone: a cache that others can
// write to, a writable folder above it, a lock that is a symbolic link; and the per-user
// fallback when neither HOME nor XDG_CACHE_HOME is set.
func TestUnsafeFolders(t *testing.T) {
	work := t.TempDir()
	tarball := fakeEnv(t, work)
	run := func(cache, unpackDir string) error {
		_, err := envrun.Run(context.Background(), envrun.Options{Env: tarball, CacheDir: cache, UnpackDir: unpackDir,
			Argv: []string{"hello"}, Environ: []string{"PATH=/bin"}, Stdout: &bytes.Buffer{}})
		return err
	}
	refused := func(name string, err error) {
		t.Helper()
		var re *envrun.Error
		if !errors.As(err, &re) || re.Code != envrun.ExitExtract || !strings.Contains(err.Error(), "refusing to use") {
			t.Errorf("%s: err = %v, want a refusal", name, err)
		}
	}
	open := filepath.Join(work, "open")
	os.Mkdir(open, 0o755)
	os.Chmod(open, 0o777)
	refused("cache writable by others", run(open, ""))
	refused("writable folder above", run(filepath.Join(open, "sub", "cache"), ""))
	refused("writable folder above the unpack dir", run(filepath.Join(work, "c"), filepath.Join(open, "env")))

	// A lock planted as a symbolic link is not followed.
	ok := filepath.Join(work, "ok")
	p, err := envrun.Prepare(context.Background(), envrun.Options{Env: tarball, CacheDir: filepath.Join(work, "probe")})
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(ok, "envs"), 0o700)
	victim := filepath.Join(work, "victim-file")
	os.WriteFile(victim, []byte("keep"), 0o600)
	os.Symlink(victim, filepath.Join(ok, "envs", filepath.Base(p.Dir)+".lock"))
	if err := run(ok, ""); err == nil || !strings.Contains(err.Error(), "lock") {
		t.Errorf("symbolic link lock: err = %v", err)
	}

	// The fallback is per user, created 0700.
	d := envrun.DefaultCacheDir(func(string) string { return "" })
	if filepath.Base(d) != "pydepot-"+strconv.Itoa(os.Geteuid()) {
		t.Errorf("fallback cache %s is not per user", d)
	}
	tmp := filepath.Join(work, "tmp")
	os.Mkdir(tmp, 0o700)
	t.Setenv("TMPDIR", tmp)
	if err := run(envrun.DefaultCacheDir(func(string) string { return "" }), ""); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(filepath.Join(tmp, "pydepot-"+strconv.Itoa(os.Geteuid()))); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("fallback cache: %v %v", st, err)
	}
}

// TestDefaultCacheIsolated: the default cache of these tests is not the user's real one
// (make test used to fill ~/.cache/pydepot).
func TestDefaultCacheIsolated(t *testing.T) {
	home, _ := os.UserHomeDir()
	if d := envrun.DefaultCacheDir(os.Getenv); home != "" && strings.HasPrefix(d, filepath.Join(home, ".cache")) {
		t.Errorf("the tests' default cache is %s, under the real home", d)
	}
}
