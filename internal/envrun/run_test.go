package envrun_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/envrun"
	"github.com/pydepot/pydepot/internal/envs"
	"github.com/pydepot/pydepot/internal/interpreters"
)

// fakeEnv writes a tiny environment (bin/hello) and packs it; returns the tarball path.
func fakeEnv(t *testing.T, dir string) string { return fakeEnvB(t, dir) }

func fakeEnvB(t testing.TB, dir string) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	os.MkdirAll(filepath.Join(src, "bin"), 0o755)
	os.WriteFile(filepath.Join(src, "bin", "hello"), []byte("#!/bin/sh\necho hello \"$@\"\n"), 0o755)
	os.WriteFile(filepath.Join(src, "bin", "where.txt"), []byte("built at "+src+"\n"), 0o644)
	if err := envrun.WriteManifest(src, envrun.Manifest{Format: 1, Prefix: src, Relocate: []string{"bin/where.txt"}}); err != nil {
		t.Fatal(err)
	}
	packDirFormat(t, src, filepath.Join(dir, "fakez.tar.zst"), envs.Zstd)
	return packDir(t, src, filepath.Join(dir, "fake.tar.gz"))
}

func packDir(t testing.TB, src, out string) string {
	t.Helper()
	return packDirFormat(t, src, out, envs.Gzip)
}

func packDirFormat(t testing.TB, src, out string, format envs.Format) string {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := envs.Pack(context.Background(), src, f, format); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRunExitCodes(t *testing.T) {
	work := t.TempDir()
	tarball := fakeEnv(t, work)
	os.WriteFile(filepath.Join(work, "broken.tar.gz"), []byte("this is not gzip at all"), 0o644)
	os.MkdirAll(filepath.Join(work, "nobin"), 0o755)
	os.WriteFile(filepath.Join(work, "example.py"), []byte("print('example')\n"), 0o644)
	cache := filepath.Join(work, "cache")
	tests := []struct {
		name     string
		env      string
		shell    string
		argv     []string
		status   int
		code     int // run's own failure, 0 = none
		inStdout string
	}{
		{"ok", tarball, "hello world", nil, 0, 0, "hello world"},
		{"by name", "fake", "hello", nil, 0, 0, "hello"},
		{"zstd", filepath.Join(work, "fakez.tar.zst"), "hello z", nil, 0, 0, "hello z"},
		{"zstd by name", "fakez", "hello", nil, 0, 0, "hello"},
		{"status passes", tarball, "exit 7", nil, 7, 0, ""},
		{"argv", tarball, "", []string{"hello", "a b"}, 0, 0, "hello a b"},
		{"argv status", tarball, "", []string{"sh", "-c", "exit 3"}, 3, 0, ""},
		{"signal", tarball, "kill -TERM $$", nil, 143, 0, ""},
		{"not found", tarball, "", []string{"no-such-command"}, 127, 0, ""},
		{"relocated", tarball, "cat \"$VIRTUAL_ENV/bin/where.txt\"", nil, 0, 0, "built at " + cache},
		{"usage", tarball, "", nil, 0, envrun.ExitUsage, ""},
		{"missing", filepath.Join(work, "nope.tar.gz"), "true", nil, 0, envrun.ExitMissing, ""},
		{"missing name", "nope", "true", nil, 0, envrun.ExitMissing, ""},
		{"broken", filepath.Join(work, "broken.tar.gz"), "true", nil, 0, envrun.ExitExtract, ""},
		{"not an env", filepath.Join(work, "nobin"), "true", nil, 0, envrun.ExitActivate, ""},
		// the seed's literal `python_package_run example.py "python3 example.py"`
		{"script, not an environment", "example.py", "python3 example.py", nil, 0, envrun.ExitMissing, "not an environment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			status, err := envrun.Run(context.Background(), envrun.Options{
				Env: tt.env, Shell: tt.shell, Argv: tt.argv, CacheDir: cache, Dir: work,
				Environ: []string{"PATH=/usr/bin:/bin"}, Stdout: &out, Stderr: &errb,
			})
			var re *envrun.Error
			if tt.code != 0 {
				if !errors.As(err, &re) || re.Code != tt.code {
					t.Fatalf("err = %v, want code %d", err, tt.code)
				}
				if strings.Contains(re.Error(), "\n") {
					t.Errorf("reason is not one line: %q", re.Error())
				}
				if !strings.Contains(re.Error(), tt.inStdout) {
					t.Errorf("reason %q lacks %q", re.Error(), tt.inStdout)
				}
				return
			}
			if err != nil || status != tt.status {
				t.Fatalf("status %d, err %v; want %d (stderr %s)", status, err, tt.status, errb.String())
			}
			if !strings.Contains(out.String(), tt.inStdout) {
				t.Errorf("stdout %q lacks %q", out.String(), tt.inStdout)
			}
		})
	}
}

