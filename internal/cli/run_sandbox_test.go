package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/envs"
	"github.com/pydepot/pydepot/internal/sandbox"
)

// TestRunSandboxFlag drives `pydepot run --sandbox` through Main from a working folder:
// the command writes there, its write outside it fails, and --time-limit is checked.
func TestRunSandboxFlag(t *testing.T) {
	if err := sandbox.Available(context.Background()); err != nil {
		t.Skipf("no sandbox here: %v", err)
	}
	root := t.TempDir()
	src := filepath.Join(root, "src")
	os.MkdirAll(filepath.Join(src, "bin"), 0o755)
	os.WriteFile(filepath.Join(src, "bin", "hello"), []byte("#!/bin/sh\necho hi \"$@\"\n"), 0o755)
	f, err := os.Create(filepath.Join(root, "env.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if err := envs.Pack(context.Background(), src, f, envs.Gzip); err != nil {
		t.Fatal(err)
	}
	f.Close()
	work := filepath.Join(root, "work")
	os.MkdirAll(work, 0o755)
	t.Chdir(work)
	main := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		env := Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
			if k == "XDG_CACHE_HOME" {
				return filepath.Join(root, "cache")
			}
			return ""
		}}
		return Main(context.Background(), append([]string{"run"}, args...), env), out.String(), errb.String()
	}
	tarball := filepath.Join(root, "env.tar.gz")
	// The folder above the working one exists inside only as a mount point in the
	// private /tmp: a write there may succeed but never reaches the host.
	st, out, errs := main("--sandbox", tarball, "hello in > got.txt; echo x > "+filepath.Join(root, "outside")+" 2>/dev/null; echo done")
	if st != 0 || out != "done\n" {
		t.Fatalf("status %d stdout %q stderr %q", st, out, errs)
	}
	if b, _ := os.ReadFile(filepath.Join(work, "got.txt")); string(b) != "hi in\n" {
		t.Errorf("working folder: %q", b)
	}
	if _, err := os.Stat(filepath.Join(root, "outside")); err == nil {
		t.Error("wrote outside the working folder")
	}
	if st, _, errs := main("--sandbox", "--time-limit", "500ms", tarball, "sleep 30"); st != 137 || !strings.Contains(errs, "stopped after 500ms") {
		t.Errorf("time limit: status %d stderr %q", st, errs)
	}
	if st, _, errs := main("--time-limit", "1s", tarball, "true"); st != 1 || !strings.Contains(errs, "needs --sandbox") {
		t.Errorf("--time-limit without --sandbox: %d %q", st, errs)
	}
}

func TestRunSandboxCompletion(t *testing.T) {
	var out bytes.Buffer
	Main(context.Background(), []string{"__complete", "run", "--sa"}, Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }})
	var got []string
	for _, line := range strings.Split(out.String(), "\n") {
		if v, _, _ := strings.Cut(line, "\t"); strings.HasPrefix(v, "--") {
			got = append(got, v)
		}
	}
	if !slices.Contains(got, "--sandbox") {
		t.Errorf("completion of run --sa: %q", out.String())
	}
}
