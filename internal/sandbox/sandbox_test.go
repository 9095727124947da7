package sandbox_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/sandbox"
	"github.com/pydepot/pydepot/internal/testdist"
)

// need skips the test when the machine cannot make a sandbox.
func need(t *testing.T) {
	t.Helper()
	if err := sandbox.Available(context.Background()); err != nil {
		t.Skipf("no sandbox here: %v", err)
	}
}

// sh runs a shell script in a sandbox and returns the result and the output.
func sh(t *testing.T, s sandbox.Spec, script string) (*sandbox.Result, string) {
	t.Helper()
	var out bytes.Buffer
	s.Args = []string{"sh", "-c", script}
	if s.Env == nil {
		s.Env = []string{"PATH=/usr/bin:/bin"}
	}
	s.Stdout, s.Stderr = &out, &out
	res, err := sandbox.Run(context.Background(), s)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res, out.String()
}

// leftovers lists the host processes whose command line holds marker.
func leftovers(t *testing.T, marker string) []string {
	t.Helper()
	ents, _ := os.ReadDir("/proc")
	var found []string
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		cmd := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cmd, marker) && !strings.Contains(cmd, "sh -c") {
			found = append(found, e.Name()+": "+cmd)
		}
	}
	return found
}

func TestNoNetwork(t *testing.T) {
	need(t)
	ln := testdist.Listen(t)
	port := ln.Port
	// bash's /dev/tcp makes a plain connect(2); 192.0.2.1 (TEST-NET-1) is a non-loopback
	// address the host would route.
	script := fmt.Sprintf(`for a in 127.0.0.1 192.0.2.1; do
		if timeout 5 bash -c "exec 3<>/dev/tcp/$a/%d" 2>/dev/null; then echo "connected $a"; else echo "refused $a"; fi
	done`, port)
	res, out := sh(t, sandbox.Spec{}, script)
	if res.ExitCode != 0 || strings.Contains(out, "connected") || strings.Count(out, "refused") != 2 {
		t.Fatalf("a connection left the sandbox (status %d):\n%s", res.ExitCode, out)
	}
	if ln.Accepted() != 0 {
		t.Fatal("the host's listener accepted a connection from the sandbox")
	}
	// The same script with the network shared reaches the listener: the test can tell.
	_, out = sh(t, sandbox.Spec{Network: true}, script)
	if !strings.Contains(out, "connected 127.0.0.1") || ln.Accepted() != 1 {
		t.Fatalf("with Network the host listener was not reached (or not once):\n%s", out)
	}
}

func TestReadOnlySystemAndWritableOnly(t *testing.T) {
	need(t)
	host := t.TempDir()
	ro := filepath.Join(host, "ro")
	rw := filepath.Join(host, "rw")
	os.MkdirAll(ro, 0o755)
	os.MkdirAll(rw, 0o755)
	os.WriteFile(filepath.Join(ro, "f"), []byte("ro\n"), 0o644)
	os.WriteFile(filepath.Join(host, "outside"), []byte("outside\n"), 0o644)
	script := `
	for p in /usr/pydepot-x /etc/pydepot-x /pydepot-x /ro/x /ro/f /home/pydepot-x; do
		if (echo x > "$p") 2>/dev/null; then echo "WROTE $p"; fi
	done
	cat /etc/shadow 2>/dev/null | grep -q . && echo "READ shadow"
	ls /etc/ssl/private 2>/dev/null | grep -q . && echo "LISTED ssl/private"
	test -e /root && echo "SEE /root"
	test -e ` + host + `/outside && echo "SEE host temp"
	cat /ro/f
	echo ok > /rw/new && echo "wrote rw"
	echo tmp > /tmp/t && echo "wrote tmp"
	echo home > "$HOME/h" && echo "wrote home"
	id -u
	`
	res, out := sh(t, sandbox.Spec{
		ReadOnly: []sandbox.Mount{{Host: ro, Path: "/ro"}},
		Writable: []sandbox.Mount{{Host: rw, Path: "/rw"}},
	}, script)
	for _, bad := range []string{"WROTE", "READ shadow", "LISTED", "SEE"} {
		if strings.Contains(out, bad) {
			t.Errorf("%s:\n%s", bad, out)
		}
	}
	for _, want := range []string{"ro\n", "wrote rw", "wrote tmp", "wrote home", "65534\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q (status %d):\n%s", want, res.ExitCode, out)
		}
	}
	if b, err := os.ReadFile(filepath.Join(rw, "new")); err != nil || string(b) != "ok\n" {
		t.Errorf("the writable folder did not get the file: %q %v", b, err)
	}
	ents, _ := os.ReadDir(ro)
	if len(ents) != 1 {
		t.Errorf("the read-only folder changed: %v", ents)
	}
	if _, err := os.Stat("/tmp/t"); err == nil {
		if b, _ := os.ReadFile("/tmp/t"); string(b) == "tmp\n" {
			t.Error("the sandbox's /tmp is the host's")
		}
	}
}

