package envrun

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// The folders run unpacks into decide what code it executes: whoever can write to the
// cache, to an unpacked environment or to a folder above them can make the next run
// execute their bin/python3. So, like ssh with ~/.ssh, run trusts a folder only when
//
//   - it is a real directory (checked with Lstat after resolving symbolic links once, and
//     the resolved path is what is used afterwards), owned by the effective user, and
//     not writable by group or others: the cache root, envs/, envs/keys/, every unpacked
//     environment and every lock file;
//   - every folder above it is owned by the effective user or by root, and is not
//     writable by group or others unless it has the sticky bit (as /tmp has: there, others
//     can create entries but cannot rename or remove ours).
//
// Anything else is refused with an error naming the folder, its owner and its mode.

// unsafeError says why a path is not trusted.
type unsafeError struct {
	path, why string
}

func (e *unsafeError) Error() string {
	return fmt.Sprintf("refusing to use %s: %s", e.path, e.why)
}

// ownerMode returns the owner uid and mode of a Lstat result.
func ownerMode(st fs.FileInfo) (uint32, fs.FileMode) {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return s.Uid, st.Mode()
	}
	return ^uint32(0), st.Mode()
}

// checkOwn checks that st (from Lstat of path) is a directory or a regular file (want)
// owned by the effective user and not writable by group or others.
func checkOwn(path string, st fs.FileInfo, dir bool) error {
	uid, mode := ownerMode(st)
	euid := uint32(os.Geteuid())
	switch {
	case mode&fs.ModeSymlink != 0:
		return &unsafeError{path, "it is a symbolic link"}
	case dir && !mode.IsDir():
		return &unsafeError{path, "it is not a directory"}
	case !dir && !mode.IsRegular():
		return &unsafeError{path, "it is not a regular file"}
	case uid != euid:
		return &unsafeError{path, fmt.Sprintf("it is owned by uid %d, not by you (uid %d)", uid, euid)}
	case mode.Perm()&0o022 != 0:
		return &unsafeError{path, fmt.Sprintf("it is writable by others (mode %04o; chmod go-w it if it is yours)", mode.Perm())}
	}
	return nil
}

// checkAncestors checks every directory from dir (absolute, without symbolic links) up to
// the root: owned by the effective user or root, and not writable by group or others
// unless sticky.
func checkAncestors(dir string) error {
	euid := uint32(os.Geteuid())
	for p := dir; ; p = filepath.Dir(p) {
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		uid, mode := ownerMode(st)
		switch {
		case !mode.IsDir():
			return &unsafeError{p, "it is not a directory"}
		case uid != euid && uid != 0:
			return &unsafeError{p, fmt.Sprintf("a folder above it, %s, is owned by uid %d, neither you (uid %d) nor root", p, uid, euid)}
		case mode.Perm()&0o022 != 0 && mode&fs.ModeSticky == 0:
			return &unsafeError{p, fmt.Sprintf("a folder above it, %s, is writable by others (mode %04o) and not sticky", p, mode.Perm())}
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// resolveDir makes dir (and missing parents, with perm) exist and returns it absolute
// with symbolic links resolved, after checking every folder above it.
func resolveDir(dir string, perm fs.FileMode) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(abs, perm); err != nil {
		return "", err
	}
	// A symbolic link planted by someone else (in /tmp, say) is refused outright, even if
	// it points at a folder that would pass.
	if st, err := os.Lstat(abs); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		if uid, _ := ownerMode(st); uid != uint32(os.Geteuid()) && uid != 0 {
			return "", &unsafeError{abs, fmt.Sprintf("it is a symbolic link owned by uid %d", uid)}
		}
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	if err := checkAncestors(filepath.Dir(real)); err != nil {
		var ue *unsafeError
		if errors.As(err, &ue) {
			ue.path = abs
		}
		return "", err
	}
	return real, nil
}

// secureRoot makes the cache root exist (created 0700) and returns its resolved path once
// it and every folder above it pass the checks.
func secureRoot(dir string) (string, error) {
	real, err := resolveDir(dir, 0o700)
	if err != nil {
		return "", err
	}
	st, err := os.Lstat(real)
	if err != nil {
		return "", err
	}
	if err := checkOwn(real, st, true); err != nil {
		return "", err
	}
	return real, nil
}

// secureSubdir makes parent/name (parent already checked) exist as a directory of the
// effective user, created 0700, and returns its path.
func secureSubdir(parent, name string) (string, error) {
	p := filepath.Join(parent, name)
	if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	st, err := os.Lstat(p)
	if err != nil {
		return "", err
	}
	return p, checkOwn(p, st, true)
}

// checkTarget checks an environment folder: absent, or a directory of the effective
// user that nobody else can write to.
func checkTarget(target string) (exists bool, err error) {
	st, err := os.Lstat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, checkOwn(target, st, true)
}

// ownedByMe reports whether the entry at p (not followed) belongs to the effective user.
func ownedByMe(p string) bool {
	st, err := os.Lstat(p)
	if err != nil {
		return false
	}
	uid, _ := ownerMode(st)
	return uid == uint32(os.Geteuid())
}

// cacheHint is appended to errors about an unsafe cache.
func cacheHint(err error) string {
	var ue *unsafeError
	if errors.As(err, &ue) && strings.Contains(ue.why, "owned by uid") {
		return " (another user may have created it first: set XDG_CACHE_HOME to a folder of yours, or use -u DIR)"
	}
	return ""
}