func TestActivation(t *testing.T) {
	work := t.TempDir()
	tarball := fakeEnv(t, work)
	var out bytes.Buffer
	_, err := envrun.Run(context.Background(), envrun.Options{
		Env: tarball, CacheDir: filepath.Join(work, "c"), Stdout: &out,
		Shell:   `echo "$PYTHONPATH|$PYTHONHOME|$PYTHONNOUSERSITE|$VIRTUAL_ENV|$PATH|$KEEP"`,
		Environ: []string{"PATH=/usr/bin", "PYTHONPATH=/leak", "PYTHONHOME=/leak", "KEEP=yes", "VIRTUAL_ENV=/other"},
	})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(strings.TrimSpace(out.String()), "|")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "" || parts[2] != "1" || parts[5] != "yes" ||
		!strings.HasPrefix(parts[3], filepath.Join(work, "c", "envs")) || parts[4] != parts[3]+"/bin:/usr/bin" {
		t.Errorf("activated environment %q", out.String())
	}
}

// TestUnpackDir covers -u: unpack there, reuse, refuse a foreign non-empty directory.
func TestUnpackDir(t *testing.T) {
	work := t.TempDir()
	tarball := fakeEnv(t, work)
	u := filepath.Join(work, "u")
	run := func(dir string) (string, error) {
		var out bytes.Buffer
		_, err := envrun.Run(context.Background(), envrun.Options{Env: tarball, UnpackDir: dir,
			CacheDir: filepath.Join(work, "c"), Shell: `echo "$VIRTUAL_ENV"`, Stdout: &out, Environ: []string{"PATH=/bin"}})
		return strings.TrimSpace(out.String()), err
	}
	for i := 0; i < 2; i++ {
		got, err := run(u)
		if err != nil || got != u {
			t.Fatalf("run %d: %q %v", i, got, err)
		}
	}
	foreign := filepath.Join(work, "foreign")
	os.MkdirAll(foreign, 0o755)
	os.WriteFile(filepath.Join(foreign, "precious"), []byte("x"), 0o644)
	_, err := run(foreign)
	var re *envrun.Error
	if !errors.As(err, &re) || re.Code != envrun.ExitExtract {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(foreign, "precious")); err != nil {
		t.Fatal("foreign file removed")
	}
}

type countHandler struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.n[r.Message]++
	h.mu.Unlock()
	return nil
}
func (h *countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countHandler) WithGroup(string) slog.Handler      { return h }

// TestConcurrentUnpackOnce runs many goroutines (each with its own flock) on one tarball
// and a cold cache: exactly one extraction happens.
func TestConcurrentUnpackOnce(t *testing.T) {
	work := t.TempDir()
	tarball := fakeEnv(t, work)
	h := &countHandler{n: map[string]int{}}
	log := slog.New(h)
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := envrun.Run(context.Background(), envrun.Options{Env: tarball, CacheDir: filepath.Join(work, "c"),
				Argv: []string{"hello"}, Environ: []string{"PATH=/bin"}, Log: log, Stdout: &bytes.Buffer{}})
			if err == nil && st != 0 {
				err = errors.New("non-zero status")
			}
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	if h.n["unpacking environment"] != 1 {
		t.Errorf("unpacked %d times: %v", h.n["unpacking environment"], h.n)
	}
	ents, _ := os.ReadDir(filepath.Join(work, "c", "envs"))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".unpack-") {
			t.Errorf("left over %s", e.Name())
		}
	}
}

