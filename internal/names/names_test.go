package names

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

func TestNormalize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Django", "django"}, {"friendly-bard", "friendly-bard"}, {"Friendly-Bard", "friendly-bard"},
		{"FRIENDLY-BARD", "friendly-bard"}, {"friendly.bard", "friendly-bard"}, {"friendly_bard", "friendly-bard"},
		{"friendly--bard", "friendly-bard"}, {"FrIeNdLy-._.-bArD", "friendly-bard"}, {"a__b", "a-b"},
		{"zope.interface", "zope-interface"}, {"typing_extensions", "typing-extensions"}, {"", ""},
		{"-a-", "-a-"}, {"A.B-C_D", "a-b-c-d"}, {"ruamel.yaml.clib", "ruamel-yaml-clib"},
	}
	for _, c := range cases {
		if got := Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if !Equal("Zope.Interface", "zope_interface") || Equal("foo", "foo-bar") {
		t.Error("Equal")
	}
	if got := WheelEscape("Zope.Interface"); got != "zope_interface" {
		t.Errorf("WheelEscape = %q", got)
	}
}

func TestValid(t *testing.T) {
	for _, s := range []string{"a", "A", "1", "django", "zope.interface", "a-b", "a_b", "a.b", "a--b", "A9", "backports.zoneinfo", "0x"} {
		if !Valid(s) {
			t.Errorf("Valid(%q) = false", s)
		}
	}
	for _, s := range []string{"", "-", "-a", "a-", ".a", "a.", "_a", "a_", "a b", "a/b", "ä", "a+b", "a!", "a\n", "a@b", " a"} {
		if Valid(s) {
			t.Errorf("Valid(%q) = true", s)
		}
	}
}

// TestAgainstPackaging compares with packaging.utils.canonicalize_name on the names of
// the installed distributions.
func TestAgainstPackaging(t *testing.T) {
	var names []string
	dirs := testdist.GlobPrefixes("lib/python*/site-packages/*.dist-info")
	for _, pat := range []string{
		"/usr/lib/python3/dist-packages/*.dist-info",
		"/usr/lib/python3/dist-packages/*.egg-info",
	} {
		m, _ := filepath.Glob(pat)
		dirs = append(dirs, m...)
	}
	for _, d := range dirs {
		names = append(names, strings.Split(filepath.Base(d), "-")[0])
	}
	names = append(names, "Foo.Bar__Baz", "A-_-.b", "x..Y")
	if len(names) < 50 {
		t.Fatalf("only %d installed names", len(names))
	}
	script := `import sys
from pip._vendor.packaging.utils import canonicalize_name
for line in sys.stdin.read().split("\n"):
    print(canonicalize_name(line))`
	cmd := exec.Command("python3", "-c", script)
	cmd.Stdin = strings.NewReader(strings.Join(names, "\n"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	for i, n := range names {
		if got := Normalize(n); got != want[i] {
			t.Errorf("Normalize(%q) = %q, packaging %q", n, got, want[i])
		}
		if !Valid(n) {
			t.Errorf("installed name %q is not Valid", n)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add("Foo.Bar__Baz")
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if Normalize(n) != n || strings.Contains(n, "--") {
			t.Fatalf("Normalize(%q) = %q is not a fixed point", s, n)
		}
		if Valid(s) && !Valid(n) {
			t.Fatalf("Valid(%q) but not its normal form %q", s, n)
		}
	})
}
