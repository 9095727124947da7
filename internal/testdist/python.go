package testdist

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Tests find the machine's Python interpreters by version, never by an install path:
// pyenv's versions (under `pyenv root`, else $PYENV_ROOT, else ~/.pyenv), then pythonX.Y
// on PATH, then /usr/bin and /usr/local/bin. A version the machine lacks fails the test
// when CI=true (CI must never pass by running fewer tests) and skips it elsewhere, with a
// message that names the version and where it was looked for.

// SiteVersion is the interpreter whose pip-installed distributions (PyYAML, Jinja2, ...)
// tests rebuild into wheels: SitePackages is its site-packages.
const SiteVersion = "3.11"

// Interpreter is a Python interpreter a test found by version.
type Interpreter struct {
	Path    string // the executable found: pyenv's bin/pythonX.Y, or a pythonX.Y on PATH or in /usr/bin
	Version string // the full version it reports, "3.11.7"
	Prefix  string // sys.prefix
	Stdlib  string // the standard library folder (sysconfig's "stdlib")
	Site    string // where pip puts pure distributions (sysconfig's "purelib")
}

// MajorMinor returns "3.11" for 3.11.7.
func (in Interpreter) MajorMinor() string {
	parts := strings.SplitN(in.Version, ".", 3)
	if len(parts) < 2 {
		return in.Version
	}
	return parts[0] + "." + parts[1]
}

var wantRE = regexp.MustCompile(`^[23]\.\d+(\.\d+)?$`)

// FindPyenvRoot returns pyenv's root folder: what `pyenv root` prints, else $PYENV_ROOT,
// else ~/.pyenv; the first of them that has a versions folder, or "" when none has.
func FindPyenvRoot() string {
	var roots []string
	if p, err := exec.LookPath("pyenv"); err == nil {
		if out, err := exec.Command(p, "root").Output(); err == nil {
			roots = append(roots, strings.TrimSpace(string(out)))
		}
	}
	roots = append(roots, os.Getenv("PYENV_ROOT"))
	if home, err := os.UserHomeDir(); err == nil {
		roots = append(roots, filepath.Join(home, ".pyenv"))
	}
	for _, r := range roots {
		if r == "" {
			continue
		}
		if st, err := os.Stat(filepath.Join(r, "versions")); err == nil && st.IsDir() {
			return r
		}
	}
	return ""
}

// PyenvRoot is FindPyenvRoot for a test that needs pyenv: it fails the test in CI and
// skips it elsewhere when there is no pyenv.
func PyenvRoot(t testing.TB) string {
	t.Helper()
	r := FindPyenvRoot()
	if r == "" {
		Missing(t, "no pyenv root (`pyenv root`, $PYENV_ROOT, ~/.pyenv) with a versions folder")
	}
	return r
}

// Missing ends a test whose interpreter or tool the machine lacks: it fails it when CI=true
// and skips it elsewhere.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: a missing interpreter fails the test)", msg)
		return
	}
	t.Skipf("%s (skipped; with CI=true the test fails)", msg)
}

// pyenvVersions returns the folders under root/versions named like want ("3.11" matches
// 3.11.N, "3.11.7" only itself), the highest patch release first.
func pyenvVersions(root, want string) []string {
	if root == "" {
		return nil
	}
	ents, err := os.ReadDir(filepath.Join(root, "versions"))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if n == want || (strings.HasPrefix(n, want+".") && strings.Count(want, ".") == 1 && isNumber(n[len(want)+1:])) {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return patchOf(out[i]) > patchOf(out[j]) })
	dirs := make([]string, len(out))
	for i, n := range out {
		dirs[i] = filepath.Join(root, "versions", n)
	}
	return dirs
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil && s != ""
}

func patchOf(v string) int {
	n, _ := strconv.Atoi(v[strings.LastIndex(v, ".")+1:])
	return n
}

// pathDirs are the folders of PATH (pyenv's shims left out: they run whichever version
// pyenv selects, and pyenv's versions are searched directly), then /usr/bin and
// /usr/local/bin.
func pathDirs() []string {
	var dirs []string
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if d != "" && !strings.Contains(d, "/shims") {
			dirs = append(dirs, d)
		}
	}
	return append(dirs, "/usr/bin", "/usr/local/bin")
}

func executable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// candidates lists the executables that may be Python want, in the order searched.
func candidates(want string, pyenvOnly bool) []string {
	parts := strings.SplitN(want, ".", 3)
	exe := "python" + parts[0] + "." + parts[1]
	var out []string
	for _, d := range pyenvVersions(FindPyenvRoot(), want) {
		out = append(out, filepath.Join(d, "bin", exe))
	}
	if !pyenvOnly {
		for _, d := range pathDirs() {
			out = append(out, filepath.Join(d, exe))
		}
	}
	return out
}

// queryScript runs under Python 2.7 as well as 3.x.
const queryScript = `import json, sys, sysconfig
p = sysconfig.get_paths()
print(json.dumps({"version": "%d.%d.%d" % tuple(sys.version_info[:3]), "prefix": sys.prefix, "stdlib": p["stdlib"], "site": p["purelib"]}))
`

