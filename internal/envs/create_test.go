package envs

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/envrun"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/interpreters"
	"github.com/pydepot/pydepot/internal/resolver"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

// projects are small real projects built with `python3 -m build --no-isolation`.
var projects = map[string]map[string]string{
	"demolib-1.0": {
		"pyproject.toml": "[build-system]\nrequires=[\"setuptools\"]\nbuild-backend=\"setuptools.build_meta\"\n[project]\nname=\"demolib\"\nversion=\"1.0\"\n",
		"demolib.py":     "def greet(who):\n    return 'hello ' + who + ' from demolib 1.0'\n",
	},
	"demolib-2.0": {
		"pyproject.toml": "[build-system]\nrequires=[\"setuptools\"]\nbuild-backend=\"setuptools.build_meta\"\n[project]\nname=\"demolib\"\nversion=\"2.0\"\n",
		"demolib.py":     "def greet(who):\n    return 'hello ' + who + ' from demolib 2.0'\n",
	},
	"demoapp-1.0": {
		"pyproject.toml": "[build-system]\nrequires=[\"setuptools\"]\nbuild-backend=\"setuptools.build_meta\"\n[project]\nname=\"demoapp\"\nversion=\"1.0\"\ndependencies=[\"demolib<2\", \"demo-src\"]\n[project.scripts]\ndemoapp=\"demoapp:main\"\n",
		"demoapp.py": "import sys, demolib, demo_src\ndef main():\n    print(demolib.greet(demo_src.NAME))\n" +
			"    sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)\n",
	},
	// only an sdist of this one is served: create must build it
	"demo_src-0.1": {
		"pyproject.toml": "[build-system]\nrequires=[\"setuptools>=40.8\"]\nbuild-backend=\"setuptools.build_meta\"\n[project]\nname=\"demo-src\"\nversion=\"0.1\"\n",
		"demo_src.py":    "NAME = 'demo-src'\n",
	},
}

var (
	distsOnce sync.Once
	dists     []string
	distsErr  error
)

// buildDists builds the demo projects once per test binary.
func buildDists(t *testing.T) []string {
	t.Helper()
	distsOnce.Do(func() {
		out, err := os.MkdirTemp("", "pydepot-envs-dists-")
		if err != nil {
			distsErr = err
			return
		}
		for name, files := range projects {
			src := filepath.Join(out, "src", name)
			for f, body := range files {
				os.MkdirAll(src, 0o755)
				if err := os.WriteFile(filepath.Join(src, f), []byte(body), 0o644); err != nil {
					distsErr = err
					return
				}
			}
			kind := "--wheel"
			if strings.HasPrefix(name, "demo_src") {
				kind = "--sdist"
			}
			cmd := exec.Command("/usr/bin/python3.11", "-m", "build", "--no-isolation", kind, "--outdir", filepath.Join(out, "dist"), src)
			cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=946684800")
			if b, err := cmd.CombinedOutput(); err != nil {
				distsErr = errors.New("python3 -m build " + name + ": " + err.Error() + "\n" + string(b))
				return
			}
		}
		built, _ := filepath.Glob(filepath.Join(out, "dist", "*"))
		system, _ := filepath.Glob("/usr/share/python-wheels/*.whl")
		dists = append(built, system...)
	})
	if distsErr != nil {
		t.Fatal(distsErr)
	}
	return dists
}

