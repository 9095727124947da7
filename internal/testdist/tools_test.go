package testdist

import (
	"os/exec"
	"strings"
	"testing"
)

// TestToolsArePinnedVersions: every client the setup installs answers --version with the
// version its pins name, so the tests drive the clients they say they drive.
func TestToolsArePinnedVersions(t *testing.T) {
	for _, name := range Clients {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkPinned(t, name)
		})
	}
}

func checkPinned(t *testing.T, name string) {
	want, err := PinnedVersion(name)
	if err != nil || want == "" {
		t.Fatalf("%s: no pinned version in scripts/test-tools/%s.txt (%v)", name, name, err)
	}
	out, err := exec.Command(Tool(t, name), "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v\n%s", name, err, out)
	}
	if !versionIs(string(out), want) {
		t.Errorf("%s --version says %q, pins say %s", name, strings.TrimSpace(string(out)), want)
	}
}

// fatalTB records the first Fatalf and stops the function under test, as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

type stopped struct{}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = strings.TrimSpace(strings.ReplaceAll(format, "%", "")) // the format is enough to recognise
	panic(stopped{})
}
func (f *fatalTB) Fatal(args ...any) { f.Fatalf("fatal") }

func callTool(tb *fatalTB, name string) (path string) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stopped); !ok {
				panic(r)
			}
		}
	}()
	return Tool(tb, name)
}

// TestToolFailsWhenNotInstalled: a missing client fails the test and says how to install
// it; it never skips.
func TestToolFailsWhenNotInstalled(t *testing.T) {
	t.Setenv(ToolsEnv, t.TempDir())
	tb := &fatalTB{TB: t}
	if p := callTool(tb, "uv"); p != "" || !strings.Contains(tb.msg, "install-test-deps.sh") {
		t.Fatalf("Tool on an empty tools folder returned %q, failure %q", p, tb.msg)
	}
}

func TestVersionIs(t *testing.T) {
	for _, c := range []struct {
		out, prefix string
		want        bool
	}{
		{"twine version 4.0.2 (importlib-metadata: 4.12.0)", "4.", true},
		{"Poetry (version 1.3.2)", "1.3.", true},
		{"Poetry (version 1.3.2)", "1.", true},
		{"Poetry (version 2.5.1)", "1.3.", false},
		{"pip 23.0.1 from /usr/lib/python3/dist-packages/pip (python 3.11)", "23.", true},
		{"pip 23.0.1 from /usr/lib/python3/dist-packages/pip (python 3.11)", "3.", false},
		{"uv 0.13.8 (x86_64-unknown-linux-gnu)", "0.13.8", true},
		{"uv 0.13.8 (x86_64-unknown-linux-gnu)", "0.13", true},
		{"uv 0.13.8 (x86_64-unknown-linux-gnu)", "0.1", false},
		{"PDM, version 2.29.4", "2.29.4", true},
		{"no version here", "1", false},
	} {
		if got := versionIs(c.out, c.prefix); got != c.want {
			t.Errorf("versionIs(%q, %q) = %v", c.out, c.prefix, got)
		}
	}
}