// QueryPython asks the interpreter at path what it is.
func QueryPython(path string) (Interpreter, error) {
	// -E and -s keep PYTHON* variables and the user's site out; the root folder as the
	// current one keeps a test's own files off sys.path.
	cmd := exec.Command(path, "-E", "-s", "-c", queryScript)
	cmd.Dir = "/"
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return Interpreter{}, fmt.Errorf("%s: %v: %s", path, err, strings.TrimSpace(stderr.String()))
	}
	var q struct{ Version, Prefix, Stdlib, Site string }
	if err := json.Unmarshal(out, &q); err != nil {
		return Interpreter{}, fmt.Errorf("%s: unexpected answer %q: %v", path, out, err)
	}
	return Interpreter{Path: path, Version: q.Version, Prefix: q.Prefix, Stdlib: q.Stdlib, Site: q.Site}, nil
}

func find(want string, pyenvOnly bool) (Interpreter, error) {
	want = strings.TrimSpace(want)
	if !wantRE.MatchString(want) {
		return Interpreter{}, fmt.Errorf("testdist: %q is not a Python version such as 3.11 or 3.11.7", want)
	}
	var tried []string
	seen := map[string]bool{}
	for _, p := range candidates(want, pyenvOnly) {
		if !executable(p) {
			continue
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		in, err := QueryPython(p)
		if err != nil {
			tried = append(tried, err.Error())
			continue
		}
		if in.Version == want || strings.HasPrefix(in.Version, want+".") {
			return in, nil
		}
		tried = append(tried, p+" is "+in.Version)
	}
	where := "pyenv (" + orNone(FindPyenvRoot()) + ")"
	if !pyenvOnly {
		where += ", PATH, /usr/bin and /usr/local/bin"
	}
	msg := fmt.Sprintf("no Python %s in %s", want, where)
	if len(tried) > 0 {
		msg += "; tried " + strings.Join(tried, "; ")
	}
	return Interpreter{}, fmt.Errorf("%s", msg)
}

func orNone(root string) string {
	if root == "" {
		return "none found"
	}
	return root
}

// FindPython returns an interpreter of version want ("3.11", "3.11.7", "2.7"): the first
// that answers with that version among pyenv's versions (highest patch release first),
// then pythonX.Y on PATH, then in /usr/bin and /usr/local/bin.
func FindPython(want string) (Interpreter, error) { return find(want, false) }

// FindPyenvPython is FindPython among pyenv's versions only, for the tests that need
// pyenv's build (a shared libpython, a site-packages with pip-installed distributions).
func FindPyenvPython(want string) (Interpreter, error) { return find(want, true) }

// Python returns the path of an interpreter of version want (see FindPython). It fails
// the test in CI and skips it elsewhere when the machine has none.
func Python(t testing.TB, want string) string {
	t.Helper()
	return PythonInfo(t, want).Path
}

// PythonInfo is Python with what the interpreter reports about itself.
func PythonInfo(t testing.TB, want string) Interpreter {
	t.Helper()
	in, err := FindPython(want)
	if err != nil {
		Missing(t, "%v", err)
	}
	return in
}

// PyenvPython is PythonInfo among pyenv's versions only (see FindPyenvPython).
func PyenvPython(t testing.TB, want string) Interpreter {
	t.Helper()
	in, err := FindPyenvPython(want)
	if err != nil {
		Missing(t, "%v", err)
	}
	return in
}

// FindSitePackages returns the site-packages of pyenv's Python SiteVersion, whose
// pip-installed distributions tests rebuild into wheels.
func FindSitePackages() (string, error) {
	in, err := FindPyenvPython(SiteVersion)
	if err != nil {
		return "", err
	}
	return in.Site, nil
}

// SitePackages is FindSitePackages for a test: it fails the test in CI and skips it
// elsewhere when there is no such interpreter.
func SitePackages(t testing.TB) string {
	t.Helper()
	return PyenvPython(t, SiteVersion).Site
}

var pythonExe = regexp.MustCompile(`^python[23](\.\d+)?$`)

// PythonPrefixes returns the installation prefixes of every Python on the machine, without
// running any: each pyenv version, then the prefix (the folder above bin/) of each
// python2, python3 and pythonX.Y on PATH, in /usr/bin and in /usr/local/bin, once each.
// Tests glob under them for what installations hold (site-packages, bundled wheels).
func PythonPrefixes() []string {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if real, err := filepath.EvalSymlinks(p); err == nil && !seen[real] {
			seen[real] = true
			out = append(out, p)
		}
	}
	if root := FindPyenvRoot(); root != "" {
		vs, _ := filepath.Glob(filepath.Join(root, "versions", "*"))
		sort.Strings(vs)
		for _, v := range vs {
			add(v)
		}
	}
	for _, d := range pathDirs() {
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			p := filepath.Join(d, e.Name())
			if !pythonExe.MatchString(e.Name()) || !executable(p) {
				continue
			}
			if real, err := filepath.EvalSymlinks(p); err == nil {
				add(filepath.Dir(filepath.Dir(real)))
			}
		}
	}
	return out
}

// GlobPrefixes returns the files matching pattern (relative, as "lib/python*/site-packages/*.dist-info")
// under every prefix of PythonPrefixes.
func GlobPrefixes(pattern string) []string {
	var out []string
	for _, p := range PythonPrefixes() {
		m, _ := filepath.Glob(filepath.Join(p, pattern))
		out = append(out, m...)
	}
	return out
}
