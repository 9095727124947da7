package strace

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// traceScript runs python3 on script under strace's own command line (Command) and
// returns the trace's path. Nothing leaves the machine: the connects go to a closed port
// on 127.0.0.1 and to TEST-NET-1 with a short timeout.
func traceScript(t *testing.T, dir, script string) string {
	t.Helper()
	st := testdist.NeedCommand(t, "strace", "strace")
	py := testdist.Python(t, "3.11")
	if err := os.WriteFile(filepath.Join(dir, "script.py"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "trace.txt")
	args := append(Command(out)[1:], py, "-I", "script.py")
	cmd := exec.Command(st, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "LC_ALL=C.UTF-8"}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("strace: %v\n%s", err, b)
	}
	return out
}

const hostileScript = `
import os, socket, subprocess
free = socket.socket(); free.bind(("127.0.0.1", 0)); port = free.getsockname()[1]; free.close()
s = socket.socket(); s.settimeout(2)
try: s.connect(("127.0.0.1", port))
except OSError: pass
s = socket.socket(); s.settimeout(0.2)
try: s.connect(("192.0.2.1", 80))
except OSError: pass
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"q\n\x01\"<x>", ("127.0.0.1", 53))
with open("odd\n<name>\".txt", "w") as f: f.write("x")
os.rename("odd\n<name>\".txt", "renamed.txt")
os.unlink("renamed.txt")
subprocess.run(["/bin/sh", "-c", "exit 0"])
`

func TestParseRealTrace(t *testing.T) {
	dir := t.TempDir()
	trace := traceScript(t, dir, hostileScript)
	f, err := os.Open(trace)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		conns             Connects
		results           []string
		created, sent     bool
		renamed, unlinked bool
		shPID, forked     int
		events, malformed int
	)
	realDir, _ := filepath.EvalSymlinks(dir)
	err = Parse(f, func(e *Event) error {
		events++
		if e.Malformed {
			malformed++
			t.Errorf("line %d malformed: %+v", e.Line, e)
		}
		if c := conns.Observe(e); c != nil && c.Addr.IsIP() {
			results = append(results, c.Addr.IP.Addr().String()+" "+c.Result)
		}
		switch e.Name {
		case "openat":
			if e.Arg(1).Str == "odd\n<name>\".txt" {
				created = e.RetPath == filepath.Join(realDir, "odd\n<name>\".txt") && e.Arg(0).Path == realDir
				if !created {
					t.Errorf("openat of the odd name: %+v", e)
				}
			}
		case "sendto":
			a, _ := SockAddr(e.Arg(4).Raw)
			sent = e.Arg(1).Str == "q\n\x01\"<x>" && a.IP.Port() == 53
		case "rename":
			renamed = e.Arg(0).Str == "odd\n<name>\".txt" && e.Arg(1).Str == "renamed.txt" && e.Ret == "0"
		case "unlink":
			unlinked = e.Arg(0).Str == "renamed.txt"
		case "execve":
			if e.Arg(0).Str == "/bin/sh" {
				shPID = e.PID
				if got := strings.Join(e.Arg(1).Strings(), " "); got != "/bin/sh -c exit 0" {
					t.Errorf("sh argv %q", got)
				}
			}
		case "clone", "clone3", "vfork", "fork":
			if e.Child != 0 {
				forked = e.Child
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range conns.Pending() {
		results = append(results, c.Addr.IP.Addr().String()+" "+c.Result)
	}
	got := strings.Join(results, "|")
	if !strings.Contains(got, "127.0.0.1 ECONNREFUSED") || !strings.Contains(got, "192.0.2.1 ") {
		t.Errorf("connect outcomes %q", got)
	}
	if !created || !sent || !renamed || !unlinked {
		t.Errorf("created %v sent %v renamed %v unlinked %v", created, sent, renamed, unlinked)
	}
	if shPID == 0 || forked != shPID {
		t.Errorf("sh ran as pid %d, the fork gave %d", shPID, forked)
	}
	t.Logf("%d events, %d malformed", events, malformed)
}

// With -ff each pid has its own file and no prefix: ParseFiles names the pid from the
// file, so the child a vfork/clone returns is the pid of the file holding its execve.
func TestParseFilesPerPID(t *testing.T) {
	st := testdist.NeedCommand(t, "strace", "strace")
	py := testdist.Python(t, "3.11")
	dir := t.TempDir()
	prefix := filepath.Join(dir, "tr")
	args := []string{"-ff", "-qq", "-yy", "-e", "trace=execve,clone,clone3,vfork,fork", "-o", prefix, "--",
		py, "-I", "-c", "import subprocess; subprocess.run(['/bin/sh', '-c', 'exit 0'])"}
	if b, err := exec.Command(st, args...).CombinedOutput(); err != nil {
		t.Fatalf("strace: %v\n%s", err, b)
	}
	children := map[int]bool{}
	shPID := 0
	if err := ParseFiles(prefix, Limits{}, func(e *Event) error {
		if e.PID == 0 || e.Malformed {
			t.Errorf("event without its pid or malformed: %+v", e)
		}
		if e.Child != 0 {
			children[e.Child] = true
		}
		if e.Name == "execve" && e.Arg(0).Str == "/bin/sh" && e.Ret == "0" {
			shPID = e.PID
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if shPID == 0 || !children[shPID] {
		t.Errorf("sh ran as pid %d; forks gave %v", shPID, children)
	}
}

// strace inside a pid namespace (as in the sandbox) numbers processes from 1: the
// prefixes and the forks' results agree, so a child is still found by its pid.
func TestParsePIDNamespace(t *testing.T) {
	st := testdist.NeedCommand(t, "strace", "strace")
	py := testdist.Python(t, "3.11")
	un, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare")
	}
	if err := exec.Command(un, "--pid", "--fork", "--user", "--map-root-user", "true").Run(); err != nil {
		t.Skipf("cannot make a pid namespace here: %v", err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "trace.txt")
	args := append([]string{"--pid", "--fork", "--user", "--map-root-user", st}, Command(out)[1:]...)
	args = append(args, py, "-I", "-c", "import subprocess; subprocess.run(['/bin/sh', '-c', 'exit 0'])")
	if b, err := exec.Command(un, args...).CombinedOutput(); err != nil {
		t.Fatalf("unshare strace: %v\n%s", err, b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	children, shPID, maxPID := map[int]bool{}, 0, 0
	if err := Parse(f, func(e *Event) error {
		maxPID = max(maxPID, e.PID)
		if e.Child != 0 {
			children[e.Child] = true
		}
		if e.Name == "execve" && e.Arg(0).Str == "/bin/sh" && e.Ret == "0" {
			shPID = e.PID
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if maxPID > 100 || shPID == 0 || !children[shPID] {
		t.Errorf("namespace pids up to %d; sh ran as %d; forks gave %v", maxPID, shPID, children)
	}
}