func TestEnvironmentUIDAndSession(t *testing.T) {
	need(t)
	t.Setenv("PYDEPOT_SANDBOX_LEAK", "host-secret")
	res, out := sh(t, sandbox.Spec{Env: []string{"PATH=/usr/bin:/bin", "GIVEN=1"}, UID: 1000, GID: 1000, Dir: "/work"},
		`env; id -u; id -g; pwd; read -r _ _ _ _ pgrp sid _ < /proc/$$/stat; echo "self $$ pgrp $pgrp sid $sid"`)
	if res.ExitCode != 0 {
		t.Fatalf("status %d:\n%s", res.ExitCode, out)
	}
	if strings.Contains(out, "host-secret") || !strings.Contains(out, "GIVEN=1") || !strings.Contains(out, "HOME=/home/sandbox") {
		t.Errorf("the environment is not exactly the Spec's:\n%s", out)
	}
	if !strings.Contains(out, "1000\n1000\n/work\n") {
		t.Errorf("uid, gid or working folder:\n%s", out)
	}
	var self, pgrp, sid int
	line := out[strings.Index(out, "self "):]
	// bwrap --new-session: the sandbox's init (pid 1 of its namespace) leads a session and
	// process group of its own that the command is in.
	if _, err := fmt.Sscanf(line, "self %d pgrp %d sid %d", &self, &pgrp, &sid); err != nil || pgrp != 1 || sid != 1 {
		t.Errorf("not its own session and process group: %q (%v)", line, err)
	}
}

func TestTimeLimitLeavesNothing(t *testing.T) {
	need(t)
	start := time.Now()
	res, out := sh(t, sandbox.Spec{Limits: sandbox.Limits{Time: time.Second}}, "sleep 987651 & sleep 987652")
	if res.Limit != sandbox.LimitTime || res.Signal != "SIGKILL" {
		t.Fatalf("want the time limit, got %+v:\n%s", res, out)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	if left := leftovers(t, "98765"); len(left) > 0 {
		t.Fatalf("still running after Run: %v", left)
	}
}

func TestBackgroundProcessDoesNotSurvive(t *testing.T) {
	need(t)
	start := time.Now()
	res, _ := sh(t, sandbox.Spec{}, "sleep 987653 & echo started")
	if res.ExitCode != 0 || res.Limit != "" {
		t.Fatalf("%+v", res)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run waited %v for the background process", d)
	}
	if left := leftovers(t, "987653"); len(left) > 0 {
		t.Fatalf("still running after Run: %v", left)
	}
}

func TestForkBombStopped(t *testing.T) {
	need(t)
	start := time.Now()
	res, out := sh(t, sandbox.Spec{Limits: sandbox.Limits{Processes: 64, Time: 30 * time.Second}},
		`bash -c 'while :; do sleep 987654 & done' 2>/dev/null`) // bash retries a refused fork without end
	// As root a pids cgroup refuses the fork and the refusal ends the sandbox; otherwise
	// RLIMIT_NPROC refuses it and the namespace watch ends the sandbox at the limit.
	if res.Limit != sandbox.LimitProcesses || res.Duration > 15*time.Second {
		t.Fatalf("not stopped by the process limit: %+v\n%.2000s", res, out)
	}
	t.Logf("stopped by %s after %v", res.Limit, time.Since(start))
	if left := leftovers(t, "987654"); len(left) > 0 {
		t.Fatalf("%d processes still running after Run", len(left))
	}
}

func TestOutputCapped(t *testing.T) {
	need(t)
	var stdout, stderr bytes.Buffer
	res, err := sandbox.Run(context.Background(), sandbox.Spec{
		Args:   []string{"sh", "-c", "head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2"},
		Env:    []string{"PATH=/usr/bin:/bin"},
		Limits: sandbox.Limits{OutputBytes: 1000},
		Stdout: &stdout, Stderr: &stderr,
	})
	if err != nil {
		t.Fatal(err)
	}
	if stdout.Len()+stderr.Len() != 1000 || res.OutputDropped != 600000-1000 || res.Limit != sandbox.LimitOutput || res.ExitCode != 0 {
		t.Fatalf("kept %d+%d, %+v", stdout.Len(), stderr.Len(), res)
	}
}

func TestFileSizeLimit(t *testing.T) {
	need(t)
	out := t.TempDir()
	res, log := sh(t, sandbox.Spec{Limits: sandbox.Limits{FileBytes: 1 << 20}, Writable: []sandbox.Mount{{Host: out, Path: "/out"}}},
		"head -c 3000000 /dev/zero > /out/big")
	if res.Limit != sandbox.LimitFileSize || res.Signal != "SIGXFSZ" {
		t.Fatalf("%+v\n%s", res, log)
	}
	if st, err := os.Stat(filepath.Join(out, "big")); err != nil || st.Size() > 1<<20 {
		t.Fatalf("file: %v %v", st, err)
	}
}

func TestMemoryLimit(t *testing.T) {
	need(t)
	// The shell holds the whole command substitution in memory: 400 MB against 64 MiB.
	res, out := sh(t, sandbox.Spec{Limits: sandbox.Limits{MemoryBytes: 64 << 20}},
		`x=$(head -c 400000000 /dev/zero | tr '\0' a); echo "held ${#x}"`)
	if res.ExitCode == 0 || strings.Contains(out, "held 400000000") {
		t.Fatalf("the memory limit did not stop it: %+v\n%.500s", res, out)
	}
	if _, err := os.Stat("/sys/fs/cgroup/memory/cgroup.procs"); err == nil && os.Geteuid() == 0 && res.Limit != sandbox.LimitMemory {
		t.Errorf("as root with a v1 memory cgroup the limit is reported: %+v", res)
	}
}

func TestStraceWorksInside(t *testing.T) {
	need(t)
	if _, err := os.Stat("/usr/bin/strace"); err != nil {
		t.Skip("no strace")
	}
	out := t.TempDir()
	var log bytes.Buffer
	res, err := sandbox.Run(context.Background(), sandbox.Spec{
		Args:     []string{"strace", "-f", "--seccomp-bpf", "-o", "/out/t", "sh", "-c", "true; ls / >/dev/null"},
		Env:      []string{"PATH=/usr/bin:/bin"},
		Writable: []sandbox.Mount{{Host: out, Path: "/out"}},
		Stdout:   &log, Stderr: &log,
	})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v\n%s", res, err, log.String())
	}
	b, _ := os.ReadFile(filepath.Join(out, "t"))
	if !bytes.Contains(b, []byte(`execve("/usr/bin/ls"`)) && !bytes.Contains(b, []byte(`execve("/bin/ls"`)) {
		t.Fatalf("the trace lacks the child's execve:\n%.3000s", b)
	}
}

