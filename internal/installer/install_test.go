package installer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
)

// TestInstallMatchesPip installs real wheels with Install and with pip --prefix and
// compares the trees: same file set (pip's direct_url.json aside), same bytes for every
// file that is copied, and a RECORD listing the same paths with the same hashes.
func TestInstallMatchesPip(t *testing.T) {
	wheels := systemWheels(t)
	wheels["pdtest"] = pdtestWheel(t)
	for name, whl := range wheels {
		t.Run(name, func(t *testing.T) {
			ours := t.TempDir()
			res, err := Install(context.Background(), whl, VenvScheme(ours, "3.11"), Options{Requested: true})
			if err != nil {
				t.Fatal(err)
			}
			theirs := pipInstall(t, whl)
			got, want := fileSet(t, ours), fileSet(t, theirs)
			want = slices.DeleteFunc(want, func(s string) bool { return strings.HasSuffix(s, "/direct_url.json") })
			if !slices.Equal(got, want) {
				t.Fatalf("file sets differ:\nours:  %v\npip:   %v", got, want)
			}
			var resRel []string
			for _, f := range res.Files {
				rel, _ := filepath.Rel(ours, f)
				resRel = append(resRel, filepath.ToSlash(rel))
			}
			if !slices.Equal(resRel, got) {
				t.Errorf("Result.Files = %v, want %v", resRel, got)
			}
			for _, f := range got {
				if strings.HasPrefix(f, "bin/") || strings.HasSuffix(f, "/RECORD") || strings.HasSuffix(f, "/INSTALLER") {
					continue
				}
				a, _ := os.ReadFile(filepath.Join(ours, f))
				b, _ := os.ReadFile(filepath.Join(theirs, f))
				if !bytes.Equal(a, b) {
					t.Errorf("%s differs from pip's", f)
				}
			}
			for _, s := range res.Scripts {
				st, err := os.Stat(s)
				if err != nil || st.Mode().Perm()&0o111 == 0 {
					t.Errorf("script %s is not executable: %v", s, err)
				}
			}
			ourRec := readRecord(t, filepath.Join(res.DistInfo, "RECORD"))
			pipRec := readRecord(t, filepath.Join(theirs, "lib/python3.11/site-packages", filepath.Base(res.DistInfo), "RECORD"))
			delete(pipRec, filepath.Base(res.DistInfo)+"/direct_url.json")
			if len(ourRec) != len(pipRec) {
				t.Errorf("RECORD has %d entries, pip's %d", len(ourRec), len(pipRec))
			}
			for p, e := range pipRec {
				o, ok := ourRec[p]
				switch {
				case !ok:
					t.Errorf("RECORD lacks %s", p)
				case strings.HasPrefix(p, "../../../bin/") || strings.HasSuffix(p, "/INSTALLER"):
					if o.Hash == "" {
						t.Errorf("RECORD has no hash for %s", p)
					}
				case o != e:
					t.Errorf("RECORD %s: ours %+v, pip %+v", p, o, e)
				}
			}
			// Every RECORD hash is true of the installed file.
			site := filepath.Dir(res.DistInfo)
			for p, e := range ourRec {
				if e.Hash == "" {
					continue
				}
				sum, size, err := hashFile(filepath.Join(site, filepath.FromSlash(p)), sha256New)
				if err != nil || encodeSHA256(sum) != e.Hash || size != e.Size {
					t.Errorf("RECORD entry %s does not match the installed file (%v)", p, err)
				}
			}
		})
	}
}

func readRecord(t *testing.T, path string) map[string]RecordEntry {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := ParseRecord(data)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]RecordEntry{}
	for _, e := range entries {
		m[e.Path] = e
	}
	return m
}

