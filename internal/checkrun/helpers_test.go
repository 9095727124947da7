package checkrun_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/checkrun"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/interpreters"
	"github.com/pydepot/pydepot/internal/simpleindex"
	"github.com/pydepot/pydepot/internal/testdist"
	"github.com/pydepot/pydepot/internal/testserver"
)

// writeSdist writes name-version.tar.gz holding files under name-version/, with a
// PKG-INFO; written in Go, so no setup.py runs on the host.
func writeSdist(t *testing.T, dir, name, version string, files map[string]string, requires ...string) string {
	t.Helper()
	base := name + "-" + version
	files = maps.Clone(files)
	pkgInfo := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", name, version)
	for _, r := range requires {
		pkgInfo += "Requires-Dist: " + r + "\n"
	}
	files["PKG-INFO"] = pkgInfo
	p := filepath.Join(dir, base+".tar.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, n := range slices.Sorted(maps.Keys(files)) {
		body := files[n]
		if err := tw.WriteHeader(&tar.Header{Name: base + "/" + n, Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(946684800, 0), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeWheel writes name-version-py3-none-any.whl holding files (paths in the wheel)
// with its dist-info and RECORD.
func writeWheel(t *testing.T, dir, name, version string, files map[string]string) string {
	t.Helper()
	info := name + "-" + version + ".dist-info"
	files = maps.Clone(files)
	files[info+"/METADATA"] = fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", name, version)
	files[info+"/WHEEL"] = "Wheel-Version: 1.0\nGenerator: checkrun-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var rec strings.Builder
	for _, n := range slices.Sorted(maps.Keys(files)) {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, files[n])
		sum := sha256.Sum256([]byte(files[n]))
		fmt.Fprintf(&rec, "%s,sha256=%s,%d\n", n, base64.RawURLEncoding.EncodeToString(sum[:]), len(files[n]))
	}
	fmt.Fprintf(&rec, "%s/RECORD,,\n", info)
	w, _ := zw.Create(info + "/RECORD")
	io.WriteString(w, rec.String())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+"-"+version+"-py3-none-any.whl")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// debianWheels are setuptools and wheel from Debian's python3-setuptools-whl and
// python3-wheel-whl: the build requirements the test index serves.
func debianWheels(t testing.TB) []string {
	t.Helper()
	testdist.NeedDebian(t, "/usr/share/python-wheels/setuptools-*.whl", "python3-setuptools-whl")
	testdist.NeedDebian(t, "/usr/share/python-wheels/wheel-*.whl", "python3-wheel-whl")
	var out []string
	for _, g := range []string{"setuptools-*.whl", "wheel-*.whl"} {
		m, _ := filepath.Glob(filepath.Join("/usr/share/python-wheels", g))
		out = append(out, m...)
	}
	return out
}

// indexSource starts a pydepot test server serving files in repository main and
// returns the Source over its simple index.
func indexSource(t testing.TB, files ...string) func(context.Context, string) (checkrun.Source, error) {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{Setup: testserver.UploadFiles("main", files...)})
	c, err := simpleindex.New([]string{srv.URL + "/simple/"}, srv.Client(), simpleindex.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	src := checkrun.IndexSource(c, nil)
	return func(context.Context, string) (checkrun.Source, error) { return src, nil }
}

// python311 finds Debian's 3.11 interpreter by version (the one whose prefix is /usr):
// Debian's setuptools wheel is patched for it (its install_lib asks Debian's install
// command for install_layout, which a pyenv build lacks).
func python311(ctx context.Context, _ string) (*interpreters.Interpreter, error) {
	for _, in := range interpreters.Discover(ctx, interpreters.Options{}) {
		if in.MajorMinor() == "3.11" && in.BasePrefix == "/usr" {
			return in, nil
		}
	}
	return nil, errors.New("no Debian Python 3.11 (prefix /usr): run make test-deps")
}

func input(t *testing.T, path string) checkreport.Input {
	return checkreport.Input{
		Repository: "main", Filename: filepath.Base(path), Dir: t.TempDir(),
		Open: func(context.Context) (io.ReadCloser, error) { return os.Open(path) },
	}
}

func task(t *testing.T, r *checkreport.Report, name string) *checkreport.Task {
	t.Helper()
	tk := r.Task(name)
	if tk == nil {
		t.Fatalf("no task %s in the report", name)
	}
	return tk
}

func dump(r *checkreport.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", r.Summary())
	for _, t := range r.Tasks {
		fmt.Fprintf(&b, "== %s %s %dms %s\n%s\n", t.Name, t.Status, t.DurationMS, t.Error, t.Log)
	}
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "finding %s %s %s: %s\n", f.Task, f.Kind, f.Severity, f.Detail)
	}
	return b.String()
}

func openFile(path string) func(context.Context) (io.ReadCloser, error) {
	return func(context.Context) (io.ReadCloser, error) { return os.Open(path) }
}

// testConfig is the Config of the tests, wired as serve runs it (sandbox, strace, trace
// report, decoys): the test index of files, Debian's 3.11.
func testConfig(t testing.TB, files ...string) checkrun.Config {
	return checkrun.Wire(checkrun.Config{Interpreter: python311, Source: indexSource(t, files...), Limits: checkrun.Limits{Time: 2 * time.Minute}})
}

// benchConfig is testConfig.
func benchConfig(b *testing.B, files ...string) checkrun.Config { return testConfig(b, files...) }
