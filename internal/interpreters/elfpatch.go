package interpreters

import (
	"debug/elf"
	"fmt"
	"os"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
)

// RunPaths returns the DT_RUNPATH and DT_RPATH strings of an ELF file (nil when it has
// none, or is not ELF).
func RunPaths(path string) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	var out []string
	for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
		v, err := f.DynString(tag)
		if err != nil {
			return nil, fmt.Errorf("read %s of %s: %w", tag, path, err)
		}
		out = append(out, v...)
	}
	return out, nil
}

// RewriteRunPath replaces, in place, every DT_RUNPATH or DT_RPATH string of the ELF file
// at path for which rewrite returns a new value. The new value must not be longer than
// the old one (it is written over the old string in .dynstr, padded with NULs); a longer
// one is an error wrapping errs.ErrInvalid. It reports whether anything changed. A file
// that is not ELF is left alone.
func RewriteRunPath(path string, rewrite func(old string) (string, bool)) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, nil
	}
	type patch struct {
		off int64
		old string
		new string
	}
	var patches []patch
	ds := f.Section(".dynamic")
	strtab := f.Section(".dynstr")
	if ds == nil || strtab == nil {
		f.Close()
		return false, nil
	}
	raw, err := ds.Data()
	if err != nil {
		f.Close()
		return false, fmt.Errorf("read .dynamic of %s: %w", path, err)
	}
	strs, err := strtab.Data()
	if err != nil {
		f.Close()
		return false, fmt.Errorf("read .dynstr of %s: %w", path, err)
	}
	entSize := 16
	if f.Class == elf.ELFCLASS32 {
		entSize = 8
	}
	for o := 0; o+entSize <= len(raw); o += entSize {
		var tag, val uint64
		if entSize == 16 {
			tag, val = f.ByteOrder.Uint64(raw[o:]), f.ByteOrder.Uint64(raw[o+8:])
		} else {
			tag, val = uint64(f.ByteOrder.Uint32(raw[o:])), uint64(f.ByteOrder.Uint32(raw[o+4:]))
		}
		if elf.DynTag(tag) == elf.DT_NULL {
			break
		}
		if elf.DynTag(tag) != elf.DT_RUNPATH && elf.DynTag(tag) != elf.DT_RPATH {
			continue
		}
		if val >= uint64(len(strs)) {
			f.Close()
			return false, fmt.Errorf("%s: runpath offset outside .dynstr: %w", path, errs.ErrInvalid)
		}
		end := strings.IndexByte(string(strs[val:]), 0)
		if end < 0 {
			f.Close()
			return false, fmt.Errorf("%s: unterminated runpath: %w", path, errs.ErrInvalid)
		}
		old := string(strs[val : val+uint64(end)])
		nv, ok := rewrite(old)
		if !ok || nv == old {
			continue
		}
		if len(nv) > len(old) {
			f.Close()
			return false, fmt.Errorf("%s: new runpath %q is longer than %q: %w", path, nv, old, errs.ErrInvalid)
		}
		patches = append(patches, patch{off: int64(strtab.Offset) + int64(val), old: old, new: nv})
	}
	f.Close()
	if len(patches) == 0 {
		return false, nil
	}
	w, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return false, err
	}
	for _, p := range patches {
		buf := make([]byte, len(p.old))
		copy(buf, p.new)
		if _, err := w.WriteAt(buf, p.off); err != nil {
			w.Close()
			return false, fmt.Errorf("patch runpath of %s: %w", path, err)
		}
	}
	return true, w.Close()
}
