package analyze

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

const probeScript = `import sys, json; print(json.dumps({"version": "%d.%d.%d" % sys.version_info[:3], "path": sys.path}))`

// Probe runs the interpreter once to learn its version and sys.path.
func Probe(ctx context.Context, executable string) (*Interpreter, error) {
	// It runs in the current folder, so that a pyenv shim picks the version a
	// .python-version there asks for; the folder enters sys.path as "", dropped below.
	cmd := exec.CommandContext(ctx, executable, "-c", probeScript)
	out, err := cmd.Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
			msg += ": " + strings.TrimSpace(string(ee.Stderr))
		}
		return nil, fmt.Errorf("running %s to learn its version: %s: %w", executable, msg, errs.ErrNotFound)
	}
	var ans struct {
		Version string   `json:"version"`
		Path    []string `json:"path"`
	}
	if err := json.Unmarshal(out, &ans); err != nil {
		return nil, fmt.Errorf("%s answered %q: %w", executable, out, errs.ErrInvalid)
	}
	in := &Interpreter{Executable: executable, Version: ans.Version}
	for _, p := range ans.Path {
		if p != "" {
			in.Path = append(in.Path, p)
		}
	}
	return in, nil
}

// FindInterpreter finds an interpreter of version "3.X" (through package
// interpreters: PATH, pyenv, /usr/bin) and probes it.
func FindInterpreter(ctx context.Context, version string, getenv func(string) string) (*Interpreter, error) {
	in, err := interpreters.Find(ctx, version, interpreters.Options{Getenv: getenv})
	if err != nil {
		return nil, err
	}
	return Probe(ctx, in.Path)
}

// DefaultInterpreter probes the python3 found on the PATH of getenv.
func DefaultInterpreter(ctx context.Context, getenv func(string) string) (*Interpreter, error) {
	p, err := lookPath("python3", getenv("PATH"))
	if err != nil {
		return nil, fmt.Errorf("no python3 on PATH to take the target version from; pass --python 3.X: %w", errs.ErrNotFound)
	}
	return Probe(ctx, p)
}

func lookPath(name, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not on PATH: %w", name, errs.ErrNotFound)
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
	if b, err := os.ReadFile(filepath.Join(infoDir, "top_level.txt")); err == nil {
		for _, l := range strings.Fields(string(b)) {
			add(strings.ReplaceAll(l, "/", "."))
		}
	}
	for _, rec := range []string{"RECORD", "installed-files.txt"} {
		b, err := os.ReadFile(filepath.Join(infoDir, rec))
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
