package interpreters

import (
	"context"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pydepot/pydepot/internal/errs"
)

// Epoch is the modification time of every file in a bundled environment and of every
// member of a packed one.
var Epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Bundled describes an interpreter copied into an environment directory.
type Bundled struct {
	Dir          string // the environment root
	Python       string // ENV/bin/python3.11 (the real binary)
	BinDir       string // ENV/bin
	Stdlib       string // ENV/lib/python3.11
	SitePackages string // where distributions are installed
	Interpreter  *Interpreter
}

// skipDirs are standard-library directories left out of a bundle (at any depth).
var skipDirs = map[string]bool{
	"site-packages": true, "dist-packages": true, "test": true, "tests": true,
	"idle_test": true, "idlelib": true, "turtledemo": true, "ensurepip": true,
}

var optPyc = regexp.MustCompile(`\.opt-\d\.pyc$`)

type copyJob struct {
	src, dst string
	mode     fs.FileMode
}

// Bundle copies in and its standard library into dir (created if missing; it should be
// empty) as described in the package documentation. Errors wrap errs.ErrInvalid when the
// interpreter's layout is not understood.
func Bundle(ctx context.Context, in *Interpreter, dir string) (*Bundled, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if in.Stdlib == "" {
		return nil, fmt.Errorf("interpreter %s reports no standard library directory: %w", in, errs.ErrInvalid)
	}
	libName := filepath.Base(in.Stdlib) // python3.11
	b := &Bundled{
		Dir: dir, BinDir: filepath.Join(dir, "bin"), Stdlib: filepath.Join(dir, "lib", libName),
		Interpreter: in,
	}
	exeName := filepath.Base(in.RealPath)
	if !strings.HasPrefix(exeName, "python3.") {
		exeName = "python" + in.MajorMinor() + in.ABIFlags
	}
	b.Python = filepath.Join(b.BinDir, exeName)
	for _, d := range []string{b.BinDir, b.Stdlib} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}

	var jobs []copyJob
	jobs = append(jobs, copyJob{in.RealPath, b.Python, 0o755})
	stdlib, err := filepath.EvalSymlinks(in.Stdlib)
	if err != nil {
		return nil, fmt.Errorf("standard library of %s: %w", in, err)
	}
	if jobs, err = collect(jobs, stdlib, b.Stdlib); err != nil {
		return nil, err
	}
	if in.DynLoad != "" {
		dyn, err := filepath.EvalSymlinks(in.DynLoad)
		if err == nil && !strings.HasPrefix(dyn+"/", stdlib+"/") {
			if jobs, err = collect(jobs, dyn, filepath.Join(b.Stdlib, "lib-dynload")); err != nil {
				return nil, err
			}
		}
	}
	libDirs := []string{}
	if in.Shared {
		lib, ld, err := findLibpython(in)
		if err != nil {
			return nil, err
		}
		libDirs = append(libDirs, ld)
		if in.LibDir != "" && filepath.Clean(in.LibDir) != ld {
			libDirs = append(libDirs, filepath.Clean(in.LibDir))
		}
		jobs = append(jobs, copyJob{lib, filepath.Join(dir, "lib", filepath.Base(lib)), 0o755})
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, j := range jobs {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			return copyOne(j)
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("bundle %s: %w", in, err)
	}

	if err := stripDebug(ctx, jobs); err != nil {
		return nil, err
	}
	if len(libDirs) > 0 {
		newLib := filepath.Join(dir, "lib")
		for _, j := range jobs {
			if j.dst != b.Python && !strings.HasSuffix(j.dst, ".so") && !strings.Contains(filepath.Base(j.dst), ".so.") {
				continue
			}
			if _, err := RewriteRunPath(j.dst, relocRunPath(libDirs, filepath.Dir(j.dst), newLib)); err != nil {
				return nil, err
			}
		}
	}
	if err := os.Remove(filepath.Join(b.Stdlib, "EXTERNALLY-MANAGED")); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	for _, w := range []string{"python3", "python"} {
		if w == exeName {
			continue
		}
		script := wrapperPrefix + exeName + "\" \"$@\"\n"
		if err := os.WriteFile(filepath.Join(b.BinDir, w), []byte(script), 0o755); err != nil {
			return nil, err
		}
	}
	b.SitePackages = filepath.Join(b.Stdlib, "site-packages")
	for _, sp := range in.SitePackages {
		rel, err := filepath.Rel(in.Prefix, sp)
		if err == nil && (rel == "lib/"+libName+"/site-packages" || rel == "lib/"+libName+"/dist-packages") {
			b.SitePackages = filepath.Join(dir, rel)
			break
		}
	}
	if err := os.MkdirAll(b.SitePackages, 0o755); err != nil {
		return nil, err
	}
	return b, SetTimes(ctx, dir)
}

