package interpreters

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/testdist"
)

func needFile(t *testing.T, p string) {
	t.Helper()
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("this test needs %s: %v", p, err)
	}
}

// pyenvShared is pyenv's Python 3.12, a shared build (libpython3.12.so).
func pyenvShared(t *testing.T) string {
	t.Helper()
	return testdist.PyenvPython(t, "3.12").Path
}

func TestQuery(t *testing.T) {
	tests := []struct {
		path         string
		mm           string
		shared       bool
		sitePkgsName string
	}{
		{"/usr/bin/python3.11", "3.11", false, "dist-packages"},
		{pyenvShared(t), "3.12", true, "site-packages"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			needFile(t, tt.path)
			in, err := Query(context.Background(), tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if in.MajorMinor() != tt.mm || in.Shared != tt.shared || in.Implementation != "cpython" {
				t.Errorf("got %+v", in)
			}
			if in.Markers["python_version"] != tt.mm || in.Markers["sys_platform"] != "linux" {
				t.Errorf("markers %v", in.Markers)
			}
			tg := in.Target
			if tg.Implementation != "cp" || tg.OS != "linux" || tg.Libc != "glibc" || tg.LibcMajor != 2 || tg.LibcMinor < 17 || tg.Arch == "" {
				t.Errorf("target %+v", tg)
			}
		})
	}
}

func TestQueryNotPython(t *testing.T) {
	_, err := Query(context.Background(), "/bin/true")
	if !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
}

func TestFind(t *testing.T) {
	ctx := context.Background()
	o := Options{PATH: "/usr/bin"}
	// Full versions this machine has, found by version (pyenv's 3.11.7 and 3.13.0, say).
	v311, v313 := testdist.PythonInfo(t, "3.11").Version, testdist.PythonInfo(t, "3.13").Version
	tests := []struct {
		want    string
		version string // prefix of the found version; "" = must fail
	}{
		{"3.11", "3.11."},
		{"3.12", "3.12."},
		{v311, v311},
		{v313, v313},
		{"3.5", ""},
		{"3.99.1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			in, err := Find(ctx, tt.want, o)
			if tt.version == "" {
				if !errors.Is(err, errs.ErrNotFound) || !strings.Contains(err.Error(), "no Python "+tt.want+" interpreter found; found ") ||
					!strings.Contains(err.Error(), "(/usr/bin/python3") {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(in.Version, tt.version) {
				t.Errorf("found %s for %s", in, tt.want)
			}
		})
	}
}

func TestCandidatesSkipShims(t *testing.T) {
	shims := filepath.Join(testdist.PyenvRoot(t), "shims")
	needFile(t, shims)
	for _, c := range Candidates(Options{PATH: shims + ":/usr/bin"}) {
		if strings.Contains(c, "shims") {
			t.Errorf("candidate %s is a shim", c)
		}
	}
}

// TestBundle bundles an interpreter, moves the result elsewhere and runs it with an
// environment that holds no Python of the machine.
func TestBundle(t *testing.T) {
	for _, path := range []string{"/usr/bin/python3.11", pyenvShared(t)} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			needFile(t, path)
			ctx := context.Background()
			in, err := Query(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			tmp := t.TempDir()
			built := filepath.Join(tmp, "build", "env")
			b, err := Bundle(ctx, in, built)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(b.SitePackages, "marker_mod.py"), []byte("X = 42\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if in.Shared {
				rps, _ := RunPaths(b.Python)
				if len(rps) != 1 || rps[0] != "$ORIGIN/../lib" {
					t.Errorf("runpath %v", rps)
				}
			}
			moved := filepath.Join(tmp, "elsewhere", "moved")
			os.MkdirAll(filepath.Dir(moved), 0o755)
			if err := os.Rename(built, moved); err != nil {
				t.Fatal(err)
			}
			script := `import sys, ssl, sqlite3, ctypes, json, decimal, hashlib, zlib, marker_mod
print(sys.prefix); print(marker_mod.X); print(ssl.OPENSSL_VERSION[:7])`
			for _, exe := range []string{filepath.Base(b.Python), "python3", "python"} {
				cmd := exec.Command(filepath.Join(moved, "bin", exe), "-c", script)
				cmd.Env = []string{"PATH=" + filepath.Join(moved, "bin") + ":/bin", "HOME=" + tmp}
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("%s: %v\n%s", exe, err, out)
				}
				lines := strings.Split(strings.TrimSpace(string(out)), "\n")
				if len(lines) != 3 || lines[0] != moved || lines[1] != "42" || lines[2] != "OpenSSL" {
					t.Errorf("%s printed %q", exe, out)
				}
			}
			// the stdlib bytecode stayed valid: Python did not rewrite it
			pycs, _ := filepath.Glob(filepath.Join(moved, "lib", "python"+in.MajorMinor(), "__pycache__", "os.*.pyc"))
			if len(pycs) == 0 && in.Shared {
				t.Errorf("no os.pyc in the bundle")
			}
			for _, p := range pycs {
				if st, err := os.Stat(p); err != nil || !st.ModTime().Equal(Epoch) {
					t.Errorf("%s was rewritten: %v", p, err)
				}
			}
			// nothing in the bundle may name the machine's prefix as a library path
			ldd, err := exec.Command("ldd", filepath.Join(moved, "bin", filepath.Base(b.Python))).CombinedOutput()
			if err != nil || strings.Contains(string(ldd), in.Prefix+"/lib/libpython") {
				t.Errorf("ldd: %v %s", err, ldd)
			}
		})
	}
}

func TestQueryCached(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, err := QueryCached(ctx, "/usr/bin/python3.11", dir)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 1 {
		t.Fatalf("cache files %v", files)
	}
	b, err := QueryCached(ctx, "/usr/bin/python3.11", dir)
	if err != nil {
		t.Fatal(err)
	}
	if a.Version != b.Version || a.Target != b.Target || a.Markers["python_full_version"] != b.Markers["python_full_version"] || b.Stdlib != a.Stdlib {
		t.Errorf("cached answer differs: %+v vs %+v", a, b)
	}
}

func TestRewriteRunPath(t *testing.T) {
	py := testdist.PyenvPython(t, "3.12")
	src := py.Path
	lib := filepath.Join(py.Prefix, "lib") // the RUNPATH of pyenv's shared build
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		newPath string
		want    string
		wantErr bool
	}{
		{"shorter", "$ORIGIN/../lib", "$ORIGIN/../lib", false},
		{"same length", lib, lib, false},
		{"longer", lib + "/and/more", lib, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "python3.12")
			os.WriteFile(p, data, 0o755)
			_, err := RewriteRunPath(p, func(string) (string, bool) { return tt.newPath, true })
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			rps, _ := RunPaths(p)
			if len(rps) != 1 || rps[0] != tt.want {
				t.Errorf("runpath %q, want %q", rps, tt.want)
			}
			if st, _ := os.Stat(p); st.Size() != int64(len(data)) {
				t.Error("size changed")
			}
		})
	}
}