// TestInstalledRuns installs pdtest and pip into a prefix, makes it a venv of the Debian
// interpreter, runs the launchers, then moves the prefix and runs them again.
func TestInstalledRuns(t *testing.T) {
	ctx := context.Background()
	prefix := filepath.Join(t.TempDir(), "env")
	scheme := VenvScheme(prefix, "3.11")
	for _, whl := range []string{pdtestWheel(t), systemWheels(t)["pip"]} {
		if _, err := Install(ctx, whl, scheme, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	// Interpreter-free checks first: the files the layout promises.
	for _, f := range []string{"bin/pdtest-hello", "bin/pdtest-obj", "bin/pdtest-gui", "bin/pdtest-raw", "bin/pip3",
		"share/pdtest/hello.txt", "include/site/python3.11/pdtest/pdtest.h",
		"lib/python3.11/site-packages/pdtest/resources/greeting.txt"} {
		if _, err := os.Stat(filepath.Join(prefix, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	head, _ := os.ReadFile(filepath.Join(prefix, "bin/pdtest-raw"))
	if !bytes.HasPrefix(head, []byte("#!/bin/sh\n'''exec' \"$(dirname -- \"$(realpath -- \"$0\")\")\"/python3 \"$0\" \"$@\"\n' '''\n")) {
		t.Errorf("pdtest-raw shebang not rewritten:\n%s", head)
	}
	// With PYTHONPATH only (no venv): the packages import.
	site := scheme.Purelib
	cmd := exec.Command(debianPython, "-s", "-c", "import pdtest, pdtest.cli, pip; print(pdtest.VERSION, pip.__version__)")
	cmd.Env = append(cleanEnv(), "PYTHONPATH="+site)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "1.2.3 23.") {
		t.Fatalf("import with PYTHONPATH: %v\n%s", err, out)
	}

	makeVenv(t, prefix)
	check := func(prefix string) {
		t.Helper()
		tests := []struct {
			argv []string
			want string
			code int
		}{
			{[]string{"pdtest-hello", "a", "b"}, "hello from pdtest a b\n", 0},
			{[]string{"pdtest-hello", "--fail"}, "hello from pdtest --fail\n", 3},
			{[]string{"pdtest-obj"}, "runner pdtest-obj\n", 0},
			{[]string{"pdtest-gui"}, "gui\n", 0},
			{[]string{"pdtest-raw"}, "raw 1.2.3\n", 0},
			{[]string{"pip3", "--version"}, "pip 23.", 0},
		}
		for _, tt := range tests {
			cmd := exec.Command(filepath.Join(prefix, "bin", tt.argv[0]), tt.argv[1:]...)
			cmd.Env = append(cleanEnv(), "PIP_DISABLE_PIP_VERSION_CHECK=1")
			cmd.Dir = t.TempDir()
			out, err := cmd.Output()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatalf("%v: %v", tt.argv, err)
			}
			if code != tt.code || !strings.HasPrefix(string(out), tt.want) {
				t.Errorf("%v: exit %d output %q, want %d %q", tt.argv, code, out, tt.code, tt.want)
			}
		}
	}
	check(prefix)
	moved := filepath.Join(t.TempDir(), "elsewhere", "env2")
	if err := os.MkdirAll(filepath.Dir(moved), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(prefix, moved); err != nil {
		t.Fatal(err)
	}
	check(moved)
	// pip itself sees pdtest as installed by pydepot.
	cmd = exec.Command(filepath.Join(moved, "bin", "python3"), "-m", "pip", "show", "pdtest")
	cmd.Env = append(cleanEnv(), "PIP_DISABLE_PIP_VERSION_CHECK=1")
	out, err = cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Version: 1.2.3") {
		t.Errorf("pip show pdtest: %v\n%s", err, out)
	}
}

// TestTamper checks that a damaged wheel is refused with a clear error and leaves no
// file in the layout (only the empty scheme directories that were created).
func TestTamper(t *testing.T) {
	src := pdtestWheel(t)
	const di = "pdtest-1.2.3.dist-info/"
	tests := []struct {
		name string
		edit func(string, []byte) ([]byte, bool)
		add  map[string]string
		want string
	}{
		{"content changed", func(n string, d []byte) ([]byte, bool) {
			if n == "pdtest/cli.py" {
				return append(d, []byte("\nimport os; os.system('id')\n")...), true
			}
			return d, true
		}, nil, "pdtest/cli.py does not match its RECORD hash"},
		{"file not in RECORD", keepAll, map[string]string{"pdtest/evil.py": "x = 1\n"}, "pdtest/evil.py is not listed in RECORD"},
		{"pth not in RECORD", keepAll, map[string]string{"evil.pth": "import os\n"}, "evil.pth is not listed in RECORD"},
		{"file missing", func(n string, d []byte) ([]byte, bool) { return d, n != "pdtest/__init__.py" }, nil,
			"RECORD lists pdtest/__init__.py, which the wheel does not contain"},
		{"size wrong", func(n string, d []byte) ([]byte, bool) {
			if n == di+"RECORD" {
				return bytes.Replace(d, []byte("pdtest/cli.py,"), []byte("pdtest/cli.py,"), 1), true
			}
			return d, true
		}, nil, ""}, // placeholder replaced below
		{"wheel version 2", func(n string, d []byte) ([]byte, bool) {
			if n == di+"WHEEL" {
				return bytes.Replace(d, []byte("Wheel-Version: 1.0"), []byte("Wheel-Version: 2.0"), 1), true
			}
			return d, true
		}, nil, "Wheel-Version 2.0 is not supported"},
		{"no WHEEL", func(n string, d []byte) ([]byte, bool) { return d, n != di+"WHEEL" }, nil, "WHEEL"},
		{"no RECORD", func(n string, d []byte) ([]byte, bool) { return d, n != di+"RECORD" }, nil, "RECORD"},
		{"md5 hash", func(n string, d []byte) ([]byte, bool) {
			if n == di+"RECORD" {
				lines := strings.Split(string(d), "\n")
				for i, l := range lines {
					if strings.HasPrefix(l, "pdtest/cli.py,") {
						lines[i] = "pdtest/cli.py,md5=1B2M2Y8AsgTpgAmY7PhCfg,0"
					}
				}
				return []byte(strings.Join(lines, "\n")), true
			}
			return d, true
		}, nil, "hash algorithm \"md5\" is not accepted"},
		{"second dist-info", keepAll, map[string]string{"other-1.0.dist-info/METADATA": "x"}, "exactly one top-level .dist-info"},
		{"bad entry point name", func(n string, d []byte) ([]byte, bool) {
			if n == di+"entry_points.txt" {
				return bytes.Replace(d, []byte("pdtest-hello ="), []byte("../../etc/evil ="), 1), true
			}
			return d, true
		}, nil, "entry_points.txt"},
	}
	// "size wrong": rewrite cli.py's RECORD size.
	tests[4].edit = func(n string, d []byte) ([]byte, bool) {
		if n != di+"RECORD" {
			return d, true
		}
		lines := strings.Split(string(d), "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, "pdtest/cli.py,") {
				j := strings.LastIndex(l, ",")
				lines[i] = l[:j] + ",999"
			}
		}
		return []byte(strings.Join(lines, "\n")), true
	}
	tests[4].want = "pdtest/cli.py is 455 bytes, RECORD says 999"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			whl := tt.edit
			bad := rewriteWheel(t, src, t.TempDir(), whl, tt.add)
			if tt.name == "bad entry point name" || tt.name == "md5 hash" {
				// Keep RECORD true to the edited entry_points.txt so only the rule fires.
				bad = fixRecord(t, bad)
			}
			prefix := t.TempDir()
			_, err := Install(context.Background(), bad, VenvScheme(prefix, "3.11"), Options{})
			if err == nil || !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalid containing %q", err, tt.want)
			}
			if left := fileSet(t, prefix); len(left) != 0 {
				t.Errorf("files left after a refused install: %v", left)
			}
			ents, _ := os.ReadDir(filepath.Join(prefix, "lib/python3.11/site-packages"))
			if len(ents) != 0 {
				t.Errorf("site-packages not empty: %v", ents)
			}
		})
	}
}

