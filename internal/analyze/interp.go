package analyze

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/interpreters"
	"github.com/pydepot/pydepot/internal/names"
)

// Interpreter is a Python interpreter the analysis targets.
type Interpreter struct {
	Executable string
	Version    string   // "3.11.7"
	Path       []string // sys.path, without the empty (current directory) entry
}

// probeScript runs on Python 2.7 and 3: the version, sys.path and the user
// site-packages folder (left out of sys.path by the isolated run).
const probeScript = `import sys, json, site
try:
    u = site.getusersitepackages()
except Exception:
    u = ""
print(json.dumps({"version": "%d.%d.%d" % sys.version_info[:3], "path": sys.path, "usersite": u}))`

// Probe runs the interpreter once to learn its version and the sys.path a script
// run by it would see. It runs isolated, in interpreters.NeutralDir (-I; -E -s for
// Python 2, which has no -I), so that a json.py in the user's folder cannot break
// it; a pyenv shim still selects what it would select in the current folder
// (PYENV_DIR). The entries isolation drops are added back from getenv: PYTHONPATH
// (resolved from the current folder) first, and the user site-packages folder unless
// PYTHONNOUSERSITE is set, before the first site-packages entry.
func Probe(ctx context.Context, executable string, getenv func(string) string) (*Interpreter, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	out, err := probe(ctx, executable, "-I")
	if err != nil && strings.Contains(err.Error(), "-I") {
		out, err = probe(ctx, executable, "-E", "-s") // Python 2: "Unknown option: -I"
	}
	if err != nil {
		return nil, err
	}
	var ans struct {
		Version  string   `json:"version"`
		Path     []string `json:"path"`
		UserSite string   `json:"usersite"`
	}
	if err := json.Unmarshal(out, &ans); err != nil {
		return nil, fmt.Errorf("%s answered %q: %w", executable, out, errs.ErrInvalid)
	}
	in := &Interpreter{Executable: executable, Version: ans.Version}
	for _, p := range filepath.SplitList(getenv("PYTHONPATH")) {
		if p == "" {
			continue
		}
		if abs, err := filepath.Abs(p); err == nil {
			in.Path = append(in.Path, abs)
		}
	}
	user := ans.UserSite
	if getenv("PYTHONNOUSERSITE") != "" {
		user = ""
	} else if st, err := os.Stat(user); err != nil || !st.IsDir() {
		user = ""
	}
	for _, p := range ans.Path {
		if p == "" || !filepath.IsAbs(p) {
			continue // the neutral folder, which a script run would not see
		}
		if user != "" && (strings.HasSuffix(p, "site-packages") || strings.HasSuffix(p, "dist-packages")) {
			in.Path = append(in.Path, user)
			user = ""
		}
		in.Path = append(in.Path, p)
	}
	if user != "" {
		in.Path = append(in.Path, user)
	}
	return in, nil
}

func probe(ctx context.Context, executable string, flags ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, executable, append(flags, "-c", probeScript)...)
	cmd.Dir = interpreters.NeutralDir
	if interpreters.IsShim(executable) {
		cmd.Env = append(os.Environ(), interpreters.ShimEnv(os.Getenv)...)
	}
	out, err := cmd.Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
			msg += ": " + strings.TrimSpace(string(ee.Stderr))
		}
		return nil, fmt.Errorf("running %s to learn its version: %s: %w", executable, msg, errs.ErrNotFound)
	}
	return out, nil
}

// FindInterpreter finds an interpreter of version "X.Y" and probes it: for Python 3
// through package interpreters (the python3 on PATH first, then PATH, pyenv,
// /usr/bin); for 2.7 the first python2.7 on PATH or in pyenv.
func FindInterpreter(ctx context.Context, version string, getenv func(string) string) (*Interpreter, error) {
	if strings.HasPrefix(version, "2.") {
		p, err := findPython2(version, getenv)
		if err != nil {
			return nil, err
		}
		return Probe(ctx, p, getenv)
	}
	in, err := interpreters.Find(ctx, version, interpreters.Options{Getenv: getenv})
	if err != nil {
		return nil, err
	}
	return Probe(ctx, in.Path, getenv)
}

// findPython2 looks for pythonX.Y (2.7) on PATH, then in the pyenv versions.
func findPython2(version string, getenv func(string) string) (string, error) {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return "", fmt.Errorf("python version %q: want X.Y: %w", version, errs.ErrInvalid)
	}
	name := "python" + parts[0] + "." + parts[1]
	dirs := filepath.SplitList(getenv("PATH"))
	for _, root := range []string{getenv("PYENV_ROOT"), filepath.Join(getenv("HOME"), ".pyenv")} {
		if root != "" {
			vs, _ := filepath.Glob(filepath.Join(root, "versions", parts[0]+"."+parts[1]+".*", "bin"))
			sort.Sort(sort.Reverse(sort.StringSlice(vs)))
			dirs = append(dirs, vs...)
		}
	}
	for _, d := range dirs {
		if d == "" || interpreters.IsShim(filepath.Join(d, name)) {
			continue
		}
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("no %s on PATH or in pyenv: %w", name, errs.ErrNotFound)
}

