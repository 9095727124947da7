package envrun_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/envrun"
	"github.com/pydepot/pydepot/internal/testcache"
)

// TestMain lets the test binary act as a `pydepot run` process for the multi-process test.
func TestMain(m *testing.M) {
	if env := os.Getenv("ENVRUN_TEST_CHILD"); env != "" {
		status, err := envrun.Run(context.Background(), envrun.Options{
			Env: env, CacheDir: os.Getenv("ENVRUN_TEST_CACHE"), Argv: []string{"hello"},
			Environ: []string{"PATH=/bin"}, Stdout: os.Stdout, Stderr: os.Stderr,
			Log: newLineLogger(os.Stderr),
		})
		var re *envrun.Error
		if errors.As(err, &re) {
			fmt.Fprintln(os.Stderr, re)
			os.Exit(re.Code)
		}
		os.Exit(status)
	}
	os.Exit(testcache.Main(m)) // no default cache under the real ~/.cache
}

// TestConcurrentProcessesUnpackOnce starts several processes on one tarball with a cold
// cache: one extraction, every process succeeds.
func TestConcurrentProcessesUnpackOnce(t *testing.T) {
	work := t.TempDir()
	tarball := fakeEnv(t, work)
	cache := filepath.Join(work, "cache")
	const n = 6
	var wg sync.WaitGroup
	outs := make([]bytes.Buffer, n)
	errs := make([]bytes.Buffer, n)
	fails := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "ENVRUN_TEST_CHILD="+tarball, "ENVRUN_TEST_CACHE="+cache)
			cmd.Stdout, cmd.Stderr = &outs[i], &errs[i]
			fails[i] = cmd.Run()
		}()
	}
	wg.Wait()
	unpacks := 0
	for i := 0; i < n; i++ {
		if fails[i] != nil || strings.TrimSpace(outs[i].String()) != "hello" {
			t.Errorf("process %d: %v %q %s", i, fails[i], outs[i].String(), errs[i].String())
		}
		unpacks += strings.Count(errs[i].String(), "unpacking environment")
	}
	if unpacks != 1 {
		t.Errorf("%d extractions, want 1", unpacks)
	}
}

// TestLockTimeout: a held lock makes a run give up after -w with exit 3.
func TestLockTimeout(t *testing.T) {
	work := t.TempDir()
	tarball := fakeEnv(t, work)
	cache := filepath.Join(work, "cache")
	// find the target name by a first run into another cache, then hold its lock
	p, err := envrun.Prepare(context.Background(), envrun.Options{Env: tarball, CacheDir: filepath.Join(work, "other")})
	if err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(cache, "envs", filepath.Base(p.Dir)+".lock")
	os.MkdirAll(filepath.Dir(lock), 0o755)
	holder := exec.Command("flock", lock, "sleep", "5")
	if err := holder.Start(); err != nil {
		t.Fatalf("flock(1) from util-linux is needed: %v", err)
	}
	defer holder.Process.Kill()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	_, err = envrun.Run(context.Background(), envrun.Options{Env: tarball, CacheDir: cache, Wait: 300 * time.Millisecond,
		Argv: []string{"hello"}, Environ: []string{"PATH=/bin"}})
	var re *envrun.Error
	if !errors.As(err, &re) || re.Code != envrun.ExitExtract || !strings.Contains(re.Error(), "could not lock") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("waited %s", d)
	}
}
