package index_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/testdist"
)

// buildDir holds the distributions built once for the whole test binary.
var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// python is the Debian interpreter that has python3-build, python3-setuptools and
// python3-wheel (the test setup installs them; the test fails when they are missing).
func python(t testing.TB) string {
	t.Helper()
	return testdist.DebianBuildPython(t)
}

// demoVersions are built as wheels of project demo_pkg; the first one also as an sdist.
var demoVersions = []string{"1.10", "1.9", "2.0rc1", "2.0", "1.0.post1"}

// built returns the path of every distribution built by `python3 -m build
// --no-isolation` for demoVersions (keyed by file name).
func built(t testing.TB) map[string]string {
	t.Helper()
	py := python(t)
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "pydepot-index-test-")
		if buildErr != nil {
			return
		}
		// Made here, before the builds: each one makes its --outdir when missing with
		// os.makedirs, and two at once failed with FileExistsError (a CI run under -race).
		if buildErr = os.Mkdir(filepath.Join(buildDir, "dist"), 0o755); buildErr != nil {
			return
		}
		var wg sync.WaitGroup
		errs := make([]error, len(demoVersions))
		for i, v := range demoVersions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = buildDemo(py, filepath.Join(buildDir, "src-"+v), filepath.Join(buildDir, "dist"), v, i == 0)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				buildErr = err
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	out := map[string]string{}
	ents, err := os.ReadDir(filepath.Join(buildDir, "dist"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		out[e.Name()] = filepath.Join(buildDir, "dist", e.Name())
	}
	return out
}

func buildDemo(py, src, dist, version string, sdist bool) error {
	if err := os.MkdirAll(filepath.Join(src, "src", "demo_pkg"), 0o755); err != nil {
		return err
	}
	pyproject := fmt.Sprintf(`[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "demo_pkg"
version = %q
description = "A demo package for pydepot tests"
requires-python = ">=3.8"
dependencies = ["requests>=2"]
`, version)
	if err := os.WriteFile(filepath.Join(src, "pyproject.toml"), []byte(pyproject), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(src, "src", "demo_pkg", "__init__.py"), []byte("VERSION = "+fmt.Sprintf("%q", version)+"\n"), 0o644); err != nil {
		return err
	}
	args := []string{"-m", "build", "--no-isolation", "--outdir", dist}
	if !sdist {
		args = append(args, "--wheel")
	}
	cmd := exec.Command(py, append(args, src)...)
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building demo_pkg %s: %v\n%s", version, err, out)
	}
	return nil
}

// systemWheels are the wheels Debian ships.
func systemWheels(t testing.TB) map[string]string {
	t.Helper()
	paths, _ := filepath.Glob("/usr/share/python-wheels/*.whl")
	if len(paths) == 0 {
		t.Fatal("no wheels in /usr/share/python-wheels (run `make test-deps`, which installs Debian's python3-pip-whl and python3-setuptools-whl)")
	}
	out := map[string]string{}
	for _, p := range paths {
		out[filepath.Base(p)] = p
	}
	return out
}

func pick(t testing.TB, m map[string]string, prefix string) (string, []byte) {
	t.Helper()
	var names []string
	for n := range m {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	if len(names) != 1 {
		t.Fatalf("want one file starting with %q, have %v", prefix, names)
	}
	data, err := os.ReadFile(m[names[0]])
	if err != nil {
		t.Fatal(err)
	}
	return names[0], data
}

func newService(t testing.TB) *index.Service {
	t.Helper()
	return newServiceAt(t, t.TempDir())
}

func newServiceAt(t testing.TB, dir string) *index.Service {
	t.Helper()
	s, closeFn, err := backends.OpenDir(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })
	if err := s.EnsureDefaults(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// addRows writes files straight through the metadata store (no blobs, no checks) as a
// new version of the repository main, each file's RepositoryID set.
func addRows(t testing.TB, s *index.Service, message string, files ...*metastore.File) {
	t.Helper()
	ctx := context.Background()
	err := s.Store().InTx(ctx, func(tx metastore.Tx) error {
		r, err := tx.Repository(ctx, "main")
		if err != nil {
			return err
		}
		n, err := tx.BeginVersion(ctx, r.ID, message, time.Now())
		if err != nil {
			return err
		}
		for _, f := range files {
			f.RepositoryID = r.ID
			if _, err := tx.AddFile(ctx, f, n); err != nil {
				return err
			}
		}
		return tx.FinishVersion(ctx, r.ID, n, time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
}

func upload(t testing.TB, s *index.Service, filename string, data []byte) *index.File {
	t.Helper()
	f, _, err := s.Upload(context.Background(), index.Upload{Repository: "main", Filename: filename, Content: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("uploading %s: %v", filename, err)
	}
	return f
}

func mainDist(t testing.TB, s *index.Service) *index.Distribution {
	t.Helper()
	d, err := s.Distribution(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// withComment returns a copy of a zip archive with another archive comment: the same
// members, other bytes.
func withComment(t testing.TB, data []byte, comment string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	zw.SetComment(comment)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipMember reads one member of a zip archive.
func zipMember(t testing.TB, data []byte, suffix string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, suffix) && strings.Count(f.Name, "/") == 1 {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, _ := io.ReadAll(rc)
			return b
		}
	}
	t.Fatalf("no member ending in %s", suffix)
	return nil
}

// synthWheel builds a minimal valid wheel of name-version in memory (for benchmarks that
// need many distinct files).
func synthWheel(name, version string) (string, []byte) {
	dist := strings.ReplaceAll(name, "-", "_")
	di := dist + "-" + version + ".dist-info/"
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files := []struct{ name, body string }{
		{dist + "/__init__.py", "X = 1\n"},
		{di + "METADATA", "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\nSummary: synthetic\nRequires-Python: >=3.8\n\n"},
		{di + "WHEEL", "Wheel-Version: 1.0\nGenerator: pydepot-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		{di + "top_level.txt", dist + "\n"},
		{di + "RECORD", ""},
	}
	for _, f := range files {
		w, _ := zw.Create(f.name)
		io.WriteString(w, f.body)
	}
	zw.Close()
	return dist + "-" + version + "-py3-none-any.whl", buf.Bytes()
}

// snapshot is everything observable about a service's state, to compare before and
// after an operation that must change nothing.
type snapshot struct {
	versions []index.RepositoryVersion
	projects []index.ProjectSummary
	serial   int64
	blobs    []string
}

func takeSnapshot(t testing.TB, s *index.Service) snapshot {
	t.Helper()
	ctx := context.Background()
	var sn snapshot
	var err error
	if sn.versions, err = s.Versions(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	if sn.projects, sn.serial, err = s.Projects(ctx, mainDist(t, s)); err != nil {
		t.Fatal(err)
	}
	err = s.Blobs().Walk(ctx, func(sha string, size int64) error {
		sn.blobs = append(sn.blobs, fmt.Sprintf("%s:%d", sha, size))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tmp, _ := blobstore.List(ctx, s.Blobs().Driver(), "")
	sn.blobs = append(sn.blobs, fmt.Sprintf("objects:%d", len(tmp)))
	slices.Sort(sn.blobs)
	return sn
}

func (a snapshot) equal(b snapshot) bool {
	return slices.Equal(a.versions, b.versions) && slices.Equal(a.projects, b.projects) &&
		a.serial == b.serial && slices.Equal(a.blobs, b.blobs)
}
