package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/envrun"
	"github.com/pydepot/pydepot/internal/envs"
)

// TestRunExitStatuses drives `pydepot run` through Main: the command's status passes
// through, and run's own failures are 1-4 with a one-line reason.
func TestRunExitStatuses(t *testing.T) {
	work := t.TempDir()
	src := filepath.Join(work, "src")
	os.MkdirAll(filepath.Join(src, "bin"), 0o755)
	os.WriteFile(filepath.Join(src, "bin", "hello"), []byte("#!/bin/sh\necho hi \"$@\"\n"), 0o755)
	f, err := os.Create(filepath.Join(work, "env.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if err := envs.Pack(context.Background(), src, f, envs.Gzip); err != nil {
		t.Fatal(err)
	}
	f.Close()
	os.WriteFile(filepath.Join(work, "bad.tar.gz"), []byte("garbage"), 0o644)
	os.MkdirAll(filepath.Join(work, "notenv"), 0o755)
	os.WriteFile(filepath.Join(work, "example.py"), []byte("print('example')\n"), 0o644)
	tarball := filepath.Join(work, "env.tar.gz")
	tests := []struct {
		name   string
		args   []string
		status int
		stdout string
		stderr string
	}{
		{"string form", []string{"run", tarball, "hello a; exit 0"}, 0, "hi a\n", ""},
		{"status", []string{"run", tarball, "exit 42"}, 42, "", ""},
		{"dash form", []string{"run", "-e", tarball, "--", "hello", "-x", "y z"}, 0, "hi -x y z\n", ""},
		{"flags after env", []string{"run", "-e", tarball, "-w", "5", "hello", "-d"}, 0, "hi -d\n", ""},
		{"dash status", []string{"run", "-e", tarball, "--", "sh", "-c", "exit 5"}, 5, "", ""},
		{"usage: nothing", []string{"run"}, 1, "", "usage"},
		{"usage: no command", []string{"run", "-e", tarball}, 1, "", "no command"},
		{"missing", []string{"run", filepath.Join(work, "nope.tar.gz"), "true"}, 2, "", "not found"},
		{"extraction", []string{"run", filepath.Join(work, "bad.tar.gz"), "true"}, 3, "", "extraction failed"},
		{"activation", []string{"run", filepath.Join(work, "notenv"), "true"}, 4, "", "activation failed"},
		{"dash after ENV", []string{"run", tarball, "--", "hello", "-c", "print(3)"}, 0, "hi -c print(3)\n", ""},
		{"dash after ENV, no command", []string{"run", tarball, "--"}, 1, "", "no command"},
		{"script named as ENV", []string{"run", filepath.Join(work, "example.py"), "python3 example.py"}, 2, "", "is not an environment"},
		{"bad --max-size", []string{"run", "--max-size", "lots", tarball, "hello"}, 1, "", "--max-size"},
		{"bad PYDEPOT_RUN_MAX_FILES", []string{"run", tarball, "hello"}, 1, "", "PYDEPOT_RUN_MAX_FILES"},
		{"over --max-files", []string{"run", "--max-files", "1", "-u", filepath.Join(work, "u1"), tarball, "hello"}, 3, "", "more than 1 members"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			env := Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
				switch {
				case k == "XDG_CACHE_HOME":
					return filepath.Join(work, "cache")
				case k == "PYDEPOT_RUN_MAX_FILES" && strings.HasPrefix(tt.name, "bad PYDEPOT"):
					return "many"
				}
				return ""
			}}
			got := Main(context.Background(), tt.args, env)
			if got != tt.status || out.String() != tt.stdout && tt.stdout != "" {
				t.Fatalf("status %d stdout %q stderr %q; want %d %q", got, out.String(), errb.String(), tt.status, tt.stdout)
			}
			if tt.stderr != "" {
				if !strings.Contains(errb.String(), tt.stderr) || strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
					t.Errorf("stderr %q, want one line with %q", errb.String(), tt.stderr)
				}
			}
		})
	}
}

// TestRunArgvHint: one argument holding a whole command line where argv is expected is
// not found, and the message shows the string form.
func TestRunArgvHint(t *testing.T) {
	work := t.TempDir()
	src := filepath.Join(work, "src")
	os.MkdirAll(filepath.Join(src, "bin"), 0o755)
	f, err := os.Create(filepath.Join(work, "env.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if err := envs.Pack(context.Background(), src, f, envs.Gzip); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var out, errb bytes.Buffer
	env := Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		if k == "XDG_CACHE_HOME" {
			return filepath.Join(work, "cache")
		}
		return ""
	}}
	got := Main(context.Background(), []string{"run", "-e", filepath.Join(work, "env.tar.gz"), "sh -c 'exit 0'"}, env)
	if got != 127 || !strings.Contains(errb.String(), `pydepot run ENV "sh -c 'exit 0'"`) {
		t.Errorf("status %d, stderr %q; want 127 and the string form", got, errb.String())
	}
}

// TestDefaultCacheIsolated: commands run by these tests with the process environment do
// not use the user's real ~/.cache/pydepot.
func TestDefaultCacheIsolated(t *testing.T) {
	home, _ := os.UserHomeDir()
	if d := envrun.DefaultCacheDir(os.Getenv); home != "" && strings.HasPrefix(d, filepath.Join(home, ".cache")) {
		t.Errorf("the tests' default cache is %s, under the real home", d)
	}
}