// fixRecord recomputes RECORD hashes for entry_points.txt after an edit.
func fixRecord(t *testing.T, whl string) string {
	t.Helper()
	var ep []byte
	rewriteWheel(t, whl, t.TempDir(), func(n string, d []byte) ([]byte, bool) {
		if strings.HasSuffix(n, "entry_points.txt") {
			ep = d
		}
		return d, true
	}, nil)
	return rewriteWheel(t, whl, t.TempDir(), func(n string, d []byte) ([]byte, bool) {
		if !strings.HasSuffix(n, ".dist-info/RECORD") {
			return d, true
		}
		lines := strings.Split(string(d), "\n")
		for i, l := range lines {
			if strings.Contains(l, "entry_points.txt,") {
				p, _, _ := strings.Cut(l, ",")
				lines[i] = p + "," + encodeSHA256(sha256Sum(ep)) + "," + itoa(len(ep))
			}
		}
		return []byte(strings.Join(lines, "\n")), true
	}, nil)
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestConcurrentInstall installs four wheels at once into one prefix and checks the
// result equals a sequential install, then imports everything.
func TestConcurrentInstall(t *testing.T) {
	wheels := systemWheels(t)
	list := []string{wheels["pip"], wheels["setuptools"], wheels["wheel"], pdtestWheel(t)}
	seq := t.TempDir()
	for _, w := range list {
		if _, err := Install(context.Background(), w, VenvScheme(seq, "3.11"), Options{}); err != nil {
			t.Fatal(err)
		}
	}
	par := t.TempDir()
	var wg sync.WaitGroup
	errc := make(chan error, len(list))
	for _, w := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := Install(context.Background(), w, VenvScheme(par, "3.11"), Options{})
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	// InstallAll does the same.
	all := t.TempDir()
	jobs := make([]Job, len(list))
	for i, w := range list {
		jobs[i] = Job{Wheel: w, Options: Options{Requested: i == 3}}
	}
	res, err := InstallAll(context.Background(), jobs, VenvScheme(all, "3.11"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 || res[0].Name != "pip" || res[3].Name != "pdtest" {
		t.Fatalf("InstallAll results out of order: %+v", res)
	}
	if a, b := fileSet(t, seq), fileSet(t, all); len(a)+1 != len(b) { // + pdtest's REQUESTED
		t.Errorf("InstallAll: %d files, sequential %d", len(b), len(a))
	}
	bad := append(slices.Clone(jobs), Job{Wheel: filepath.Join(t.TempDir(), "missing.whl")})
	if _, err := InstallAll(context.Background(), bad, VenvScheme(t.TempDir(), "3.11"), 2); err == nil || !strings.Contains(err.Error(), "missing.whl") {
		t.Errorf("InstallAll with a missing wheel: %v", err)
	}
	if a, b := fileSet(t, seq), fileSet(t, par); !slices.Equal(a, b) {
		t.Fatalf("concurrent install differs from sequential:\n%v\n%v", a, b)
	}
	// As a venv, so that distutils-precedence.pth is processed. setuptools comes first:
	// pip imports the stdlib distutils, and then setuptools 66 refuses to load (the same
	// happens in a venv pip made).
	makeVenv(t, par)
	cmd := exec.Command(filepath.Join(par, "bin", "python3"), "-c", "import setuptools, pip, wheel, pdtest")
	cmd.Env = cleanEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
}

func TestInstallOptions(t *testing.T) {
	prefix := t.TempDir()
	res, err := Install(context.Background(), pdtestWheel(t), VenvScheme(prefix, "3.11"),
		Options{Interpreter: "/opt/py/bin/python3.11", Installer: "pydepot-test"})
	if err != nil {
		t.Fatal(err)
	}
	head, _ := os.ReadFile(filepath.Join(prefix, "bin/pdtest-hello"))
	if !bytes.HasPrefix(head, []byte("#!/opt/py/bin/python3.11\n")) {
		t.Errorf("absolute interpreter shebang: %q", head[:40])
	}
	inst, _ := os.ReadFile(filepath.Join(res.DistInfo, "INSTALLER"))
	if string(inst) != "pydepot-test\n" {
		t.Errorf("INSTALLER = %q", inst)
	}
	if _, err := os.Stat(filepath.Join(res.DistInfo, "REQUESTED")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("REQUESTED written without Options.Requested")
	}
	if _, err := Install(context.Background(), pdtestWheel(t), VenvScheme(prefix, "3.11"), Options{Interpreter: "py thon"}); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("bad interpreter name: %v", err)
	}
	// Reinstall over an existing install works and keeps one .dist-info.
	if _, err := Install(context.Background(), pdtestWheel(t), VenvScheme(prefix, "3.11"), Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(context.Background(), pdtestWheel(t), Scheme{Purelib: prefix}, Options{}); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("incomplete scheme: %v", err)
	}
}

// BenchmarkInstallPip installs Debian's pip wheel (the largest at hand) into a fresh prefix.
func BenchmarkInstallPip(b *testing.B) {
	whl := "/usr/share/python-wheels/pip-23.0.1-py3-none-any.whl"
	if _, err := os.Stat(whl); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Install(context.Background(), whl, VenvScheme(b.TempDir(), "3.11"), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
