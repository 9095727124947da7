package builder

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/testdist"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/installer"
	"github.com/pydepot/pydepot/internal/names"
)

// debianPython has setuptools and wheel in its own dist-packages (python3-setuptools,
// python3-wheel) and python3-build; isolation must hide the first two from the backend.
const debianPython = "/usr/bin/python3.11"

// sdist makes an sdist of testdata/<project> with `python3 -m build --sdist --no-isolation`.
func sdist(t *testing.T, project string) string {
	t.Helper()
	testdist.NeedDebian(t, "/usr/lib/python3/dist-packages/build/__init__.py", "python3-build", "python3-setuptools", "python3-wheel")
	testdist.NeedDebian(t, "/usr/share/python-wheels/wheel-*.whl", "python3-setuptools-whl", "python3-wheel-whl")
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.CopyFS(src, os.DirFS(filepath.Join("testdata", project))); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(debianPython, "-m", "build", "--sdist", "--no-isolation", "--outdir", filepath.Join(dir, "dist"), src).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 -m build --sdist: %v\n%s", err, out)
	}
	m, _ := filepath.Glob(filepath.Join(dir, "dist", "*.tar.gz"))
	if len(m) != 1 {
		t.Fatalf("no sdist built:\n%s", out)
	}
	return m[0]
}

