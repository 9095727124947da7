package resolver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/simpleindex"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
	"github.com/pydepot/pydepot/internal/tags"
)

// buildDist builds a small project with python3 -m build (Debian's python3-build) and
// returns the path of the wheel or sdist (kind "wheel" or "sdist").
func buildDist(t *testing.T, kind, name, version string, deps []string) string {
	t.Helper()
	dir := t.TempDir()
	quoted := make([]string, len(deps))
	for i, d := range deps {
		quoted[i] = fmt.Sprintf("%q", d)
	}
	pyproject := fmt.Sprintf(`[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = %q
version = %q
requires-python = ">=3.8"
dependencies = [%s]

[project.optional-dependencies]
extra = ["wheel"]
`, name, version, strings.Join(quoted, ", "))
	pkg := strings.ReplaceAll(name, "-", "_")
	if err := os.MkdirAll(filepath.Join(dir, pkg), 0o755); err != nil {
		t.Fatal(err)
	}
	for path, content := range map[string]string{"pyproject.toml": pyproject, pkg + "/__init__.py": "X = 1\n"} {
		if err := os.WriteFile(filepath.Join(dir, path), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "dist")
	cmd := exec.Command("/usr/bin/python3", "-m", "build", "--no-isolation", "--"+kind, "--outdir", out, dir)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("python3 -m build: %v\n%s", err, b)
	}
	made, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(made) != 1 {
		t.Fatalf("build made %v", made)
	}
	return made[0]
}

func TestResolveOverHTTP(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Fatal("needs /usr/bin/python3 with python3-build")
	}
	system, err := filepath.Glob("/usr/share/python-wheels/*.whl")
	if err != nil || len(system) < 3 {
		t.Fatalf("need the wheels in /usr/share/python-wheels: %v", err)
	}
	appWheel := buildDist(t, "wheel", "demo-app", "1.0", []string{"pip>=20,<30", "setuptools>=60", `nothing-here; sys_platform == "win32"`, "demo-lib"})
	appWheel2 := buildDist(t, "wheel", "demo-app", "2.0", []string{"pip>=30"})
	libSdist := buildDist(t, "sdist", "demo-lib", "0.5", []string{"wheel"})
	files := append(append([]string{}, system...), appWheel, appWheel2, libSdist)
	target := &tags.Target{Implementation: "cp", Major: 3, Minor: 11, OS: "linux", Arch: "x86_64", Libc: "glibc", LibcMajor: 2, LibcMinor: 36}

	for _, html := range []bool{false, true} {
		t.Run(fmt.Sprintf("html=%v", html), func(t *testing.T) {
			srv := indextest.New(t, files, indextest.Options{HTML: html})
			c, err := simpleindex.New([]string{srv.SimpleURL}, nil, simpleindex.Options{TempDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			req := baseRequest("demo_app[extra]")
			req.Target = target
			p := NewIndexProvider(c, nil)
			built := 0
			p.SdistMetadata = func(ctx context.Context, f simpleindex.File) ([]byte, error) {
				// Setuptools writes PKG-INFO 2.1, which PEP 643 does not let us trust.
				built++
				return c.Metadata(ctx, f)
			}
			res, err := Resolve(context.Background(), p, req)
			if err != nil {
				t.Fatal(err)
			}
			if built != 1 {
				t.Errorf("SdistMetadata called %d times, want 1 (demo-lib)", built)
			}
			if got, want := pins(res), "demo-app[extra]==1.0 demo-lib==0.5 pip==23.0.1 setuptools==66.1.1 wheel==0.38.4"; got != want {
				t.Errorf("pins = %s, want %s", got, want)
			}
			for _, p := range res.Pins {
				if p.File.SHA256 != srv.SHA256(p.File.Filename) || !strings.HasPrefix(p.File.URL, srv.URL+"/files/") {
					t.Errorf("%s: file %+v", p.Name, p.File)
				}
				if p.File.Sdist != (p.Name == "demo-lib") {
					t.Errorf("%s: Sdist = %v", p.Name, p.File.Sdist)
				}
			}
			if got := strings.Join(res.Pin("demo-app").Dependencies, ","); got != "demo-lib,pip,setuptools,wheel" {
				t.Errorf("demo-app deps = %s", got)
			}
		})
	}

	t.Run("yanked and explained", func(t *testing.T) {
		srv := indextest.New(t, files, indextest.Options{Yanked: map[string]string{filepath.Base(system[0]): "test yank"}})
		c, _ := simpleindex.New([]string{srv.SimpleURL}, nil, simpleindex.Options{})
		name := strings.SplitN(filepath.Base(system[0]), "-", 2)[0]
		_, err := Resolve(context.Background(), NewIndexProvider(c, nil), baseRequest(name))
		if err == nil || !strings.Contains(err.Error(), "is yanked (test yank)") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("missing project names the index", func(t *testing.T) {
		srv := indextest.New(t, files, indextest.Options{})
		c, _ := simpleindex.New([]string{srv.SimpleURL}, nil, simpleindex.Options{})
		_, err := Resolve(context.Background(), NewIndexProvider(c, nil), baseRequest("requests"))
		var me *MissingError
		if !errors.As(err, &me) || !strings.HasPrefix(err.Error(), "requests is not on "+strings.TrimSuffix(srv.SimpleURL, "/")) {
			t.Errorf("err = %v, want requests is not on %s", err, srv.SimpleURL)
		}
	})
}

// BenchmarkResolveOverHTTP resolves the system wheels through a fresh client each time
// (cold page cache, PEP 658 metadata), as create does.
func BenchmarkResolveOverHTTP(b *testing.B) {
	system, err := filepath.Glob("/usr/share/python-wheels/*.whl")
	if err != nil || len(system) < 3 {
		b.Fatalf("need the wheels in /usr/share/python-wheels: %v", err)
	}
	srv := indextest.New(b, system, indextest.Options{})
	var names []string
	for _, p := range system {
		names = append(names, strings.SplitN(filepath.Base(p), "-", 2)[0])
	}
	req := baseRequest(names...)
	for b.Loop() {
		c, err := simpleindex.New([]string{srv.SimpleURL}, nil, simpleindex.Options{})
		if err != nil {
			b.Fatal(err)
		}
		res, err := Resolve(context.Background(), NewIndexProvider(c, nil), req)
		if err != nil || len(res.Pins) != len(system) {
			b.Fatalf("%v %v", res, err)
		}
	}
}
