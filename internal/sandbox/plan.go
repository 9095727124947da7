package sandbox

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// tools are the host programs a sandbox needs.
type tools struct {
	bwrap, prlimit string
}

func findTools() (tools, error) {
	var t tools
	var err error
	if t.bwrap, err = exec.LookPath("bwrap"); err != nil {
		return t, fmt.Errorf("%w: bubblewrap (bwrap) is not installed: %v", ErrUnavailable, err)
	}
	// prlimit runs inside the sandbox, so it must be under the read-only /usr.
	for _, p := range []string{"/usr/bin/prlimit", "/bin/prlimit"} {
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			t.prlimit = p
			return t, nil
		}
	}
	return t, fmt.Errorf("%w: util-linux prlimit (/usr/bin/prlimit) is not installed", ErrUnavailable)
}

// runPlan is a checked Spec turned into bwrap arguments.
type runPlan struct {
	tools tools
	lim   Limits
	opts  []string // bwrap's options (passed through --args, so the environment is not on a command line)
	cmd   []string // prlimit and its options, in front of the command
	home  string
}

const defaultUID = 65534

// maxEtcEntries bounds the walk of /etc (a Debian system has a few thousand entries).
const maxEtcEntries = 50000

// systemDirs are bound read-only from the host when present (followed as links when they
// are links, as /bin -> usr/bin is on merged-/usr systems).
var systemDirs = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}

// plan checks s and builds the bwrap command line.
func plan(s Spec, t tools) (*runPlan, error) {
	p := &runPlan{tools: t, lim: s.Limits.withDefaults()}
	uid, gid := s.UID, s.GID
	if uid == 0 {
		uid = defaultUID
	}
	if gid == 0 {
		gid = defaultUID
	}
	if uid < 0 || gid < 0 {
		return nil, fmt.Errorf("uid %d / gid %d out of range", uid, gid)
	}
	env, home, err := checkEnv(s.Env)
	if err != nil {
		return nil, err
	}
	p.home = home
	dir := s.Dir
	if dir == "" {
		dir = home
	}
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("working directory %q is not absolute", dir)
	}
	dir = filepath.Clean(dir)

	a := []string{
		"--unshare-user", "--uid", strconv.Itoa(uid), "--gid", strconv.Itoa(gid),
		"--unshare-pid", "--unshare-ipc", "--unshare-uts", "--hostname", "sandbox",
		"--unshare-cgroup-try", "--disable-userns",
		"--die-with-parent", "--new-session", "--cap-drop", "ALL",
	}
	if !s.Network {
		a = append(a, "--unshare-net")
	}
	for _, d := range systemDirs {
		st, err := os.Lstat(d)
		switch {
		case err != nil:
			continue
		case st.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(d)
			if err != nil {
				return nil, err
			}
			a = append(a, "--symlink", target, d)
		case st.IsDir():
			a = append(a, "--ro-bind", d, d)
		}
	}
	masks, err := etcMasks("/etc", maxEtcEntries)
	if err != nil {
		return nil, err
	}
	a = append(a, "--ro-bind", "/etc", "/etc")
	a = append(a, masks...)
	a = append(a, "--proc", "/proc", "--dev", "/dev")

	// Mounts and private folders, parents before children.
	type op struct {
		kind, host, path string
	}
	var ops []op
	seen := map[string]bool{}
	add := func(kind string, m Mount) error {
		if !filepath.IsAbs(m.Path) {
			return fmt.Errorf("mount point %q is not absolute", m.Path)
		}
		path := filepath.Clean(m.Path)
		if kind == "ro" && filepath.Clean(m.Host) == path && underSystem(path) {
			return nil // already there, read-only (an interpreter under /usr)
		}
		if reserved(path) {
			return fmt.Errorf("mount point %s would hide the sandbox's system", path)
		}
		if seen[path] {
			return fmt.Errorf("two mounts on %s", path)
		}
		seen[path] = true
		if kind != "tmpfs" {
			host, err := filepath.Abs(m.Host)
			if err != nil {
				return err
			}
			if _, err := os.Stat(host); err != nil {
				return fmt.Errorf("mount source: %w", err)
			}
			m.Host = host
		}
		ops = append(ops, op{kind, m.Host, path})
		return nil
	}
	for _, m := range s.ReadOnly {
		if err := add("ro", m); err != nil {
			return nil, err
		}
	}
	for _, m := range s.Writable {
		if err := add("rw", m); err != nil {
			return nil, err
		}
	}
	covered := func(path string) bool {
		for _, o := range ops {
			if o.kind != "tmpfs" && (o.path == path || strings.HasPrefix(path, o.path+"/")) {
				return true
			}
		}
		return false
	}
	for _, d := range []string{"/tmp", home, dir} {
		if !covered(d) && !seen[d] {
			if err := add("tmpfs", Mount{Path: d}); err != nil {
				return nil, err
			}
		}
	}
	sort.SliceStable(ops, func(i, j int) bool {
		return strings.Count(ops[i].path, "/") < strings.Count(ops[j].path, "/")
	})
	size := strconv.FormatInt(p.lim.MemoryBytes, 10)
	for _, o := range ops {
		switch o.kind {
		case "ro":
			a = append(a, "--ro-bind", o.host, o.path)
		case "rw":
			a = append(a, "--bind", o.host, o.path)
		case "tmpfs":
			a = append(a, "--size", size, "--perms", "0700", "--tmpfs", o.path)
		}
	}
	// The root bwrap builds is a tmpfs of its own: read-only once the mount points exist.
	a = append(a, "--remount-ro", "/", "--chdir", dir, "--clearenv")
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		a = append(a, "--setenv", k, v)
	}
	p.opts = a
	p.cmd = []string{t.prlimit,
		"--nproc=" + strconv.Itoa(p.lim.Processes),
		"--fsize=" + strconv.FormatInt(p.lim.FileBytes, 10),
		"--core=0"}
	return p, nil
}