func testOptions(t *testing.T, url string) Options {
	return Options{
		IndexURLs: []string{url}, Python: "3.11", CacheDir: filepath.Join(t.TempDir(), "cache"),
		OutDir: t.TempDir(), Discovery: interpreters.Options{PATH: "/usr/bin"},
		Log: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func TestCreateEndToEnd(t *testing.T) {
	ctx := context.Background()
	srv := indextest.New(t, buildDists(t), indextest.Options{})
	o := testOptions(t, srv.SimpleURL)
	spec, err := ReadSpec("deps.json", []byte(`{"python": "3.11.2", "modules": ["ignored"], "requirements": ["demoapp"]}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Create(ctx, spec, "demo", o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reused || res.Built != 1 || len(res.Pins) != 3 {
		t.Errorf("first create: reused %v built %d pins %d", res.Reused, res.Built, len(res.Pins))
	}
	if p := findPin(res.Pins, "demolib"); p == nil || p.Version.String() != "1.0" {
		t.Errorf("demolib pin %+v", p)
	}
	first, err := os.ReadFile(res.Output)
	if err != nil {
		t.Fatal(err)
	}

	// Move the tarball elsewhere and run it with a PATH that holds no Python.
	moved := filepath.Join(t.TempDir(), "demo.tar.gz")
	if err := os.WriteFile(moved, first, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := noPythonPath(t)
	var out, errb bytes.Buffer
	status, err := envrun.Run(ctx, envrun.Options{Env: moved, Argv: []string{"demoapp", "9"}, CacheDir: filepath.Join(t.TempDir(), "rc"),
		Environ: []string{"PATH=" + empty, "HOME=" + empty}, Stdout: &out, Stderr: &errb})
	if err != nil || status != 9 {
		t.Fatalf("run: status %d err %v stderr %s", status, err, errb.String())
	}
	if got := strings.TrimSpace(out.String()); got != "hello demo-src from demolib 1.0" {
		t.Errorf("demoapp printed %q", got)
	}

	// Identical lock: reused, fast, same bytes.
	start := time.Now()
	res2, err := Create(ctx, spec, "demo", o)
	if err != nil {
		t.Fatal(err)
	}
	warm := time.Since(start)
	second, _ := os.ReadFile(res2.Output)
	if !res2.Reused || !bytes.Equal(first, second) || res2.LockDigest != res.LockDigest {
		t.Errorf("warm create: reused %v same bytes %v", res2.Reused, bytes.Equal(first, second))
	}
	t.Logf("cold %s, warm %s, %d bytes", res.Elapsed, warm, len(first))

	// A fresh build of the same lock gives the same bytes.
	o.NoReuse = true
	o.OutDir = t.TempDir()
	res3, err := Create(ctx, spec, "demo", o)
	if err != nil {
		t.Fatal(err)
	}
	third, _ := os.ReadFile(res3.Output)
	if res3.Reused || res3.Downloaded != 0 || res3.Built != 0 || !bytes.Equal(first, third) {
		t.Errorf("rebuild: reused %v downloaded %d built %d same bytes %v", res3.Reused, res3.Downloaded, res3.Built, bytes.Equal(first, third))
	}
}

func TestCreateNoPack(t *testing.T) {
	ctx := context.Background()
	srv := indextest.New(t, buildDists(t), indextest.Options{})
	o := testOptions(t, srv.SimpleURL)
	o.NoPack = true
	spec, err := ReadSpec("requirements.txt", []byte("demolib==2.0  # the newest\n"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Create(ctx, spec, "plain", o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Output != filepath.Join(o.OutDir, "plain") {
		t.Errorf("output %s", res.Output)
	}
	for _, f := range []string{"pylock.toml", envrun.ManifestPath, "bin/python3"} {
		if _, err := os.Stat(filepath.Join(res.Output, f)); err != nil {
			t.Error(err)
		}
	}
	out, err := exec.Command(filepath.Join(res.Output, "bin", "python3"), "-c", "import demolib; print(demolib.greet('x'))").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "hello x from demolib 2.0" {
		t.Errorf("%v %s", err, out)
	}
	if _, err := Create(ctx, spec, "plain", o); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("second no-pack create: %v", err)
	}
}

func TestCreateErrors(t *testing.T) {
	ctx := context.Background()
	srv := indextest.New(t, buildDists(t), indextest.Options{})
	tests := []struct {
		name   string
		spec   string
		python string
		is     error
		msg    string
	}{
		{"no interpreter", "demolib\n", "3.5", errs.ErrNotFound, "no Python 3.5 interpreter found; found "},
		{"conflict", "demoapp\ndemolib>=2\n", "3.11", errs.ErrConflict, "demolib"},
		{"missing project", "no-such-project\n", "3.11", errs.ErrNotFound, "no-such-project is not on " + srv.SimpleURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions(t, srv.SimpleURL)
			o.Python = tt.python
			spec, err := ReadSpec("requirements.txt", []byte(tt.spec))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Create(ctx, spec, "x", o)
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v", err)
			}
			var ce *resolver.ConflictError
			if tt.is == errs.ErrConflict && !errors.As(err, &ce) {
				t.Errorf("not a ConflictError: %T", err)
			}
		})
	}
}

// noPythonPath returns a directory holding the usual tools (the installer's launchers use
// dirname and realpath) and no Python.
func noPythonPath(t *testing.T) string {
	dir := t.TempDir()
	for _, tool := range []string{"sh", "dirname", "realpath", "cat", "env", "ls"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func findPin(pins []resolver.Pin, name string) *resolver.Pin {
	for i := range pins {
		if pins[i].Name == name {
			return &pins[i]
		}
	}
	return nil
}