// TestRunBundledPython packs a real bundled interpreter and runs it from the cache with a
// PATH that holds no Python.
func TestRunBundledPython(t *testing.T) {
	ctx := context.Background()
	in, err := interpreters.Query(ctx, "/usr/bin/python3.11")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	src := filepath.Join(work, "build", "env")
	b, err := interpreters.Bundle(ctx, in, src)
	if err != nil {
		t.Fatal(err)
	}
	envrun.WriteManifest(src, envrun.Manifest{Format: 1, Prefix: src, Python: "bin/" + filepath.Base(b.Python), Version: in.Version})
	tarball := packDir(t, src, filepath.Join(work, "py.tar.gz"))
	os.RemoveAll(filepath.Join(work, "build"))
	empty := filepath.Join(work, "emptybin")
	os.MkdirAll(empty, 0o755)
	var out, errb bytes.Buffer
	st, err := envrun.Run(ctx, envrun.Options{Env: tarball, CacheDir: filepath.Join(work, "c"), Stdout: &out, Stderr: &errb,
		Shell:   `python3 -c 'import sys, ssl, sqlite3, ctypes; print(sys.prefix); sys.exit(5)'`,
		Environ: []string{"PATH=" + empty, "HOME=" + work}})
	if err != nil || st != 5 {
		t.Fatalf("status %d err %v stderr %s", st, err, errb.String())
	}
	if !strings.HasPrefix(strings.TrimSpace(out.String()), filepath.Join(work, "c", "envs")) {
		t.Errorf("sys.prefix %q", out.String())
	}
}

// TestDigestRememberedAcrossLinks: a hard link and a symbolic link to the same tarball
// (as a Work Queue worker makes in each sandbox) reuse the remembered digest.
func TestDigestRememberedAcrossLinks(t *testing.T) {
	work := t.TempDir()
	tarball := fakeEnv(t, work)
	cache := filepath.Join(work, "c")
	hard := filepath.Join(work, "sandbox1", "env.tar.gz")
	soft := filepath.Join(work, "sandbox2", "env.tar.gz")
	os.MkdirAll(filepath.Dir(hard), 0o755)
	os.MkdirAll(filepath.Dir(soft), 0o755)
	if err := os.Link(tarball, hard); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(tarball, soft); err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, p := range []string{tarball, hard, soft} {
		pr, err := envrun.Prepare(context.Background(), envrun.Options{Env: p, CacheDir: cache})
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, pr.Dir)
	}
	keys, _ := os.ReadDir(filepath.Join(cache, "envs", "keys"))
	if len(keys) != 1 || dirs[0] != dirs[1] || dirs[1] != dirs[2] {
		t.Errorf("keys %d, dirs %v", len(keys), dirs)
	}
}

// TestSignalForwarded: SIGTERM sent to the running process reaches the command, whose
// status (143) is returned.
func TestSignalForwarded(t *testing.T) {
	work := t.TempDir()
	tarball := fakeEnv(t, work)
	done := make(chan struct{})
	var status int
	var err error
	go func() {
		defer close(done)
		status, err = envrun.Run(context.Background(), envrun.Options{Env: tarball, CacheDir: filepath.Join(work, "c"),
			Shell: "exec sleep 30", Environ: []string{"PATH=/usr/bin:/bin"}})
	}()
	time.Sleep(1500 * time.Millisecond)
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("command not stopped by the forwarded SIGTERM")
	}
	if err != nil || status != 143 {
		t.Fatalf("status %d err %v", status, err)
	}
}