func TestCouldNotStart(t *testing.T) {
	need(t)
	for name, s := range map[string]sandbox.Spec{
		"no command":       {},
		"missing source":   {Args: []string{"true"}, ReadOnly: []sandbox.Mount{{Host: "/nonexistent/pydepot", Path: "/x"}}},
		"relative path":    {Args: []string{"true"}, Writable: []sandbox.Mount{{Host: t.TempDir(), Path: "x"}}},
		"over the system":  {Args: []string{"true"}, Writable: []sandbox.Mount{{Host: t.TempDir(), Path: "/usr/lib"}}},
		"bad environment":  {Args: []string{"true"}, Env: []string{"NOEQUALS"}},
		"relative workdir": {Args: []string{"true"}, Dir: "work"},
	} {
		if res, err := sandbox.Run(context.Background(), s); err == nil {
			t.Errorf("%s: no error, %+v", name, res)
		}
	}
	// A command that does not exist is the command's failure, not the sandbox's.
	res, err := sandbox.Run(context.Background(), sandbox.Spec{Args: []string{"no-such-command-pydepot"}, Env: []string{"PATH=/usr/bin"}})
	if err != nil || res.ExitCode == 0 {
		t.Errorf("missing command: %+v %v", res, err)
	}
}

// TestCgroupsRemoved: a run removes the cgroups it made. The check is of the sandbox
// cgroups that appear during the run: ones there before belong to another process (a
// test run killed before its cleanup, as an interrupted CI check left one).
func TestCgroupsRemoved(t *testing.T) {
	need(t)
	sandboxCgroups := func() map[string]bool {
		out := map[string]bool{}
		for _, pattern := range []string{"/sys/fs/cgroup/pids/pydepot-sandbox-*", "/sys/fs/cgroup/memory/*/*/pydepot-sandbox-*", "/sys/fs/cgroup/memory/pydepot-sandbox-*"} {
			m, _ := filepath.Glob(pattern)
			for _, p := range m {
				out[p] = true
			}
		}
		return out
	}
	before := sandboxCgroups()
	sh(t, sandbox.Spec{}, "true")
	for p := range sandboxCgroups() {
		if !before[p] {
			t.Errorf("left behind: %s", p)
		}
	}
}