// DefaultInterpreter probes the interpreter the documentation names as the target:
// the first python3 on the PATH of getenv (interpreters.DefaultPath, which create
// uses too).
func DefaultInterpreter(ctx context.Context, getenv func(string) string) (*Interpreter, error) {
	p, err := interpreters.DefaultPath(interpreters.Options{Getenv: getenv})
	if err != nil {
		return nil, fmt.Errorf("no python3 on PATH to take the target version from; pass --python X.Y: %w", errs.ErrNotFound)
	}
	return Probe(ctx, p, getenv)
}

// Dist is an installed distribution.
type Dist struct {
	Name    string
	Version string
}

// Installed is what an interpreter's environment has installed: distributions by
// normalized name and which distributions provide each import path (top-level
// names and dotted package paths up to three deep).
type Installed struct {
	Dists   map[string]Dist
	Imports map[string][]string // import path -> normalized distribution names
}

// ReadInstalled reads the .dist-info and .egg-info directories on the path entries.
// The first entry that has a distribution wins, as with Python's importlib.metadata.
func ReadInstalled(path []string) *Installed {
	in := &Installed{Dists: map[string]Dist{}, Imports: map[string][]string{}}
	for _, dir := range path {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			n := e.Name()
			var meta string
			switch {
			case strings.HasSuffix(n, ".dist-info"):
				meta = "METADATA"
			case strings.HasSuffix(n, ".egg-info"):
				meta = "PKG-INFO"
				if !e.IsDir() {
					meta = ""
				}
			default:
				continue
			}
			base := filepath.Join(dir, n)
			var d Dist
			if meta == "" {
				d = readHeaders(base)
			} else {
				d = readHeaders(filepath.Join(base, meta))
			}
			if d.Name == "" {
				continue
			}
			key := names.Normalize(d.Name)
			if _, seen := in.Dists[key]; seen {
				continue
			}
			in.Dists[key] = d
			for _, imp := range providedImports(base) {
				in.Imports[imp] = append(in.Imports[imp], key)
			}
		}
	}
	return in
}

// readHeaders reads Name and Version from a core metadata file's headers.
func readHeaders(path string) Dist {
	f, err := os.Open(path)
	if err != nil {
		return Dist{}
	}
	defer f.Close()
	var d Dist
	sc := bufio.NewScanner(f)
	for sc.Scan() && (d.Name == "" || d.Version == "") {
		line := sc.Text()
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(line, "Name:"); ok {
			d.Name = strings.TrimSpace(v)
		} else if v, ok := strings.CutPrefix(line, "Version:"); ok {
			d.Version = strings.TrimSpace(v)
		}
	}
	return d
}

// providedImports lists the import paths a distribution provides, from its RECORD
// (or installed-files.txt) and top_level.txt.
func providedImports(infoDir string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if b, err := readCapped(filepath.Join(infoDir, "top_level.txt")); err == nil {
		site := filepath.Dir(infoDir)
		for _, l := range strings.Fields(string(b)) {
			// Some top_level.txt list what the build tree held, not what was installed
			// (Debian's keyring says "debian"): keep the names that exist.
			if validModule(strings.ReplaceAll(l, "/", ".")) && installedName(site, l) {
				add(strings.ReplaceAll(l, "/", "."))
			}
		}
	}
	for _, rec := range []string{"RECORD", "installed-files.txt"} {
		b, err := readCapped(filepath.Join(infoDir, rec))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			p, _, _ := strings.Cut(line, ",")
			p = strings.TrimSpace(p)
			if rec == "installed-files.txt" {
				// Paths are relative to the .egg-info directory.
				p = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Base(infoDir), p)))
			}
			for _, imp := range importPaths(p) {
				add(imp)
			}
		}
	}
	return out
}

// maxInfoFile bounds the RECORD, installed-files.txt or top_level.txt read.
const maxInfoFile = 64 << 20

func readCapped(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxInfoFile+1))
	if err == nil && len(b) > maxInfoFile {
		return nil, fmt.Errorf("%s is over %d MiB", p, maxInfoFile>>20)
	}
	return b, err
}

// installedName reports whether the module or package name (slash separated) is in
// the site folder: a folder, a .py file or an extension module.
func installedName(site, name string) bool {
	p := filepath.Join(site, filepath.FromSlash(name))
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		return true
	}
	if exists(p + ".py") {
		return true
	}
	m, _ := filepath.Glob(p + ".*.so")
	return len(m) > 0 || exists(p+".so") || exists(p+".pyd")
}

// importPaths turns an installed file path (site-packages relative) into the
// import paths it provides: "google/protobuf/message.py" gives google,
// google.protobuf and google.protobuf.message.
func importPaths(p string) []string {
	if p == "" || strings.HasPrefix(p, "..") || strings.HasPrefix(p, "/") {
		return nil
	}
	parts := strings.Split(p, "/")
	last := parts[len(parts)-1]
	switch {
	case strings.HasSuffix(last, ".py"):
		parts[len(parts)-1] = strings.TrimSuffix(last, ".py")
	case strings.HasSuffix(last, ".so") || strings.HasSuffix(last, ".pyd"):
		parts[len(parts)-1], _, _ = strings.Cut(last, ".")
	default:
		parts = parts[:len(parts)-1] // a data file: only its folders
	}
	var out []string
	for d := 1; d <= len(parts) && d <= 3; d++ {
		name := parts[d-1]
		if name == "__init__" || name == "__pycache__" || !isIdentifier(name) {
			break
		}
		out = append(out, strings.Join(parts[:d], "."))
	}
	return out
}

func isIdentifier(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80) {
			return false
		}
	}
	return true
}
