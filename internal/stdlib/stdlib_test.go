package stdlib

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/testdist"
)

func TestContains(t *testing.T) {
	tests := []struct {
		version, module string
		want            bool
	}{
		{"3.11", "antigravity", true},
		{"3.8", "antigravity", true},
		{"3.14", "antigravity", true},
		{"3.11", "distutils", true},
		{"3.11.7", "distutils.core", true},
		{"3.12", "distutils", false},
		{"3.13", "distutils", false},
		{"3.12", "asynchat", false},
		{"3.11", "asynchat", true},
		{"3.8", "zoneinfo", false},
		{"3.9", "zoneinfo", true},
		{"3.8", "_dummy_thread", true},
		{"3.9", "graphlib", true},
		{"3.12", "cgi", true},
		{"3.13", "cgi", false},
		{"3.13", "telnetlib", false},
		{"3.14", "annotationlib", true},
		{"3.13", "annotationlib", false},
		{"3.14", "compression", true},
		{"3.11", "tomllib", true},
		{"3.10", "tomllib", false},
		{"3.11", "sys", true},
		{"3.11", "os.path", true},
		{"3.11", "winreg", true},
		{"3.9", "msvcrt", true},
		{"3.11", "yaml", false},
		{"3.11", "numpy", false},
		{"3.11", "test", false},
		{"3.9", "_testcapi", false},
		{"3.9", "xxsubtype", false},
		{"3.11", "__future__", true},
		{"2.7", "urllib2", true},
		{"2.7", "Tkinter", true},
		{"2.7", "ConfigParser", true},
		{"2.7", "__builtin__", true},
		{"2.7", "_winreg", true},
		{"2.7", "asyncio", false},
		{"2.7", "test", false},
		{"2.7", "yaml", false},
		{"3.6", "dataclasses", false},
		{"3.7", "dataclasses", true},
		{"3.7", "contextvars", true},
		{"3.6", "macurl2path", true},
		{"3.7", "macpath", true},
		{"3.6", "_hashlib", true},
		{"3.7", "antigravity", true},
		{"3.7.3", "matplotlib", false},
	}
	for _, tt := range tests {
		s, err := For(tt.version)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Contains(tt.module); got != tt.want {
			t.Errorf("For(%q).Contains(%q) = %v, want %v", tt.version, tt.module, got, tt.want)
		}
	}
}

func TestUnknownVersion(t *testing.T) {
	for _, v := range []string{"2.6", "3.5", "3", "", "4.0"} {
		if _, err := For(v); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("For(%q) err = %v, want ErrInvalid", v, err)
		}
	}
	if got := strings.Join(Versions(), " "); got != "2.7 3.6 3.7 3.8 3.9 3.10 3.11 3.12 3.13 3.14" {
		t.Errorf("Versions() = %s", got)
	}
}

// TestMatchesInterpreters checks the embedded lists against sys.stdlib_module_names
// of every installed interpreter that has it (3.10 and later), found by version.
func TestMatchesInterpreters(t *testing.T) {
	var pys []string
	for _, v := range Versions() {
		if minor, _ := strconv.Atoi(strings.TrimPrefix(v, "3.")); !strings.HasPrefix(v, "3.") || minor < 10 {
			continue // 2.7 and 3.6 to 3.9 lack sys.stdlib_module_names
		}
		if in, err := testdist.FindPython(v); err == nil {
			pys = append(pys, in.Path)
		} else {
			t.Logf("not compared: %v", err)
		}
	}
	if len(pys) == 0 {
		testdist.Missing(t, "no Python 3.10 or later found")
	}
	for _, py := range pys {
		out, err := exec.Command(py, "-c", "import sys; print('\\n'.join(sorted(sys.stdlib_module_names))); print(sys.version_info[0], sys.version_info[1])").Output()
		if err != nil {
			t.Fatalf("%s: %v", py, err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		ver := strings.Replace(lines[len(lines)-1], " ", ".", 1)
		s, err := For(ver)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(s.Names(), ","), strings.Join(lines[:len(lines)-1], ","); got != want {
			t.Errorf("%s: embedded list differs from the interpreter's", ver)
		}
	}
}

// TestGenerated runs the committed generate.py against the installed pyenv
// interpreters into a temporary folder and checks that every embedded list is what
// it writes (2.7 and 3.6 to 3.14).
func TestGenerated(t *testing.T) {
	root := testdist.PyenvRoot(t)
	out := t.TempDir()
	cmd := exec.Command("python3", "generate.py", root, out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generate.py: %v\n%s", err, b)
	}
	got, _ := filepath.Glob(filepath.Join(out, "*.txt"))
	if len(got) != len(Versions()) {
		t.Errorf("generate.py wrote %d lists, %d are embedded", len(got), len(Versions()))
	}
	for _, p := range got {
		want, _ := os.ReadFile(p)
		have, err := data.ReadFile("data/" + filepath.Base(p))
		if err != nil || string(have) != string(want) {
			t.Errorf("data/%s differs from what generate.py writes (err %v)", filepath.Base(p), err)
		}
	}
}
