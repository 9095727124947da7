package interpreters

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/markers"
	"github.com/pydepot/pydepot/internal/tags"
)

// Interpreter describes one Python interpreter, as reported by running it.
type Interpreter struct {
	Path           string // as found (may be a symlink)
	RealPath       string // symlinks resolved
	Version        string // "3.11.7"
	Major, Minor   int
	Implementation string // "cpython", "pypy"
	Prefix         string // sys.prefix
	BasePrefix     string // sys.base_prefix
	Stdlib         string // sysconfig stdlib ("/usr/lib/python3.11")
	PlatStdlib     string
	DynLoad        string   // directory of the extension modules of the stdlib (lib-dynload)
	SitePackages   []string // site.getsitepackages()
	LibDir         string   // sysconfig LIBDIR
	LDLibrary      string   // sysconfig LDLIBRARY ("libpython3.12.so" or "libpython3.11.a")
	Shared         bool     // the binary links libpython dynamically (read from its ELF NEEDED entries)
	ABIFlags       string   // sys.abiflags
	SOABI          string
	GILDisabled    bool
	Machine        string // platform.machine()
	Libc           string // "glibc", "musl" or ""
	LibcVersion    string // "2.36"
	Markers        markers.Env
	Target         tags.Target
}

// String returns "3.11.7 (/usr/bin/python3.11)".
func (i *Interpreter) String() string { return i.Version + " (" + i.Path + ")" }

// MajorMinor returns "3.11".
func (i *Interpreter) MajorMinor() string { return fmt.Sprintf("%d.%d", i.Major, i.Minor) }

// queryScript runs on Python 3.6 and later and prints one JSON object.
const queryScript = `
import json, os, platform, site, sys, sysconfig
def fv(info):
    v = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        v += info.releaselevel[0] + str(info.serial)
    return v
cv = sysconfig.get_config_var
paths = sysconfig.get_paths()
dyn = ""
for p in sys.path:
    if os.path.basename(p) == "lib-dynload":
        dyn = p
        break
if not dyn:
    dyn = cv("DESTSHARED") or ""
try:
    sp = site.getsitepackages()
except Exception:
    sp = []
lc = platform.libc_ver()
m = {
    "implementation_name": sys.implementation.name,
    "implementation_version": fv(sys.implementation.version),
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}
print(json.dumps({
    "version": platform.python_version(),
    "major": sys.version_info[0], "minor": sys.version_info[1],
    "implementation": sys.implementation.name,
    "executable": os.path.realpath(sys.executable),
    "prefix": sys.prefix, "base_prefix": getattr(sys, "base_prefix", sys.prefix),
    "stdlib": paths.get("stdlib", ""), "platstdlib": paths.get("platstdlib", ""),
    "dynload": dyn, "site": sp,
    "libdir": cv("LIBDIR") or "", "ldlibrary": cv("LDLIBRARY") or "",
    "shared": bool(cv("Py_ENABLE_SHARED")),
    "abiflags": getattr(sys, "abiflags", ""), "soabi": cv("SOABI") or "",
    "gil_disabled": bool(cv("Py_GIL_DISABLED")),
    "machine": platform.machine(), "libc": lc[0], "libc_version": lc[1],
    "markers": m,
}))
`

type queryResult struct {
	Version        string            `json:"version"`
	Major          int               `json:"major"`
	Minor          int               `json:"minor"`
	Implementation string            `json:"implementation"`
	Executable     string            `json:"executable"`
	Prefix         string            `json:"prefix"`
	BasePrefix     string            `json:"base_prefix"`
	Stdlib         string            `json:"stdlib"`
	PlatStdlib     string            `json:"platstdlib"`
	DynLoad        string            `json:"dynload"`
	Site           []string          `json:"site"`
	LibDir         string            `json:"libdir"`
	LDLibrary      string            `json:"ldlibrary"`
	Shared         bool              `json:"shared"`
	ABIFlags       string            `json:"abiflags"`
	SOABI          string            `json:"soabi"`
	GILDisabled    bool              `json:"gil_disabled"`
	Machine        string            `json:"machine"`
	Libc           string            `json:"libc"`
	LibcVersion    string            `json:"libc_version"`
	Markers        map[string]string `json:"markers"`
}

// NeutralDir is the working folder interpreters are queried in: nothing of the
// user's folder (a json.py beside a script) may shadow the standard library.
const NeutralDir = "/"

