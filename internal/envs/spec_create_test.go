package envs

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/pylock"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

// handWheel writes a pure-Python wheel name-version-py3-none-any.whl into dir with the
// given modules (path → source) and Requires-Dist lines.
func handWheel(t *testing.T, dir, name, version string, deps []string, files map[string]string) string {
	t.Helper()
	dist := strings.ReplaceAll(name, "-", "_")
	di := dist + "-" + version + ".dist-info/"
	md := "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n"
	for _, d := range deps {
		md += "Requires-Dist: " + d + "\n"
	}
	all := maps.Clone(files)
	if all == nil {
		all = map[string]string{}
	}
	all[di+"METADATA"] = md
	all[di+"WHEEL"] = "Wheel-Version: 1.0\nGenerator: pydepot-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
	var record strings.Builder
	for _, p := range slices.Sorted(maps.Keys(all)) {
		sum := sha256.Sum256([]byte(all[p]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", p, base64.RawURLEncoding.EncodeToString(sum[:]), len(all[p]))
	}
	record.WriteString(di + "RECORD,,\n")
	all[di+"RECORD"] = record.String()
	p := filepath.Join(dir, dist+"-"+version+"-py3-none-any.whl")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range slices.Sorted(maps.Keys(all)) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: time.Unix(946684800, 0)})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(all[n]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// handSdist writes base.tar.gz (base = name-version) with files under base/.
func handSdist(t *testing.T, dir, base string, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, n := range slices.Sorted(maps.Keys(files)) {
		if err := tw.WriteHeader(&tar.Header{Name: base + "/" + n, Mode: 0o644, Size: int64(len(files[n])), ModTime: time.Unix(946684800, 0)}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(files[n]))
	}
	tw.Close()
	zw.Close()
	p := filepath.Join(dir, base+".tar.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fileDigests returns the hex sha256 and sha512 of a file.
func fileDigests(t *testing.T, p string) (string, string) {
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	a, b := sha256.Sum256(data), sha512.Sum512(data)
	return hex.EncodeToString(a[:]), hex.EncodeToString(b[:])
}

// logBuffer collects a Create's log (and still shows it in the test log).
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
	t  *testing.T
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.t.Log(strings.TrimSpace(string(p)))
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func capture(t *testing.T, o *Options) *logBuffer {
	lb := &logBuffer{t: t}
	o.Log = slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelInfo}))
	return lb
}

// specFile writes a spec into a fresh folder and reads it.
func specFile(t *testing.T, name, text string) *Spec {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := ReadSpec(p, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// handIndex is a test index of small hand-made distributions.
type handIndex struct {
	dir                string
	demolib1, demolib2 string // wheels
	app, yaml          string // wheels: app needs demolib<2; yaml provides the import yaml
	both, bothSdist    string // a wheel and an sdist of "both" 1.0
	olddeps            string // sdist whose PKG-INFO (2.1) lists no Requires-Dist, whose build needs demolib<2
}

func newHandIndex(t *testing.T) *handIndex {
	dir := t.TempDir()
	h := &handIndex{dir: dir}
	h.demolib1 = handWheel(t, dir, "demolib", "1.0", nil, map[string]string{"demolib.py": "V = '1.0'\n"})
	h.demolib2 = handWheel(t, dir, "demolib", "2.0", nil, map[string]string{"demolib.py": "V = '2.0'\n"})
	h.app = handWheel(t, dir, "handapp", "1.0", []string{"demolib<2"}, map[string]string{"handapp.py": "import demolib\n"})
	h.yaml = handWheel(t, dir, "PyYAML", "6.0", nil, map[string]string{"yaml/__init__.py": "def safe_load(s):\n    return s\n"})
	setup := "[build-system]\nrequires = [\"setuptools>=40.8.0\"]\nbuild-backend = \"setuptools.build_meta\"\n[tool.setuptools]\npy-modules = [\"%s\"]\n[project]\nname = \"%s\"\nversion = \"1.0\"\n%s"
	h.both = handWheel(t, dir, "both", "1.0", nil, map[string]string{"both.py": "FROM = 'wheel'\n"})
	h.bothSdist = handSdist(t, dir, "both-1.0", map[string]string{
		"PKG-INFO":       "Metadata-Version: 2.2\nName: both\nVersion: 1.0\n",
		"pyproject.toml": fmt.Sprintf(setup, "both", "both", ""),
		"both.py":        "FROM = 'sdist'\n",
	})
	h.olddeps = handSdist(t, dir, "olddeps-1.0", map[string]string{
		"PKG-INFO":       "Metadata-Version: 2.1\nName: olddeps\nVersion: 1.0\n",
		"pyproject.toml": fmt.Sprintf(setup, "olddeps", "olddeps", "dependencies = [\"demolib<2\"]\n"),
		"olddeps.py":     "import demolib\n",
	})
	return h
}

// serve starts an index over the hand-made files and the machine's setuptools and
// wheel (build requirements).
func (h *handIndex) serve(t *testing.T, opts indextest.Options, files ...string) *indextest.Server {
	system, _ := filepath.Glob("/usr/share/python-wheels/*.whl")
	if len(files) == 0 {
		files = []string{h.demolib1, h.demolib2, h.app, h.yaml, h.both, h.bothSdist, h.olddeps}
	}
	return indextest.New(t, append(files, system...), opts)
}

func pinNames(r *Result) string {
	var out []string
	for _, p := range r.Pins {
		out = append(out, p.Name+"=="+p.Version.String())
	}
	return strings.Join(out, " ")
}

// Issue 7: requirements.txt options were parsed and ignored. pip's hash-checking mode:
// a wrong --hash fails naming the file and both digests, a dependency without its own
// hashed line fails, a right sha256 or sha512 passes.
func TestCreateHashChecking(t *testing.T) {
	ctx := context.Background()
	h := newHandIndex(t)
	srv := h.serve(t, indextest.Options{})
	s256, s512 := fileDigests(t, h.demolib1)
	wrong := strings.Repeat("0", 64)
	tests := []struct {
		name, spec string
		err        []string // substrings of the error; nil = success
	}{
		{"wrong hash", "demolib==1.0 --hash=sha256:" + wrong + "\n",
			[]string{"demolib-1.0-py3-none-any.whl", "expected sha256:" + wrong, "sha256:" + s256}},
		{"dependency not hashed", "handapp==1.0 --hash=sha256:" + strings.Repeat("1", 64) + "\n", []string{"demolib==1.0", "hash-checking mode"}},
		{"right sha256", "demolib==1.0 --hash=sha256:" + wrong + " --hash=sha256:" + s256 + "\n", nil},
		{"wrong sha512 only", "demolib==1.0 --hash=sha512:" + strings.Repeat("a", 128) + "\n", []string{"expected sha512:aaaa", "sha512:" + s512}},
		{"right sha512", "demolib==1.0 --hash=sha512:" + s512 + "\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions(t, srv.SimpleURL)
			o.NoPack = true
			res, err := Create(ctx, specFile(t, "requirements.txt", tt.spec), "env", o)
			if tt.err == nil {
				if err != nil {
					t.Fatal(err)
				}
				if got := res.Lock.Packages[0].Wheels[0].Hashes["sha256"]; got != s256 {
					t.Errorf("lock records sha256 %s, want %s", got, s256)
				}
				return
			}
			if err == nil || !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			for _, want := range tt.err {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if _, serr := os.Stat(filepath.Join(o.OutDir, "env")); serr == nil {
				t.Error("a refused create left an environment")
			}
		})
	}
}

// --no-index with --find-links DIR installs from the folder and never asks the index;
// --find-links next to an index adds the folder's projects.
func TestCreateFindLinks(t *testing.T) {
	ctx := context.Background()
	h := newHandIndex(t)
	srv := h.serve(t, indextest.Options{}, h.demolib1)
	local := filepath.Join(t.TempDir(), "wheels")
	os.MkdirAll(local, 0o755)
	for _, f := range []string{h.demolib2, h.app} {
		data, _ := os.ReadFile(f)
		os.WriteFile(filepath.Join(local, filepath.Base(f)), data, 0o644)
	}
	dir := filepath.Dir(local)
	write := func(text string) *Spec {
		p := filepath.Join(dir, "requirements.txt")
		os.WriteFile(p, []byte(text), 0o644)
		s, err := ReadSpec(p, []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	o := testOptions(t, srv.SimpleURL)
	o.NoPack = true
	before := srv.Requests.Load()
	res, err := Create(ctx, write("--no-index\n--find-links wheels\ndemolib\n"), "local", o)
	if err != nil {
		t.Fatal(err)
	}
	if got := pinNames(res); got != "demolib==2.0" {
		t.Errorf("pins %s, want demolib==2.0 from the folder", got)
	}
	if n := srv.Requests.Load() - before; n != 0 {
		t.Errorf("--no-index asked the index %d times", n)
	}

	// folder + index: handapp only in the folder, its demolib<2 only on the index
	o.OutDir = t.TempDir()
	res, err = Create(ctx, write("-f wheels\nhandapp\n"), "both", o)
	if err != nil {
		t.Fatal(err)
	}
	if got := pinNames(res); got != "demolib==1.0 handapp==1.0" {
		t.Errorf("pins %s", got)
	}
}

// --only-binary refuses sdists, --no-binary builds the sdist although a wheel exists.
func TestCreateBinaryOptions(t *testing.T) {
	ctx := context.Background()
	h := newHandIndex(t)
	srv := h.serve(t, indextest.Options{})
	o := testOptions(t, srv.SimpleURL)
	o.NoPack = true
	res, err := Create(ctx, specFile(t, "requirements.txt", "--no-binary both\nboth\n"), "nb", o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Built != 1 || !res.Pins[0].File.Sdist {
		t.Errorf("--no-binary: built %d, file %s", res.Built, res.Pins[0].File.Filename)
	}
	out, err := exec.Command(filepath.Join(res.Output, "bin", "python3"), "-c", "import both; print(both.FROM)").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "sdist" {
		t.Errorf("--no-binary installed %q (%v)", out, err)
	}
	o.OutDir = t.TempDir()
	_, err = Create(ctx, specFile(t, "requirements.txt", "--only-binary :all:\nolddeps\n"), "ob", o)
	if !errors.Is(err, errs.ErrConflict) || !strings.Contains(err.Error(), "olddeps") || !strings.Contains(err.Error(), "--only-binary") {
		t.Errorf("--only-binary with only an sdist: %v (want the reason: --only-binary, not 'has no files')", err)
	}
	_, err = Create(ctx, specFile(t, "requirements.txt", "--no-binary :all:\ndemolib\n"), "nbw", o)
	if !errors.Is(err, errs.ErrConflict) || !strings.Contains(err.Error(), "--no-binary") {
		t.Errorf("--no-binary with only wheels: %v (want the reason: --no-binary)", err)
	}
}

// Issue 7: an sdist whose PKG-INFO (Metadata-Version 2.1) lists no Requires-Dist lost
// the dependencies its build declares; they come from prepare_metadata_for_build_wheel.
func TestCreateSdistDependencies(t *testing.T) {
	ctx := context.Background()
	h := newHandIndex(t)
	srv := h.serve(t, indextest.Options{})
	o := testOptions(t, srv.SimpleURL)
	o.NoPack = true
	res, err := Create(ctx, specFile(t, "requirements.txt", "olddeps\n"), "od", o)
	if err != nil {
		t.Fatal(err)
	}
	if got := pinNames(res); got != "demolib==1.0 olddeps==1.0" {
		t.Errorf("pins %s, want olddeps and its build-declared demolib<2", got)
	}
	out, err := exec.Command(filepath.Join(res.Output, "bin", "python3"), "-c", "import olddeps, demolib; print(demolib.V)").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "1.0" {
		t.Errorf("import olddeps: %q (%v)", out, err)
	}
}

// Issue 7: "modules" are import names: the standard library is dropped and yaml is
// PyYAML; with both lists, the requirements are used and the disagreement is said.
func TestCreateModules(t *testing.T) {
	ctx := context.Background()
	h := newHandIndex(t)
	srv := h.serve(t, indextest.Options{})
	o := testOptions(t, srv.SimpleURL)
	o.NoPack = true
	spec, err := ReadSpec("deps.json", []byte(`{"python": "3.11", "modules": ["antigravity", "os", "yaml"]}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Create(ctx, spec, "mods", o)
	if err != nil {
		t.Fatal(err)
	}
	if got := pinNames(res); got != "pyyaml==6.0" {
		t.Errorf("pins %s, want pyyaml==6.0", got)
	}

	o.OutDir = t.TempDir()
	lb := capture(t, &o)
	spec, _ = ReadSpec("deps.json", []byte(`{"modules": ["yaml"], "requirements": ["demolib"]}`))
	res, err = Create(ctx, spec, "both", o)
	if err != nil {
		t.Fatal(err)
	}
	if got := pinNames(res); got != "demolib==2.0" {
		t.Errorf("pins %s", got)
	}
	if l := lb.String(); !strings.Contains(l, "modules and requirements disagree; using its requirements") || !strings.Contains(l, "modules_not_required=pyyaml") {
		t.Errorf("no disagreement warning:\n%s", l)
	}
}

// Issue 7: create pylock.toml packed 0 packages. The lock create writes is installed
// exactly (no resolution: demolib stays 1.0 although 2.0 is on the index), and a file
// that does not match the lock's hash is refused.
func TestCreateFromLock(t *testing.T) {
	ctx := context.Background()
	h := newHandIndex(t)
	srv := h.serve(t, indextest.Options{})
	o := testOptions(t, srv.SimpleURL)
	o.NoPack = true
	first, err := Create(ctx, specFile(t, "requirements.txt", "handapp\n"), "first", o)
	if err != nil {
		t.Fatal(err)
	}
	lockBytes, err := os.ReadFile(filepath.Join(first.Output, "pylock.toml"))
	if err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(t.TempDir(), "pylock.toml")
	os.WriteFile(lockPath, lockBytes, 0o644)
	spec, err := ReadSpec(lockPath, lockBytes)
	if err != nil {
		t.Fatal(err)
	}
	o.OutDir = t.TempDir()
	o.CacheDir = filepath.Join(t.TempDir(), "fresh-cache") // download again, check again
	res, err := Create(ctx, spec, "again", o)
	if err != nil {
		t.Fatal(err)
	}
	if pinNames(res) != pinNames(first) || res.LockDigest != first.LockDigest {
		t.Errorf("from the lock: %s (lock %s), want %s (lock %s)", pinNames(res), res.LockDigest, pinNames(first), first.LockDigest)
	}
	out, err := exec.Command(filepath.Join(res.Output, "bin", "python3"), "-c", "import handapp, demolib; print(demolib.V)").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "1.0" {
		t.Errorf("%q %v", out, err)
	}

	// the lock's digest of demolib no longer matches the file served
	s256, _ := fileDigests(t, h.demolib1)
	tampered := strings.Replace(string(lockBytes), s256, strings.Repeat("f", 64), 1)
	if tampered == string(lockBytes) {
		t.Fatal("lock does not hold demolib's digest")
	}
	l, err := pylock.Parse([]byte(tampered))
	if err != nil {
		t.Fatal(err)
	}
	o.OutDir, o.CacheDir = t.TempDir(), filepath.Join(t.TempDir(), "c")
	_, err = Create(ctx, &Spec{Source: lockPath, Lock: l, Python: spec.Python}, "bad", o)
	if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "demolib-1.0-py3-none-any.whl") || !strings.Contains(err.Error(), s256) {
		t.Errorf("tampered lock: %v", err)
	}
}

// Issue 7: create deps.json myenv.tar.gz wrote myenv.tar.gz.tar.gz.
func TestCreateNameWithExtension(t *testing.T) {
	ctx := context.Background()
	h := newHandIndex(t)
	srv := h.serve(t, indextest.Options{}, h.demolib1)
	spec := specFile(t, "requirements.txt", "demolib\n")
	for _, tt := range []struct {
		name   string
		format Format
		out    string
	}{{"myenv.tar.gz", "", "myenv.tar.gz"}, {"myenv.tgz", "", "myenv.tgz"}, {"myenv.tar.zst", Zstd, "myenv.tar.zst"}, {"myenv", Zstd, "myenv.tar.zst"}} {
		o := testOptions(t, srv.SimpleURL)
		o.Format = tt.format
		res, err := Create(ctx, spec, tt.name, o)
		if err != nil {
			t.Fatal(err)
		}
		ents, _ := os.ReadDir(o.OutDir)
		if res.Output != filepath.Join(o.OutDir, tt.out) || len(ents) != 1 || ents[0].Name() != tt.out {
			t.Errorf("%s: output %s, folder holds %v", tt.name, res.Output, ents)
		}
	}
	o := testOptions(t, srv.SimpleURL)
	o.Format = Gzip
	if _, err := Create(ctx, spec, "myenv.tar.zst", o); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("zst name with gz format: %v", err)
	}
	// a bare extension made .tar.gz.tar.gz, another archive's extension myenv.tar.bz2.tar.gz
	for _, name := range []string{".tar.gz", ".TGZ", ".tar.zst", "myenv.tar.bz2", "myenv.tar.xz", "myenv.zip"} {
		o := testOptions(t, srv.SimpleURL)
		if _, err := Create(ctx, spec, name, o); !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), name) {
			t.Errorf("create %s: %v, want a refusal naming it", name, err)
		}
		if ents, _ := os.ReadDir(o.OutDir); len(ents) != 0 {
			t.Errorf("create %s wrote %v", name, ents)
		}
	}
}

// Issue 7: installing a yanked release pinned exactly warns with the reason, as pip does.
func TestCreateYankedWarns(t *testing.T) {
	ctx := context.Background()
	h := newHandIndex(t)
	srv := h.serve(t, indextest.Options{Yanked: map[string]string{filepath.Base(h.demolib1): "breaks on Tuesdays"}}, h.demolib1, h.demolib2)
	o := testOptions(t, srv.SimpleURL)
	o.NoPack = true
	lb := capture(t, &o)
	res, err := Create(ctx, specFile(t, "requirements.txt", "demolib==1.0\n"), "y", o)
	if err != nil {
		t.Fatal(err)
	}
	if l := lb.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "yanked release: demolib 1.0") || !strings.Contains(l, "breaks on Tuesdays") {
		t.Errorf("no yank warning:\n%s", l)
	}
	// the environment's pylock.toml pins demolib 1.0 exactly too: installing it warns
	lockData, err := os.ReadFile(filepath.Join(res.Output, "pylock.toml"))
	if err != nil {
		t.Fatal(err)
	}
	o.OutDir = t.TempDir()
	lb = capture(t, &o)
	if _, err := Create(ctx, specFile(t, "pylock.toml", string(lockData)), "fromlock", o); err != nil {
		t.Fatal(err)
	}
	if l := lb.String(); !strings.Contains(l, "yanked release: demolib 1.0") || !strings.Contains(l, "breaks on Tuesdays") {
		t.Errorf("no yank warning when installing the lock:\n%s", l)
	}
}

// Issue 7: the environment's pip refuses, it does not fall through to another pip.
func TestCreatePipLauncher(t *testing.T) {
	ctx := context.Background()
	h := newHandIndex(t)
	srv := h.serve(t, indextest.Options{}, h.demolib1)
	o := testOptions(t, srv.SimpleURL)
	o.NoPack = true
	res, err := Create(ctx, specFile(t, "requirements.txt", "demolib\n"), "p", o)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"pip", "pip3", "pip3.11"} {
		cmd := exec.Command(filepath.Join(res.Output, "bin", n), "install", "requests")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "packed by pydepot") || !strings.Contains(string(out), "add requests to the spec") {
			t.Errorf("%s install: %v %q", n, err, out)
		}
	}
}
