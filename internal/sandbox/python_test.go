package sandbox_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/sandbox"
	"github.com/pydepot/pydepot/internal/testdist"
)

// TestPythonInside runs a pyenv interpreter (bound read-only where it lives on the host)
// under strace, as the checks pipeline does: it starts, cannot reach the network, cannot
// write outside the task's folder, and the trace shows its attempts.
func TestPythonInside(t *testing.T) {
	need(t)
	py := testdist.PyenvPython(t, "3.12")
	out := t.TempDir()
	script := `
import socket, os
try:
    socket.create_connection(("127.0.0.1", 9), timeout=3); print("connected")
except OSError as e:
    print("no network:", e.errno)
for p in (os.path.expanduser("~/x"), "/tmp/x", "/out/x", "` + py.Prefix + `/x"):
    try:
        open(p, "w").write("x"); print("wrote", p)
    except OSError as e:
        print("refused", p)
`
	var log bytes.Buffer
	res, err := sandbox.Run(context.Background(), sandbox.Spec{
		Args:     []string{"strace", "-f", "--seccomp-bpf", "-o", "/out/trace", py.Path, "-I", "-c", script},
		Env:      []string{"PATH=/usr/bin:/bin"},
		ReadOnly: []sandbox.Mount{{Host: py.Prefix, Path: py.Prefix}},
		Writable: []sandbox.Mount{{Host: out, Path: "/out"}},
		Stdout:   &log, Stderr: &log,
	})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v\n%s", res, err, log.String())
	}
	got := log.String()
	for _, want := range []string{"no network:", "wrote /home/sandbox/x", "wrote /tmp/x", "wrote /out/x", "refused " + py.Prefix + "/x"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if _, err := os.Stat(filepath.Join(py.Prefix, "x")); err == nil {
		t.Errorf("wrote into the interpreter's prefix on the host")
	}
	trace, _ := os.ReadFile(filepath.Join(out, "trace"))
	if !bytes.Contains(trace, []byte("connect(")) {
		t.Errorf("the trace lacks the connect:\n%.2000s", trace)
	}
}

// TestFileSizeLimitPython: Python ignores SIGXFSZ, so its write past RLIMIT_FSIZE fails
// with EFBIG; the file at the limit in the output folder still names the limit.
func TestFileSizeLimitPython(t *testing.T) {
	need(t)
	py := testdist.PythonInfo(t, "3.11")
	out := t.TempDir()
	var log bytes.Buffer
	res, err := sandbox.Run(context.Background(), sandbox.Spec{
		Args:     []string{py.Path, "-I", "-c", "open('/out/big', 'wb').write(b'x' * 3000000)"},
		Env:      []string{"PATH=/usr/bin:/bin"},
		ReadOnly: []sandbox.Mount{{Host: py.Prefix, Path: py.Prefix}},
		Writable: []sandbox.Mount{{Host: out, Path: "/out"}},
		Limits:   sandbox.Limits{FileBytes: 1 << 20},
		Stdout:   &log, Stderr: &log,
	})
	if err != nil || res.Limit != sandbox.LimitFileSize || !strings.Contains(log.String(), "File too large") {
		t.Fatalf("%+v %v\n%s", res, err, log.String())
	}
}
