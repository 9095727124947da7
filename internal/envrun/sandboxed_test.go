package envrun_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/envrun"
	"github.com/pydepot/pydepot/internal/interpreters"
	"github.com/pydepot/pydepot/internal/sandbox"
	"github.com/pydepot/pydepot/internal/testdist"
)

// TestRunSandboxed packs a real environment (a bundled interpreter) and runs Python in
// it with Sandbox: the host's listener is not reached, the working folder gets the
// output, and nothing else is written: not the unpacked environment, not a host folder
// beside the working one, not the host's /tmp.
func TestRunSandboxed(t *testing.T) {
	if err := sandbox.Available(context.Background()); err != nil {
		t.Skipf("no sandbox here: %v", err)
	}
	ctx := context.Background()
	in, err := interpreters.Query(ctx, testdist.Python(t, "3.11"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	src := filepath.Join(root, "build", "env")
	b, err := interpreters.Bundle(ctx, in, src)
	if err != nil {
		t.Fatal(err)
	}
	envrun.WriteManifest(src, envrun.Manifest{Format: 1, Prefix: src, Python: "bin/" + filepath.Base(b.Python), Version: in.Version})
	tarball := packDir(t, src, filepath.Join(root, "py.tar.gz"))
	os.RemoveAll(filepath.Join(root, "build"))

	ln := testdist.Listen(t)
	work := filepath.Join(root, "work")
	beside := filepath.Join(root, "beside")
	os.MkdirAll(work, 0o755)
	os.MkdirAll(beside, 0o755)
	tmpName := fmt.Sprintf("pydepot-sandboxed-%d", os.Getpid())
	script := fmt.Sprintf(`
import os, socket, sys
try:
    socket.create_connection(("127.0.0.1", %d), timeout=3); print("connected")
except OSError:
    print("no network")
for p in (os.path.join(sys.prefix, "x"), %q, "/tmp/%s", "out.txt"):
    try:
        open(p, "w").write("x"); print("wrote", p)
    except OSError:
        print("refused", p)
`, ln.Port, filepath.Join(beside, "x"), tmpName)
	os.WriteFile(filepath.Join(work, "job.py"), []byte(script), 0o644)
	var out, errb bytes.Buffer
	st, err := envrun.Run(ctx, envrun.Options{Env: tarball, CacheDir: filepath.Join(root, "c"), Dir: work,
		Shell:   "python3 job.py",
		Environ: []string{"PATH=/usr/bin:/bin", "HOME=" + root, "SECRET_TOKEN=host"},
		Sandbox: &envrun.SandboxOptions{},
		Stdout:  &out, Stderr: &errb})
	if err != nil || st != 0 {
		t.Fatalf("status %d err %v\nstdout %s\nstderr %s", st, err, out.String(), errb.String())
	}
	got := out.String()
	for _, want := range []string{"no network", "refused " + filepath.Join(beside, "x"), "wrote out.txt", "wrote /tmp/" + tmpName} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "wrote "+filepath.Join(root, "c")) || !strings.Contains(got, "refused "+filepath.Join(root, "c")) {
		t.Errorf("the environment was writable:\n%s", got)
	}
	if ln.Accepted() != 0 {
		t.Error("the host listener was reached")
	}
	if _, err := os.Stat(filepath.Join(work, "out.txt")); err != nil {
		t.Errorf("the working folder did not get the output: %v", err)
	}
	if ents, _ := os.ReadDir(beside); len(ents) != 0 {
		t.Errorf("a host folder outside the working one was written: %v", ents)
	}
	if _, err := os.Stat(filepath.Join("/tmp", tmpName)); err == nil {
		t.Errorf("the host's /tmp was written")
	}
	// The caller's variables stay outside.
	out.Reset()
	st, err = envrun.Run(ctx, envrun.Options{Env: tarball, CacheDir: filepath.Join(root, "c"), Dir: work,
		Shell: "env", Environ: []string{"PATH=/usr/bin:/bin", "SECRET_TOKEN=host", "LANG=C.UTF-8"},
		Sandbox: &envrun.SandboxOptions{}, Stdout: &out, Stderr: &errb})
	if err != nil || st != 0 || strings.Contains(out.String(), "SECRET_TOKEN") || !strings.Contains(out.String(), "LANG=C.UTF-8") {
		t.Errorf("environment: %d %v\n%s", st, err, out.String())
	}
}