var reqName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*`)

// wheelInstaller is the InstallRequirements callback of the tests: it installs the
// matching wheel from /usr/share/python-wheels (setuptools and wheel are both there, so
// Debian's dist-packages are not needed) with the pydepot installer, and records calls.
type wheelInstaller struct {
	mu    sync.Mutex
	calls [][]string
}

func (w *wheelInstaller) install(ctx context.Context, reqs []string, target string) error {
	w.mu.Lock()
	w.calls = append(w.calls, slices.Clone(reqs))
	w.mu.Unlock()
	for _, r := range reqs {
		name := names.Normalize(reqName.FindString(r))
		m, _ := filepath.Glob("/usr/share/python-wheels/" + name + "-*.whl")
		if len(m) != 1 {
			return errors.New("test index has no wheel for " + r)
		}
		if _, err := installer.Install(ctx, m[0], installer.TargetScheme(target), installer.Options{}); err != nil {
			return err
		}
	}
	return nil
}

// checkWheel installs a built wheel and imports module from it.
func checkWheel(t *testing.T, whl, code, want string) {
	t.Helper()
	site := t.TempDir()
	if _, err := installer.Install(context.Background(), whl, installer.TargetScheme(site), installer.Options{}); err != nil {
		t.Fatalf("installing the built wheel: %v", err)
	}
	cmd := exec.Command(debianPython, "-s", "-c", code)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+site)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != want {
		t.Fatalf("%s: %v %q, want %q", code, err, out, want)
	}
}

func TestBuildSdist(t *testing.T) {
	tests := []struct {
		project, wheel string
		calls          [][]string
		code, want     string
	}{
		{"pdbuild", "pdbuild-0.1-py3-none-any.whl", [][]string{{"setuptools>=40.8.0", "wheel"}},
			"import pdbuild; pdbuild.hi()", "hi from pdbuild"},
		// No pyproject.toml: the legacy backend, then "wheel" from get_requires_for_build_wheel.
		{"legacy", "legacy-2.0-py3-none-any.whl", [][]string{{"setuptools>=40.8.0"}, {"wheel"}},
			"import legacy; print(legacy.X)", "2"},
		// In-tree backend, no requirements: the callback is never called.
		{"intree", "intree-0.1-py3-none-any.whl", nil, "import intree; print(intree.ANSWER)", "42"},
	}
	for _, tt := range tests {
		t.Run(tt.project, func(t *testing.T) {
			sd := sdist(t, tt.project)
			out := t.TempDir()
			wi := &wheelInstaller{}
			var log strings.Builder
			whl, err := Build(context.Background(), sd, out, Options{
				Interpreter: debianPython, InstallRequirements: wi.install, Output: &log, WorkDir: t.TempDir(),
			})
			if err != nil {
				t.Fatalf("%v\n%s", err, log.String())
			}
			if whl != filepath.Join(out, tt.wheel) {
				t.Fatalf("wheel %s, want %s", whl, tt.wheel)
			}
			if !slices.EqualFunc(wi.calls, tt.calls, slices.Equal) {
				t.Errorf("callback calls %q, want %q", wi.calls, tt.calls)
			}
			checkWheel(t, whl, tt.code, tt.want)
		})
	}
}

// TestIsolation: with a callback that installs nothing, the Debian interpreter's own
// setuptools must stay invisible; with SystemSitePackages it is used.
func TestIsolation(t *testing.T) {
	sd := sdist(t, "pdbuild")
	noop := func(context.Context, []string, string) error { return nil }
	_, err := Build(context.Background(), sd, t.TempDir(), Options{Interpreter: debianPython, InstallRequirements: noop})
	var be *BuildError
	if !errors.As(err, &be) || be.Hook != "get_requires_for_build_wheel" || !strings.Contains(be.Tail, "No module named 'setuptools'") {
		t.Fatalf("isolated build without requirements: %v", err)
	}
	whl, err := Build(context.Background(), sd, t.TempDir(), Options{Interpreter: debianPython, InstallRequirements: noop, SystemSitePackages: true})
	if err != nil {
		t.Fatalf("build with system site-packages: %v", err)
	}
	checkWheel(t, whl, "import pdbuild; pdbuild.hi()", "hi from pdbuild")
}

// TestRunner checks what the injectable runner is given.
func TestRunner(t *testing.T) {
	src := t.TempDir()
	if err := os.CopyFS(src, os.DirFS("testdata/intree")); err != nil {
		t.Fatal(err)
	}
	var cmds []Command
	run := RunnerFunc(func(ctx context.Context, c Command) error {
		cmds = append(cmds, c)
		return ExecRunner{}.Run(ctx, c)
	})
	t.Setenv("PYTHONPATH", "/should/not/leak")
	whl, err := BuildTree(context.Background(), src, t.TempDir(), Options{Interpreter: debianPython, Runner: run,
		ExtraEnv: []string{"SOURCE_DATE_EPOCH=315532800"}})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(whl) != "intree-0.1-py3-none-any.whl" {
		t.Fatal(whl)
	}
	if len(cmds) != 2 || cmds[0].Argv[2] != "get_requires_for_build_wheel" || cmds[1].Argv[2] != "build_wheel" {
		t.Fatalf("commands: %+v", cmds)
	}
	c := cmds[1]
	if c.Argv[0] != debianPython || c.Dir != src {
		t.Errorf("argv %v dir %s", c.Argv, c.Dir)
	}
	env := map[string]string{}
	for _, kv := range c.Env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := env[k]; dup {
			t.Errorf("%s set twice", k)
		}
		env[k] = v
	}
	if env["PYTHONNOUSERSITE"] != "1" || env["SOURCE_DATE_EPOCH"] != "315532800" || strings.Contains(env["PYTHONPATH"], "/should/not/leak") ||
		!strings.HasSuffix(env["PYTHONPATH"], string(os.PathListSeparator)+env["_PYDEPOT_BUILD_SITE"]) {
		t.Errorf("env: %v", env)
	}
}

func TestBuildFailures(t *testing.T) {
	src := t.TempDir()
	if err := os.CopyFS(src, os.DirFS("testdata/intree")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err := BuildTree(ctx, src, t.TempDir(), Options{Interpreter: debianPython, ConfigSettings: map[string]string{"fail": "please"}})
	var be *BuildError
	if !errors.As(err, &be) || be.Hook != "build_wheel" || !strings.Contains(err.Error(), "RuntimeError: asked to fail: please") ||
		!strings.Contains(be.Tail, "Traceback") {
		t.Fatalf("failing backend: %v", err)
	}

	start := time.Now()
	_, err = BuildTree(ctx, src, t.TempDir(), Options{Interpreter: debianPython, Timeout: 2 * time.Second, ExtraEnv: []string{"INTREE_SLEEP=60"}})
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "timed out after 2s") || time.Since(start) > 30*time.Second {
		t.Fatalf("timeout: %v after %s", err, time.Since(start))
	}

	_, err = BuildTree(ctx, src, t.TempDir(), Options{Interpreter: "/nonexistent/python"})
	if !errors.As(err, &be) {
		t.Fatalf("missing interpreter: %v", err)
	}

	// The legacy project needs requirements but no callback is given.
	leg := t.TempDir()
	if err := os.CopyFS(leg, os.DirFS("testdata/legacy")); err != nil {
		t.Fatal(err)
	}
	if _, err := BuildTree(ctx, leg, t.TempDir(), Options{Interpreter: debianPython}); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("no callback: %v", err)
	}
	cbErr := errors.New("index unreachable")
	_, err = BuildTree(ctx, leg, t.TempDir(), Options{Interpreter: debianPython,
		InstallRequirements: func(context.Context, []string, string) error { return cbErr }})
	if !errors.Is(err, cbErr) || !strings.Contains(err.Error(), "setuptools>=40.8.0") {
		t.Fatalf("callback error: %v", err)
	}

	bad := filepath.Join(t.TempDir(), "x.rar")
	os.WriteFile(bad, []byte("x"), 0o644)
	if _, err := Build(ctx, bad, t.TempDir(), Options{}); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("not an sdist: %v", err)
	}
}

func TestReadBuildSystem(t *testing.T) {
	tests := []struct {
		name, toml string
		want       BuildSystem
		err        string
	}{
		{"no file", "", BuildSystem{Requires: []string{"setuptools>=40.8.0"}, Backend: "setuptools.build_meta:__legacy__"}, ""},
		{"no table", "[project]\nname = \"x\"\n", BuildSystem{Requires: []string{"setuptools>=40.8.0"}, Backend: "setuptools.build_meta:__legacy__"}, ""},
		{"no backend", "[build-system]\nrequires = [\"setuptools\", \"cython\"]\n",
			BuildSystem{Requires: []string{"setuptools", "cython"}, Backend: "setuptools.build_meta:__legacy__"}, ""},
		{"hatch", "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n",
			BuildSystem{Requires: []string{"hatchling"}, Backend: "hatchling.build"}, ""},
		{"backend path", "[build-system]\nrequires = []\nbuild-backend = \"b\"\nbackend-path = [\".\", \"tools/b\"]\n",
			BuildSystem{Requires: []string{}, Backend: "b", BackendPath: []string{".", "tools/b"}}, ""},
		{"no requires", "[build-system]\nbuild-backend = \"b\"\n", BuildSystem{}, "has no requires"},
		{"escape", "[build-system]\nrequires = []\nbackend-path = [\"../x\"]\n", BuildSystem{}, "leaves the source tree"},
		{"absolute", "[build-system]\nrequires = []\nbackend-path = [\"/usr/lib\"]\n", BuildSystem{}, "leaves the source tree"},
		{"bad toml", "[build-system\n", BuildSystem{}, "pyproject.toml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.toml != "" {
				os.WriteFile(filepath.Join(dir, "pyproject.toml"), []byte(tt.toml), 0o644)
			}
			got, err := ReadBuildSystem(dir)
			if tt.err != "" {
				if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Requires, tt.want.Requires) || got.Backend != tt.want.Backend || !slices.Equal(got.BackendPath, tt.want.BackendPath) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// writeSdist writes name-version.tar.gz with the given files under name-version/.
func writeSdist(t *testing.T, dir, base string, files map[string]string) string {
	t.Helper()
	p := filepath.Join(dir, base+".tar.gz")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	for _, n := range slices.Sorted(maps.Keys(files)) {
		body := files[n]
		if err := tw.WriteHeader(&tar.Header{Name: base + "/" + n, Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(946684800, 0)}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	f.Close()
	return p
}

// An sdist whose PKG-INFO (Metadata-Version 2.1) lists no Requires-Dist while its build
// declares dependencies: Metadata asks the setuptools backend, which knows them; an
// in-tree backend without prepare_metadata_for_build_wheel gives its wheel's METADATA.
func TestMetadata(t *testing.T) {
	testdist.NeedDebian(t, "/usr/share/python-wheels/wheel-*.whl", "python3-setuptools-whl", "python3-wheel-whl")
	sd := writeSdist(t, t.TempDir(), "olddeps-1.0", map[string]string{
		"PKG-INFO":       "Metadata-Version: 2.1\nName: olddeps\nVersion: 1.0\n",
		"pyproject.toml": "[build-system]\nrequires = [\"setuptools>=40.8.0\"]\nbuild-backend = \"setuptools.build_meta\"\n[project]\nname = \"olddeps\"\nversion = \"1.0\"\ndependencies = [\"six>=1.0\", \"idna; python_version >= '3'\"]\n[tool.setuptools]\npy-modules = [\"olddeps\"]\n",
		"olddeps.py":     "X = 1\n",
	})
	var log strings.Builder
	wi := &wheelInstaller{}
	md, err := Metadata(context.Background(), sd, Options{Interpreter: debianPython, InstallRequirements: wi.install, Output: &log, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if !strings.Contains(string(md), "Requires-Dist: six") || !strings.Contains(string(md), "Requires-Dist: idna") {
		t.Errorf("metadata lacks the declared dependencies:\n%s", md)
	}
	if strings.Contains(log.String(), "running bdist_wheel") {
		t.Errorf("the setuptools backend built a wheel instead of preparing metadata:\n%s", log.String())
	}

	md, err = Metadata(context.Background(), sdist(t, "intree"), Options{Interpreter: debianPython, WorkDir: t.TempDir()})
	if err != nil || !strings.Contains(string(md), "Name: intree") {
		t.Errorf("in-tree backend: %v\n%s", err, md)
	}
}