// collect walks src and adds a job per regular file (symlinks copied as their target),
// creating the directories under dst now.
func collect(jobs []copyJob, src, dst string) ([]copyJob, error) {
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		name := d.Name()
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if p != src && (skipDirs[name] || strings.HasPrefix(name, "config-")) {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		}
		if optPyc.MatchString(name) {
			return nil
		}
		st, err := os.Stat(p) // follows symlinks
		if err != nil || !st.Mode().IsRegular() {
			return nil // dangling link or a link to a directory: left out
		}
		mode := fs.FileMode(0o644)
		if st.Mode()&0o111 != 0 {
			mode = 0o755
		}
		jobs = append(jobs, copyJob{p, target, mode})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("copy %s: %w", src, err)
	}
	return jobs, nil
}

func copyOne(j copyJob) error {
	if strings.HasSuffix(j.src, ".pyc") {
		return copyPyc(j)
	}
	in, err := os.Open(j.src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(j.dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, j.mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", j.src, err)
	}
	return out.Close()
}

// copyPyc copies a timestamp-validated .pyc whose source is present and unchanged, with
// the recorded source mtime set to Epoch; any other .pyc is left out (Python rebuilds it).
func copyPyc(j copyJob) error {
	data, err := os.ReadFile(j.src)
	if err != nil || len(data) < 16 || binary.LittleEndian.Uint32(data[4:8]) != 0 {
		return nil
	}
	dir := filepath.Dir(j.src)
	if filepath.Base(dir) != "__pycache__" {
		return nil
	}
	mod, _, _ := strings.Cut(filepath.Base(j.src), ".")
	st, err := os.Stat(filepath.Join(filepath.Dir(dir), mod+".py"))
	if err != nil {
		return nil
	}
	if binary.LittleEndian.Uint32(data[8:12]) != uint32(st.ModTime().Unix()) ||
		binary.LittleEndian.Uint32(data[12:16]) != uint32(st.Size()) {
		return nil
	}
	binary.LittleEndian.PutUint32(data[8:12], uint32(Epoch.Unix()))
	return os.WriteFile(j.dst, data, j.mode)
}

// findLibpython returns the libpython a shared interpreter needs and its directory.
func findLibpython(in *Interpreter) (string, string, error) {
	f, err := elf.Open(in.RealPath)
	if err != nil {
		return "", "", fmt.Errorf("read %s: %w", in.RealPath, err)
	}
	needed, err := f.ImportedLibraries()
	f.Close()
	if err != nil {
		return "", "", fmt.Errorf("read %s: %w", in.RealPath, err)
	}
	rps, _ := RunPaths(in.RealPath)
	var dirs []string
	for _, rp := range rps {
		dirs = append(dirs, strings.Split(rp, ":")...)
	}
	dirs = append(dirs, in.LibDir, filepath.Join(in.Prefix, "lib"))
	for _, n := range needed {
		if !strings.HasPrefix(n, "libpython") {
			continue
		}
		for _, d := range dirs {
			if d == "" || strings.Contains(d, "$") {
				continue
			}
			p := filepath.Join(d, n)
			if _, err := os.Stat(p); err == nil {
				return p, filepath.Clean(d), nil // copied under the NEEDED name
			}
		}
		return "", "", fmt.Errorf("interpreter %s needs %s, not found in %s: %w", in, n, strings.Join(dirs, ":"), errs.ErrNotFound)
	}
	return "", "", fmt.Errorf("interpreter %s says it is a shared build but links no libpython: %w", in, errs.ErrInvalid)
}

// relocRunPath returns a RewriteRunPath function that turns each entry naming one of
// libDirs into $ORIGIN-relative form for a file in fileDir, newLib being the new library
// directory.
func relocRunPath(libDirs []string, fileDir, newLib string) func(string) (string, bool) {
	return func(old string) (string, bool) {
		parts := strings.Split(old, ":")
		changed := false
		for i, p := range parts {
			for _, ld := range libDirs {
				if filepath.Clean(p) == ld {
					rel, err := filepath.Rel(fileDir, newLib)
					if err != nil {
						continue
					}
					parts[i] = "$ORIGIN"
					if rel != "." {
						parts[i] += "/" + rel
					}
					changed = true
				}
			}
		}
		return strings.Join(parts, ":"), changed
	}
}

// isELFJob reports whether a copied file may be an ELF object (the binary, libpython,
// extension modules).
func isELFJob(j copyJob) bool {
	base := filepath.Base(j.dst)
	return filepath.Base(filepath.Dir(j.dst)) == "bin" || strings.HasSuffix(base, ".so") || strings.Contains(base, ".so.")
}

// stripDebug removes the debug sections of the copied ELF files that have them (pyenv's
// builds keep them: libpython3.11.so is 23 MB with them, 4 MB without) with
// `strip --strip-debug`, when binutils' strip is installed; symbols stay. Without strip
// the files are kept as they are.
func stripDebug(ctx context.Context, jobs []copyJob) error {
	var files []string
	for _, j := range jobs {
		if !isELFJob(j) {
			continue
		}
		f, err := elf.Open(j.dst)
		if err != nil {
			continue
		}
		if f.Section(".debug_info") != nil {
			files = append(files, j.dst)
		}
		f.Close()
	}
	if len(files) == 0 {
		return nil
	}
	strip, err := exec.LookPath("strip")
	if err != nil {
		return nil
	}
	out, err := exec.CommandContext(ctx, strip, append([]string{"--strip-debug"}, files...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("strip --strip-debug: %v: %s", err, out)
	}
	return nil
}

// SetTimes sets the access and modification time of every file and directory under dir
// to Epoch (directories last, deepest first, so their own times stay set).
func SetTimes(ctx context.Context, dir string) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		return os.Chtimes(p, Epoch, Epoch)
	})
	if err != nil {
		return fmt.Errorf("set times under %s: %w", dir, err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chtimes(dirs[i], Epoch, Epoch); err != nil {
			return err
		}
	}
	return nil
}

// wrapperPrefix starts the python3 and python wrappers Bundle writes.
const wrapperPrefix = "#!/bin/sh\nexec \"${0%/*}/"

// LinkWrappers replaces the python3/python wrapper scripts in binDir by symbolic links to
// the interpreter they exec, saving one /bin/sh per start. Use it on a tree that will not
// be packed (an unpacked or --no-pack environment): packed trees hold no links.
func LinkWrappers(binDir string) error {
	for _, w := range []string{"python3", "python"} {
		p := filepath.Join(binDir, w)
		data, err := os.ReadFile(p)
		if err != nil || len(data) > 256 || !strings.HasPrefix(string(data), wrapperPrefix) {
			continue
		}
		target, _, ok := strings.Cut(strings.TrimPrefix(string(data), wrapperPrefix), "\"")
		if !ok || strings.Contains(target, "/") || target == "" {
			continue
		}
		tmp := p + ".tmp-link"
		os.Remove(tmp)
		if err := os.Symlink(target, tmp); err != nil {
			return err
		}
		if err := os.Rename(tmp, p); err != nil {
			return err
		}
	}
	return nil
}
