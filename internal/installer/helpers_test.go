package installer

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"hash"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pydepot/pydepot/internal/testcache"
	"github.com/pydepot/pydepot/internal/testdist"
)

// systemWheels are the real wheels Debian ships.
func systemWheels(t *testing.T) map[string]string {
	t.Helper()
	testdist.NeedDebian(t, "/usr/share/python-wheels/wheel-*.whl", "python3-pip-whl", "python3-setuptools-whl", "python3-wheel-whl")
	out := map[string]string{}
	for _, n := range []string{"pip", "setuptools", "wheel"} {
		m, _ := filepath.Glob("/usr/share/python-wheels/" + n + "-*.whl")
		if len(m) != 1 {
			t.Fatalf("want one %s wheel in /usr/share/python-wheels, found %v (run `make test-deps`, which installs Debian's python3-pip-whl and python3-setuptools-whl)", n, m)
		}
		out[n] = m[0]
	}
	return out
}

// debianPython is the interpreter that has python3-build installed.
const debianPython = "/usr/bin/python3.11"

var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixtureErr  error
	fixtureLog  []byte
)

// pdtestWheel builds testdata/pdtest with `python3 -m build --wheel --no-isolation` once
// per test binary and returns the wheel's path.
func pdtestWheel(t *testing.T) string {
	t.Helper()
	testdist.NeedDebian(t, "/usr/lib/python3/dist-packages/build/__init__.py", "python3-build", "python3-setuptools", "python3-wheel", "python3-venv")
	fixtureOnce.Do(func() {
		fixtureDir, fixtureErr = os.MkdirTemp("", "pydepot-installer-fixture-")
		if fixtureErr != nil {
			return
		}
		src := filepath.Join(fixtureDir, "src")
		if fixtureErr = os.CopyFS(src, os.DirFS("testdata/pdtest")); fixtureErr != nil {
			return
		}
		cmd := exec.Command(debianPython, "-m", "build", "--wheel", "--no-isolation", "--outdir", filepath.Join(fixtureDir, "dist"), src)
		fixtureLog, fixtureErr = cmd.CombinedOutput()
	})
	if fixtureErr != nil {
		t.Fatalf("building the pdtest wheel: %v\n%s", fixtureErr, fixtureLog)
	}
	m, _ := filepath.Glob(filepath.Join(fixtureDir, "dist", "pdtest-1.2.3-py3-none-any.whl"))
	if len(m) != 1 {
		t.Fatalf("pdtest wheel not built:\n%s", fixtureLog)
	}
	return m[0]
}

var (
	venvOnce sync.Once
	venvDir  string
	venvErr  error
	venvLog  []byte
)

// pipVenv returns a venv (Debian's python3-venv) whose pip is the reference installer.
func pipVenv(t *testing.T) string {
	t.Helper()
	venvOnce.Do(func() {
		venvDir, venvErr = os.MkdirTemp("", "pydepot-installer-venv-")
		if venvErr != nil {
			return
		}
		venvLog, venvErr = exec.Command(debianPython, "-m", "venv", venvDir).CombinedOutput()
	})
	if venvErr != nil {
		t.Fatalf("creating the reference venv: %v\n%s", venvErr, venvLog)
	}
	return venvDir
}

func TestMain(m *testing.M) {
	code := testcache.Main(m) // keeps pip and pydepot out of the real ~/.cache
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	if venvDir != "" {
		os.RemoveAll(venvDir)
	}
	os.Exit(code)
}

// pipInstall installs wheel with pip --prefix and returns the prefix.
func pipInstall(t *testing.T, wheel string) string {
	t.Helper()
	prefix := t.TempDir()
	cmd := exec.Command(filepath.Join(pipVenv(t), "bin", "pip"), "install", "--no-deps", "--no-compile", "--no-index", "--ignore-installed",
		"--disable-pip-version-check", "--prefix", prefix, wheel)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pip install %s: %v\n%s", wheel, err, out)
	}
	return prefix
}

// fileSet lists the regular files under dir, relative and slash-separated.
func fileSet(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// rewriteWheel copies src to a new wheel in dir named like src, passing every member
// through edit, which returns the new data and whether to keep it; add appends members.
func rewriteWheel(t *testing.T, src, dir string, edit func(name string, data []byte) ([]byte, bool), add map[string]string) string {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		data, keep := edit(f.Name, data)
		if !keep {
			continue
		}
		h := f.FileHeader
		w, err := zw.CreateHeader(&zip.FileHeader{Name: h.Name, Method: zip.Deflate, ExternalAttrs: h.ExternalAttrs, CreatorVersion: h.CreatorVersion})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	names := make([]string, 0, len(add))
	for n := range add {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, add[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func keepAll(name string, data []byte) ([]byte, bool) { return data, true }

// makeVenv turns prefix into a virtual environment of the Debian interpreter, so the
// relocatable launchers find bin/python3 beside them.
func makeVenv(t *testing.T, prefix string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(prefix, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"python3", "python"} {
		if err := os.Symlink(debianPython, filepath.Join(prefix, "bin", n)); err != nil {
			t.Fatal(err)
		}
	}
	cfg := "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11\n"
	if err := os.WriteFile(filepath.Join(prefix, "pyvenv.cfg"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

// cleanEnv is the environment without Python variables that could leak in.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PYTHON") || strings.HasPrefix(kv, "VIRTUAL_ENV=") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// hashFile returns the digest of path under newHash, and its size.
func hashFile(path string, newHash func() hash.Hash) ([]byte, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	h := newHash()
	n, err := io.Copy(h, f)
	if err != nil {
		return nil, 0, err
	}
	return h.Sum(nil), n, nil
}

func sha256New() hash.Hash { return sha256.New() }