// withAS adds RLIMIT_AS to the prlimit in front of the command, when no memory cgroup
// bounds the sandbox.
func (p *runPlan) withAS() {
	p.cmd = append(p.cmd, "--as="+strconv.FormatInt(p.lim.MemoryBytes, 10))
}

// reserved reports mount points that would replace the sandbox's own system.
func reserved(path string) bool {
	switch path {
	case "/", "/proc", "/dev", "/etc", "/usr":
		return true
	}
	for _, d := range append([]string{"/proc", "/dev", "/usr"}, systemDirs...) {
		if strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
}

// underSystem reports whether path is one of the system folders bound read-only, or
// inside one.
func underSystem(path string) bool {
	for _, d := range append([]string{"/etc"}, systemDirs...) {
		if path == d || strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
}

// checkEnv checks the environment and returns it with HOME (added when absent).
func checkEnv(env []string) ([]string, string, error) {
	home := ""
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.ContainsRune(kv, 0) {
			return nil, "", fmt.Errorf("environment entry %q is not NAME=VALUE", kv)
		}
		if k == "HOME" {
			home = v
		}
		out = append(out, kv)
	}
	if home == "" {
		home = "/home/sandbox"
		out = append(out, "HOME="+home)
	}
	if !filepath.IsAbs(home) {
		return nil, "", fmt.Errorf("HOME %q is not absolute", home)
	}
	return out, filepath.Clean(home), nil
}

// etcMasks returns the bwrap arguments that hide what under etc is not readable by others
// on the host: files are replaced by /dev/null, folders by an empty read-only tmpfs. The
// walk does not enter a hidden folder and is bounded: past max entries it fails rather
// than leave the rest unchecked.
func etcMasks(etc string, max int) ([]string, error) {
	var a []string
	n := 0
	err := filepath.WalkDir(etc, func(p string, d fs.DirEntry, err error) error {
		if n++; n > max {
			return fmt.Errorf("%s holds more than %d entries: not all could be checked for secrets", etc, max)
		}
		if err != nil {
			if d != nil && d.IsDir() && p != etc {
				a = append(a, "--tmpfs", p, "--remount-ro", p)
				return fs.SkipDir
			}
			return nil
		}
		if p == etc || d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if info.Mode().Perm()&0o004 != 0 && (!d.IsDir() || info.Mode().Perm()&0o001 != 0) {
			return nil
		}
		if d.IsDir() {
			a = append(a, "--perms", "0555", "--tmpfs", p, "--remount-ro", p)
			return fs.SkipDir
		}
		if info.Mode().IsRegular() {
			a = append(a, "--ro-bind", "/dev/null", p)
		}
		return nil
	})
	return a, err
}