// IsShim reports whether path is a pyenv shim (a script that runs the interpreter
// pyenv selects), whose answer depends on the environment and the current folder.
func IsShim(path string) bool {
	return filepath.Base(filepath.Dir(path)) == "shims"
}

// ShimEnv is what a pyenv shim needs to select the interpreter it would select in
// the user's folder when it runs in NeutralDir: the PYENV_* settings, HOME, and
// PYENV_DIR (where pyenv looks for .python-version) set to the current folder.
func ShimEnv(getenv func(string) string) []string {
	var env []string
	for _, k := range []string{"HOME", "PYENV_ROOT", "PYENV_VERSION"} {
		if v := getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	dir := getenv("PYENV_DIR")
	if dir == "" {
		dir, _ = os.Getwd()
	}
	if dir != "" {
		env = append(env, "PYENV_DIR="+dir)
	}
	return env
}

// Query runs the interpreter at path once, isolated (-I: no PYTHON* variables, no
// user site-packages, no script or current folder on sys.path) in NeutralDir, and
// reports what it is. Errors wrap errs.ErrInvalid when path is not a working Python 3
// interpreter.
func Query(ctx context.Context, path string) (*Interpreter, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-I", "-c", queryScript)
	cmd.Dir = NeutralDir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8"}
	if IsShim(path) {
		cmd.Env = append(cmd.Env, ShimEnv(os.Getenv)...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return nil, fmt.Errorf("query interpreter %s: %v %s: %w", path, err, msg, errs.ErrInvalid)
	}
	var q queryResult
	if err := json.Unmarshal(stdout.Bytes(), &q); err != nil {
		return nil, fmt.Errorf("query interpreter %s: bad answer: %v: %w", path, err, errs.ErrInvalid)
	}
	if q.Major < 3 {
		return nil, fmt.Errorf("interpreter %s is Python %s, not Python 3: %w", path, q.Version, errs.ErrInvalid)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	if IsShim(abs) && q.Executable != "" {
		abs = q.Executable // the interpreter the shim stands for, not the shim
	}
	in := &Interpreter{
		Path: abs, RealPath: q.Executable, Version: q.Version, Major: q.Major, Minor: q.Minor,
		Implementation: q.Implementation, Prefix: q.Prefix, BasePrefix: q.BasePrefix,
		Stdlib: q.Stdlib, PlatStdlib: q.PlatStdlib, DynLoad: q.DynLoad, SitePackages: q.Site,
		LibDir: q.LibDir, LDLibrary: q.LDLibrary, Shared: q.Shared, ABIFlags: q.ABIFlags,
		SOABI: q.SOABI, GILDisabled: q.GILDisabled, Machine: q.Machine,
		Libc: q.Libc, LibcVersion: q.LibcVersion, Markers: markers.Env(q.Markers),
	}
	if in.RealPath == "" {
		in.RealPath, _ = filepath.EvalSymlinks(abs)
	}
	if in.Libc == "libc" || in.Libc == "" && strings.Contains(in.SOABI, "musl") {
		in.Libc = "musl"
	}
	in.Shared = linksLibpython(in.RealPath)
	in.Target = targetOf(in)
	return in, nil
}

// linksLibpython reports whether an ELF binary needs a libpython shared library
// (Debian's python3.11 says Py_ENABLE_SHARED but links it statically).
func linksLibpython(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	libs, _ := f.ImportedLibraries()
	for _, l := range libs {
		if strings.HasPrefix(l, "libpython") {
			return true
		}
	}
	return false
}

func targetOf(in *Interpreter) tags.Target {
	t := tags.Target{Major: in.Major, Minor: in.Minor, Arch: in.Machine}
	switch in.Implementation {
	case "cpython":
		t.Implementation = "cp"
	case "pypy":
		t.Implementation = "pp"
	default:
		t.Implementation = in.Implementation
	}
	if in.GILDisabled {
		t.ABIFlags = "t"
	}
	switch in.Markers["sys_platform"] {
	case "linux":
		t.OS = "linux"
	case "darwin":
		t.OS = "macos"
	case "win32":
		t.OS = "windows"
	default:
		t.OS = in.Markers["sys_platform"]
	}
	if t.OS == "linux" {
		t.Libc = in.Libc
		if t.Libc == "" {
			t.Libc = "glibc"
		}
		maj, min, _ := strings.Cut(in.LibcVersion, ".")
		t.LibcMajor, _ = strconv.Atoi(maj)
		if i := strings.IndexFunc(min, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
			min = min[:i]
		}
		t.LibcMinor, _ = strconv.Atoi(min)
	}
	return t
}