func TestCancelKills(t *testing.T) {
	need(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	res, err := sandbox.Run(ctx, sandbox.Spec{Args: []string{"sh", "-c", "sleep 987655 & sleep 987656"}, Env: []string{"PATH=/usr/bin:/bin"}})
	if err != nil || res.Signal != "SIGKILL" || res.Limit != "" || time.Since(start) > 5*time.Second {
		t.Fatalf("%+v %v after %v", res, err, time.Since(start))
	}
	if left := leftovers(t, "98765"); len(left) > 0 {
		t.Fatalf("still running after Run: %v", left)
	}
}

// TestNestedMounts: a writable folder inside the private /tmp and a host folder as HOME
// (how the pipeline plants decoys) both work, and writes land only there.
func TestNestedMounts(t *testing.T) {
	need(t)
	out, home := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(home, "decoy"), []byte("fake\n"), 0o644)
	res, log := sh(t, sandbox.Spec{
		Env:      []string{"PATH=/usr/bin:/bin", "HOME=/home/u"},
		Writable: []sandbox.Mount{{Host: out, Path: "/tmp/out"}, {Host: home, Path: "/home/u"}},
	}, `cat "$HOME/decoy" && echo a > /tmp/out/a && echo b > "$HOME/b" && echo c > /tmp/c && pwd`)
	if res.ExitCode != 0 || !strings.Contains(log, "fake\n/home/u") {
		t.Fatalf("%+v\n%s", res, log)
	}
	for _, p := range []string{filepath.Join(out, "a"), filepath.Join(home, "b")} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "c")); err == nil {
		t.Error("/tmp/c went to the writable folder")
	}
}

// TestNoSetIDLeftInOutput: a set-user-ID file made in the writable folder (it belongs to
// the uid running pydepot on the host, root here) has the bit cleared once Run returns.
func TestNoSetIDLeftInOutput(t *testing.T) {
	need(t)
	out := t.TempDir()
	res, log := sh(t, sandbox.Spec{Writable: []sandbox.Mount{{Host: out, Path: "/out"}}},
		`cp /bin/true /out/x && chmod 4755 /out/x && mkdir /out/d && chmod 2755 /out/d && stat -c %a /out/x`)
	if res.ExitCode != 0 || !strings.Contains(log, "4755") {
		t.Fatalf("could not make the file: %+v %s", res, log)
	}
	for _, p := range []string{"x", "d"} {
		st, err := os.Stat(filepath.Join(out, p))
		if err != nil || st.Mode()&(os.ModeSetuid|os.ModeSetgid) != 0 {
			t.Errorf("%s: %v %v", p, st.Mode(), err)
		}
	}
}

// TestSystemMountsSkipped: a read-only mount of a system folder at its own path (the
// Debian interpreter's prefix, /usr) is already there and accepted; a writable one, or
// one from elsewhere, is refused.
func TestSystemMountsSkipped(t *testing.T) {
	need(t)
	res, out := sh(t, sandbox.Spec{ReadOnly: []sandbox.Mount{{Host: "/usr", Path: "/usr"}, {Host: "/usr/lib", Path: "/usr/lib"}}}, "ls /usr/bin/sh")
	if res.ExitCode != 0 {
		t.Fatalf("%+v %s", res, out)
	}
	for _, s := range []sandbox.Spec{
		{Args: []string{"true"}, Writable: []sandbox.Mount{{Host: "/usr", Path: "/usr"}}},
		{Args: []string{"true"}, ReadOnly: []sandbox.Mount{{Host: t.TempDir(), Path: "/usr"}}},
	} {
		if _, err := sandbox.Run(context.Background(), s); err == nil {
			t.Errorf("accepted %+v", s)
		}
	}
}

// TestOneWriterForBoth: a caller giving one writer for stdout and stderr (a step's log)
// gets one pipe, as with os/exec: the lines keep their order and the writer is written
// by one goroutine only (go test -race).
func TestOneWriterForBoth(t *testing.T) {
	need(t)
	res, out := sh(t, sandbox.Spec{}, `i=0; while [ $i -lt 300 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done`)
	var want strings.Builder
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&want, "out %d\nerr %d\n", i, i)
	}
	if res.ExitCode != 0 || out != want.String() {
		t.Fatalf("%+v: the lines are not in order:\n%.400s", res, out)
	}
}

// TestHomeUnderTmp: a HOME and a working folder inside the private /tmp exist.
func TestHomeUnderTmp(t *testing.T) {
	need(t)
	res, out := sh(t, sandbox.Spec{Env: []string{"PATH=/usr/bin:/bin", "HOME=/tmp/home"}, Dir: "/tmp/work"}, `pwd && echo x > "$HOME/f" && cat "$HOME/f"`)
	if res.ExitCode != 0 || out != "/tmp/work\nx\n" {
		t.Fatalf("%+v %q", res, out)
	}
}
