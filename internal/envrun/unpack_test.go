package envrun_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/pydepot/pydepot/internal/envrun"
)

// tarMember is one file of a handmade tarball.
type tarMember struct {
	name string
	body io.Reader
	size int64
	mode int64
}

// writeTar writes members as a tar stream into w, compressed by wrap.
func writeTar(t *testing.T, path string, wrap func(io.Writer) io.WriteCloser, members ...tarMember) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := wrap(f)
	tw := tar.NewWriter(zw)
	for _, m := range members {
		mode := m.mode
		if mode == 0 {
			mode = 0o644
		}
		if err := tw.WriteHeader(&tar.Header{Name: m.name, Mode: mode, Size: m.size, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.CopyN(tw, m.body, m.size); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	return st.Size()
}

func zstdW(t *testing.T) func(io.Writer) io.WriteCloser {
	return func(w io.Writer) io.WriteCloser {
		zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest))
		if err != nil {
			t.Fatal(err)
		}
		return zw
	}
}

func gzipW(level int) func(io.Writer) io.WriteCloser {
	return func(w io.Writer) io.WriteCloser {
		zw, _ := gzip.NewWriterLevel(w, level)
		return zw
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func hello() tarMember {
	s := "#!/bin/sh\necho hello \"$@\"\n"
	return tarMember{name: "bin/hello", body: strings.NewReader(s), size: int64(len(s)), mode: 0o755}
}

// diskUse sums the sizes of the files under dir.
func diskUse(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// TestUnpackCaps: a 1 GiB zstd bomb (a few KB), a gzip bomb, a tarball over --max-size
// and one over --max-files are each refused while streaming, in bounded time and disk,
// with exit 3 naming the limit, and leave nothing behind.
func TestUnpackCaps(t *testing.T) {
	work := t.TempDir()
	zbomb := filepath.Join(work, "bomb.tar.zst")
	zsize := writeTar(t, zbomb, zstdW(t), hello(), tarMember{name: "lib/zeros", body: zeros{}, size: 1 << 30})
	gbomb := filepath.Join(work, "bomb.tar.gz")
	writeTar(t, gbomb, gzipW(gzip.DefaultCompression), hello(), tarMember{name: "lib/zeros", body: zeros{}, size: 64 << 20})
	big := filepath.Join(work, "big.tar.zst")
	writeTar(t, big, zstdW(t), hello(), tarMember{name: "lib/random", body: rand.Reader, size: 4 << 20})
	var many []tarMember
	for i := 0; i < 50; i++ {
		many = append(many, tarMember{name: fmt.Sprintf("lib/f%d.py", i), body: strings.NewReader(""), size: 0})
	}
	manyTar := filepath.Join(work, "many.tar.gz")
	writeTar(t, manyTar, gzipW(gzip.DefaultCompression), append([]tarMember{hello()}, many...)...)
	t.Logf("zstd bomb: %d bytes for 1 GiB", zsize)

	for _, tc := range []struct {
		name, tarball string
		limits        envrun.Limits
		want          string
	}{
		{"zstd bomb, default caps", zbomb, envrun.Limits{}, "compression ratio"},
		{"zstd bomb under a size cap", zbomb, envrun.Limits{MaxSize: 100 << 20}, "over the limit of 104857600"},
		{"gzip bomb, default caps", gbomb, envrun.Limits{}, "compression ratio"},
		{"over --max-size", big, envrun.Limits{MaxSize: 1 << 20}, "over the limit of 1048576"},
		{"over --max-files", manyTar, envrun.Limits{MaxFiles: 20}, "more than 20 members"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache := filepath.Join(t.TempDir(), "c")
			start := time.Now()
			_, err := envrun.Run(context.Background(), envrun.Options{Env: tc.tarball, CacheDir: cache, Limits: tc.limits,
				Argv: []string{"hello"}, Environ: []string{"PATH=/bin"}})
			var re *envrun.Error
			if !errors.As(err, &re) || re.Code != envrun.ExitExtract || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want exit 3 with %q", err, tc.want)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %s", d)
			}
			if n := diskUse(cache); n > 200<<20 {
				t.Errorf("%d bytes left in the cache", n)
			}
			ents, _ := os.ReadDir(filepath.Join(cache, "envs"))
			for _, e := range ents {
				if e.Name() != "keys" {
					t.Errorf("left behind: %s", e.Name())
				}
			}
		})
	}
	// Under the caps, a tarball of the same shape unpacks.
	cache := filepath.Join(work, "ok")
	if _, err := envrun.Run(context.Background(), envrun.Options{Env: big, CacheDir: cache, Argv: []string{"hello"},
		Environ: []string{"PATH=/bin"}, Stdout: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
}

// TestStaleUnpackRemoved: the temporary folder of a killed unpack is removed by the next
// run; one whose lock is held by a live unpack is left alone.
func TestStaleUnpackRemoved(t *testing.T) {
	work := t.TempDir()
	tarball := fakeEnv(t, work)
	p, err := envrun.Prepare(context.Background(), envrun.Options{Env: tarball, CacheDir: filepath.Join(work, "probe")})
	if err != nil {
		t.Fatal(err)
	}
	digest := filepath.Base(p.Dir)
	cache := filepath.Join(work, "c")
	envsDir := filepath.Join(cache, "envs")
	os.MkdirAll(envsDir, 0o700)
	os.Chmod(cache, 0o700)
	// Left by a run killed while unpacking this tarball, and by one killed on another.
	stale := filepath.Join(envsDir, ".unpack-"+digest+"-123456")
	staleOther := filepath.Join(envsDir, ".unpack-"+strings.Repeat("a", 64)+"-42")
	live := filepath.Join(envsDir, ".unpack-"+strings.Repeat("b", 64)+"-7")
	for _, d := range []string{stale, staleOther, live} {
		os.MkdirAll(filepath.Join(d, "lib"), 0o700)
		os.WriteFile(filepath.Join(d, "lib", "half"), []byte("partial"), 0o600)
	}
	holder := exec.Command("flock", filepath.Join(envsDir, strings.Repeat("b", 64)+".lock"), "sleep", "10")
	if err := holder.Start(); err != nil {
		t.Fatalf("flock(1) from util-linux is needed: %v", err)
	}
	defer holder.Process.Kill()
	time.Sleep(200 * time.Millisecond)
	if _, err := envrun.Prepare(context.Background(), envrun.Options{Env: tarball, CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{stale, staleOther} {
		if _, err := os.Lstat(d); err == nil {
			t.Errorf("%s left in place", filepath.Base(d))
		}
	}
	if _, err := os.Lstat(filepath.Join(live, "lib", "half")); err != nil {
		t.Errorf("a live unpack's folder was removed: %v", err)
	}
}

// TestReplacedTarballSameSizeAndMtime: a tarball rewritten in place with other bytes of
// the same size, its mtime set back, is not taken for the old one.
func TestReplacedTarballSameSizeAndMtime(t *testing.T) {
	work := t.TempDir()
	script := func(word string) tarMember {
		s := "#!/bin/sh\necho " + word + "\n"
		return tarMember{name: "bin/hello", body: strings.NewReader(s), size: int64(len(s)), mode: 0o755}
	}
	tarball := filepath.Join(work, "env.tar.gz")
	second := filepath.Join(work, "second.tar.gz")
	// Stored, not compressed: the two tarballs have the same size. The script that
	// differs sits between 200 KiB of the same bytes on either side, so the first and
	// last 64 KiB differ only by the gzip trailer's checksum.
	filler := make([]byte, 200<<10)
	rand.Read(filler)
	pad := func(name string) tarMember {
		return tarMember{name: name, body: bytes.NewReader(filler), size: int64(len(filler))}
	}
	na := writeTar(t, tarball, gzipW(gzip.NoCompression), pad("lib/a"), script("first"), pad("lib/z"))
	nb := writeTar(t, second, gzipW(gzip.NoCompression), pad("lib/a"), script("other"), pad("lib/z"))
	if na != nb {
		t.Fatalf("sizes %d and %d differ", na, nb)
	}
	cache := filepath.Join(work, "c")
	run := func() string {
		var out bytes.Buffer
		if _, err := envrun.Run(context.Background(), envrun.Options{Env: tarball, CacheDir: cache, Argv: []string{"hello"},
			Environ: []string{"PATH=/bin"}, Stdout: &out}); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out.String())
	}
	if got := run(); got != "first" {
		t.Fatalf("first run: %q", got)
	}
	st, _ := os.Stat(tarball)
	data, _ := os.ReadFile(second)
	f, err := os.OpenFile(tarball, os.O_WRONLY, 0) // same inode
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt(data, 0)
	f.Close()
	os.Chtimes(tarball, st.ModTime(), st.ModTime())
	if st2, _ := os.Stat(tarball); st2.Size() != st.Size() || !st2.ModTime().Equal(st.ModTime()) || !os.SameFile(st, st2) {
		t.Fatal("the test did not keep size, mtime and inode")
	}
	if got := run(); got != "other" {
		t.Errorf("after the replacement: %q, want the new tarball's", got)
	}
}

// TestNoLockFileLeft: neither a failed nor a successful unpack leaves its lock file.
func TestNoLockFileLeft(t *testing.T) {
	work := t.TempDir()
	tarball := fakeEnv(t, work)
	broken := filepath.Join(work, "broken.tar.gz")
	writeTar(t, broken, gzipW(gzip.DefaultCompression), tarMember{name: "../evil", body: strings.NewReader("x"), size: 1})
	cache := filepath.Join(work, "c")
	for _, env := range []string{broken, tarball} {
		envrun.Run(context.Background(), envrun.Options{Env: env, CacheDir: cache, Argv: []string{"hello"},
			Environ: []string{"PATH=/bin"}, Stdout: &bytes.Buffer{}})
		locks, _ := filepath.Glob(filepath.Join(cache, "envs", "*.lock"))
		if len(locks) != 0 {
			t.Errorf("after %s: lock files left: %v", filepath.Base(env), locks)
		}
	}
}

// TestKilledUnpackCleanedUp kills (SIGKILL) a process in the middle of an unpack, then
// runs again: the half-made folder it left is gone and the environment is whole.
func TestKilledUnpackCleanedUp(t *testing.T) {
	work := t.TempDir()
	members := []tarMember{hello()}
	for i := 0; i < 2000; i++ {
		members = append(members, tarMember{name: fmt.Sprintf("lib/m%04d.py", i), body: rand.Reader, size: 1 << 10})
	}
	tarball := filepath.Join(work, "slow.tar.gz")
	writeTar(t, tarball, gzipW(gzip.BestSpeed), members...)
	cache := filepath.Join(work, "cache")
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "ENVRUN_TEST_CHILD="+tarball, "ENVRUN_TEST_CACHE="+cache)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	envsDir := filepath.Join(cache, "envs")
	var partial string
	for deadline := time.Now().Add(20 * time.Second); partial == "" && time.Now().Before(deadline); {
		m, _ := filepath.Glob(filepath.Join(envsDir, ".unpack-*", "lib", "m*.py"))
		if len(m) > 0 {
			partial = filepath.Dir(filepath.Dir(m[0]))
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	child.Process.Kill()
	child.Wait()
	if partial == "" {
		t.Skip("the unpack finished before it could be killed")
	}
	if _, err := os.Lstat(partial); err != nil {
		t.Skip("the unpack finished before it was killed")
	}
	var out bytes.Buffer
	if _, err := envrun.Run(context.Background(), envrun.Options{Env: tarball, CacheDir: cache, Argv: []string{"hello"},
		Environ: []string{"PATH=/bin"}, Stdout: &out}); err != nil || strings.TrimSpace(out.String()) != "hello" {
		t.Fatalf("run after the kill: %v %q", err, out.String())
	}
	if _, err := os.Lstat(partial); err == nil {
		t.Errorf("%s is still there", filepath.Base(partial))
	}
	left, _ := filepath.Glob(filepath.Join(envsDir, ".unpack-*"))
	if len(left) != 0 {
		t.Errorf("left over: %v", left)
	}
}
