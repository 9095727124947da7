// Command sandboxbench measures what the checks' sandbox and tracing add to installing a
// wheel: pip installs the same wheel RUNS times plainly and RUNS times inside
// internal/sandbox under `strace -f --seccomp-bpf` (internal/strace.Command, the checks' command line),
// interleaved, and the medians are compared. Used by bench/bench-sandbox.sh.
//
// Environment: PYTHON (a version, default 3.11: a pyenv interpreter of it is preferred),
// WHEEL (default Debian's setuptools wheel in /usr/share/python-wheels), RUNS (default 7).
package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/pydepot/pydepot/internal/interpreters"
	"github.com/pydepot/pydepot/internal/sandbox"
	"github.com/pydepot/pydepot/internal/strace"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "sandboxbench:", err)
		os.Exit(1)
	}
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context) error {
	if err := sandbox.Available(ctx); err != nil {
		return err
	}
	runs, err := strconv.Atoi(env("RUNS", "7"))
	if err != nil || runs < 1 {
		return fmt.Errorf("RUNS=%q", os.Getenv("RUNS"))
	}
	py, err := python(ctx, env("PYTHON", "3.11"))
	if err != nil {
		return err
	}
	wheel := os.Getenv("WHEEL")
	if wheel == "" {
		m, _ := filepath.Glob("/usr/share/python-wheels/setuptools-*.whl")
		if len(m) == 0 {
			return fmt.Errorf("no WHEEL given and no setuptools wheel in /usr/share/python-wheels")
		}
		wheel = m[len(m)-1]
	}
	work, err := os.MkdirTemp("", "pydepot-bench-sandbox.")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	pip := []string{py.Path, "-m", "pip", "install", "-q", "--no-index", "--no-deps",
		"--disable-pip-version-check", "--no-cache-dir", "--target"}
	// Each run gives its wall time (and, plainly, its CPU time: bwrap's rusage does not
	// hold its descendants', so there is none for the sandboxed runs).
	type times struct{ wall, cpu time.Duration }
	plain := func(i int) (times, error) {
		dir := filepath.Join(work, fmt.Sprintf("plain-%d", i))
		cmd := exec.CommandContext(ctx, pip[0], append(pip[1:], dir, wheel)...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + work}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		t0 := time.Now()
		err := cmd.Run()
		if err != nil {
			return times{}, fmt.Errorf("plain pip: %v\n%s", err, out.String())
		}
		return times{time.Since(t0), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}, nil
	}
	boxed := func(i int, trace bool) (times, error) {
		out := filepath.Join(work, fmt.Sprintf("boxed-%d-%v", i, trace))
		if err := os.MkdirAll(out, 0o755); err != nil {
			return times{}, err
		}
		args := append(append([]string(nil), pip...), "/out/site", "/wheels/"+filepath.Base(wheel))
		if trace {
			args = append(strace.Command("/out/trace"), args...)
		}
		var log bytes.Buffer
		t0 := time.Now()
		res, err := sandbox.Run(ctx, sandbox.Spec{
			Args:     args,
			Env:      []string{"PATH=/usr/bin:/bin"},
			ReadOnly: []sandbox.Mount{{Host: py.Prefix, Path: py.Prefix}, {Host: filepath.Dir(wheel), Path: "/wheels"}},
			Writable: []sandbox.Mount{{Host: out, Path: "/out"}},
			Stdout:   &log, Stderr: &log,
		})
		d := time.Since(t0)
		if err != nil {
			return times{}, err
		}
		if res.ExitCode != 0 {
			return times{}, fmt.Errorf("sandboxed pip: %+v\n%s", res, log.String())
		}
		return times{wall: d}, nil
	}
	// One of each first, to warm the page cache, then interleaved rounds.
	if _, err := plain(-1); err != nil {
		return err
	}
	if _, err := boxed(-1, true); err != nil {
		return err
	}
	var tp, tb, tt []times
	for i := 0; i < runs; i++ {
		d, err := plain(i)
		if err != nil {
			return err
		}
		tp = append(tp, d)
		if d, err = boxed(i, false); err != nil {
			return err
		}
		tb = append(tb, d)
		if d, err = boxed(i, true); err != nil {
			return err
		}
		tt = append(tt, d)
	}
	if a, b := files(filepath.Join(work, "plain-0")), files(filepath.Join(work, "boxed-0-true", "site")); a != b || a == 0 {
		return fmt.Errorf("the installs differ: %d files plainly, %d in the sandbox", a, b)
	}
	lines, _ := os.ReadFile(filepath.Join(work, "boxed-0-true", "trace"))
	wall := func(t times) time.Duration { return t.wall }
	cpu := func(t times) time.Duration { return t.cpu }
	mp, mb, mt := median(tp, wall), median(tb, wall), median(tt, wall)
	cp := median(tp, cpu)
	fmt.Printf("pip install --target of %s with %s %s, median of %d interleaved runs\n", filepath.Base(wheel), py.Path, py.Version, runs)
	fmt.Printf("plain          %6.3f s wall (cpu %6.3f s)\n", mp.Seconds(), cp.Seconds())
	fmt.Printf("sandbox        %6.3f s wall (%.2f×)\n", mb.Seconds(), mb.Seconds()/mp.Seconds())
	fmt.Printf("sandbox+trace  %6.3f s wall (%.2f×), trace of %d lines\n", mt.Seconds(), mt.Seconds()/mp.Seconds(), bytes.Count(lines, []byte("\n")))
	r := mt.Seconds() / mp.Seconds()
	fmt.Printf("sandbox+trace / plain = %.2f×\n", r)
	verdict := "ok"
	if r > 2 {
		verdict = "MISSED"
	}
	fmt.Printf("RESULT sandbox_trace_vs_plain_ratio=%.2f goal<=2 %s\n", r, verdict)

	return nil
}

// python finds an interpreter of version want, pyenv's first (Debian's lacks pip).
func python(ctx context.Context, want string) (*interpreters.Interpreter, error) {
	pyenvOnly := interpreters.Options{PATH: "/nonexistent", ExtraDirs: []string{"/nonexistent"}}
	if in, err := interpreters.Find(ctx, want, pyenvOnly); err == nil {
		return in, nil
	}
	return interpreters.Find(ctx, want, interpreters.Options{})
}

func files(dir string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

func median[T any](xs []T, key func(T) time.Duration) time.Duration {
	s := make([]time.Duration, len(xs))
	for i, x := range xs {
		s[i] = key(x)
	}
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
