package tags

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
)

// legacyManylinux maps glibc 2.N to the PEP 513/571/599 names.
var legacyManylinux = map[int]string{5: "manylinux1", 12: "manylinux2010", 17: "manylinux2014"}

// manylinuxArchs are the architectures packaging offers manylinux tags for.
var manylinuxArchs = map[string]bool{
	"x86_64": true, "i686": true, "aarch64": true, "ppc64": true, "ppc64le": true,
	"s390x": true, "loongarch64": true, "riscv64": true, "armv7l": true,
}

// Platforms returns the platform tags of the target, most preferred first, ending with
// the generic one (linux_<arch>, the newest macosx_..., win_amd64); "any" is not included.
func (t Target) Platforms() []string {
	switch t.OS {
	case "linux", "":
		return t.linuxPlatforms()
	case "macos", "macosx", "darwin":
		return t.macPlatforms()
	case "windows", "win":
		switch t.Arch {
		case "x86_64", "amd64":
			return []string{"win_amd64"}
		case "i686", "i386", "x86", "win32":
			return []string{"win32"}
		case "aarch64", "arm64":
			return []string{"win_arm64"}
		}
		return []string{"win_" + t.Arch}
	}
	return []string{t.OS + "_" + t.Arch}
}

func (t Target) linuxPlatforms() []string {
	archs := []string{t.Arch}
	if t.Arch == "armv8l" {
		archs = append(archs, "armv7l")
	}
	var out []string
	switch t.Libc {
	case "glibc", "":
		if t.LibcMajor >= 2 {
			out = append(out, manylinux(archs, t.LibcMajor, t.LibcMinor)...)
		}
	case "musl":
		for _, a := range archs {
			for m := t.LibcMinor; m >= 0; m-- {
				out = append(out, fmt.Sprintf("musllinux_%d_%d_%s", t.LibcMajor, m, a))
			}
		}
	}
	for _, a := range archs {
		out = append(out, "linux_"+a)
	}
	return out
}

// manylinux is packaging's _manylinux.platform_tags for glibc major.minor.
func manylinux(archs []string, major, minor int) []string {
	compatible := false
	for _, a := range archs {
		compatible = compatible || manylinuxArchs[a]
	}
	if !compatible {
		return nil
	}
	oldMajor, oldMinor := 2, 16 // glibc too old for manylinux
	for _, a := range archs {
		if a == "x86_64" || a == "i686" {
			oldMinor = 4
		}
	}
	type glibc struct{ major, minor int }
	maxes := []glibc{{major, minor}}
	for m := major - 1; m > 1; m-- {
		maxes = append(maxes, glibc{m, 50}) // packaging's guess for a future glibc 3
	}
	var out []string
	for _, a := range archs {
		for _, g := range maxes {
			minMinor := -1
			if g.major == oldMajor {
				minMinor = oldMinor
			}
			for m := g.minor; m > minMinor; m-- {
				out = append(out, fmt.Sprintf("manylinux_%d_%d_%s", g.major, m, a))
				if legacy, ok := legacyManylinux[m]; ok && g.major == 2 {
					out = append(out, legacy+"_"+a)
				}
			}
		}
	}
	return out
}

// macPlatforms is packaging's mac_platforms.
func (t Target) macPlatforms() []string {
	major, minor := t.OSMajor, t.OSMinor
	if major == 0 {
		major, minor = 11, 0
	}
	arch := t.Arch
	if arch == "aarch64" {
		arch = "arm64"
	}
	var out []string
	emit := func(maj, min int, formats []string) {
		for _, f := range formats {
			out = append(out, fmt.Sprintf("macosx_%d_%d_%s", maj, min, f))
		}
	}
	if major == 10 {
		for m := minor; m >= 0; m-- {
			emit(10, m, macBinaryFormats(10, m, arch))
		}
	}
	if major >= 11 {
		for maj := major; maj > 10; maj-- {
			emit(maj, 0, macBinaryFormats(maj, 0, arch))
		}
		for m := 16; m > 3; m-- {
			if arch == "x86_64" {
				emit(10, m, macBinaryFormats(10, m, arch))
			} else {
				emit(10, m, []string{"universal2"})
			}
		}
	}
	return out
}

func macBinaryFormats(major, minor int, arch string) []string {
	before := func(ma, mi int) bool { return major < ma || major == ma && minor < mi }
	after := func(ma, mi int) bool { return major > ma || major == ma && minor > mi }
	formats := []string{arch}
	switch arch {
	case "x86_64":
		if before(10, 4) {
			return nil
		}
		formats = append(formats, "intel", "fat64", "fat32")
	case "i386":
		if before(10, 4) {
			return nil
		}
		formats = append(formats, "intel", "fat32", "fat")
	case "ppc64":
		if after(10, 5) || before(10, 4) {
			return nil
		}
		formats = append(formats, "fat64")
	case "ppc":
		if after(10, 6) {
			return nil
		}
		formats = append(formats, "fat32", "fat")
	}
	if arch == "arm64" || arch == "x86_64" {
		formats = append(formats, "universal2")
	}
	switch arch {
	case "x86_64", "i386", "ppc64", "ppc", "intel":
		formats = append(formats, "universal")
	}
	return formats
}

// WithPlatform returns t with OS, Arch, libc and macOS version set from a platform tag:
// manylinux_2_28_x86_64, manylinux2014_aarch64, manylinux1_i686, musllinux_1_2_x86_64,
// linux_x86_64, macosx_11_0_arm64, win_amd64, win32. Errors wrap errs.ErrInvalid.
func (t Target) WithPlatform(platform string) (Target, error) {
	p := strings.ToLower(platform)
	bad := func(why string) (Target, error) {
		return t, fmt.Errorf("invalid platform tag %q: %s: %w", platform, why, errs.ErrInvalid)
	}
	nums := func(rest string) (int, int, string, bool) {
		a, rest, ok1 := strings.Cut(rest, "_")
		b, arch, ok2 := strings.Cut(rest, "_")
		x, e1 := strconv.Atoi(a)
		y, e2 := strconv.Atoi(b)
		return x, y, arch, ok1 && ok2 && e1 == nil && e2 == nil && arch != "" && x >= 0 && y >= 0
	}
	for legacy, glibcMinor := range map[string]int{"manylinux1_": 5, "manylinux2010_": 12, "manylinux2014_": 17} {
		if arch, ok := strings.CutPrefix(p, legacy); ok && arch != "" {
			t.OS, t.Arch, t.Libc, t.LibcMajor, t.LibcMinor = "linux", arch, "glibc", 2, glibcMinor
			return t, nil
		}
	}
	switch {
	case strings.HasPrefix(p, "manylinux_"):
		x, y, arch, ok := nums(strings.TrimPrefix(p, "manylinux_"))
		if !ok {
			return bad("want manylinux_X_Y_arch")
		}
		t.OS, t.Arch, t.Libc, t.LibcMajor, t.LibcMinor = "linux", arch, "glibc", x, y
	case strings.HasPrefix(p, "musllinux_"):
		x, y, arch, ok := nums(strings.TrimPrefix(p, "musllinux_"))
		if !ok {
			return bad("want musllinux_X_Y_arch")
		}
		t.OS, t.Arch, t.Libc, t.LibcMajor, t.LibcMinor = "linux", arch, "musl", x, y
	case strings.HasPrefix(p, "linux_"):
		t.OS, t.Arch, t.Libc, t.LibcMajor, t.LibcMinor = "linux", strings.TrimPrefix(p, "linux_"), "", 0, 0
		if t.Arch == "" {
			return bad("no architecture")
		}
	case strings.HasPrefix(p, "macosx_"):
		x, y, arch, ok := nums(strings.TrimPrefix(p, "macosx_"))
		if !ok {
			return bad("want macosx_X_Y_arch")
		}
		t.OS, t.Arch, t.OSMajor, t.OSMinor, t.Libc = "macos", arch, x, y, ""
	case p == "win32":
		t.OS, t.Arch, t.Libc = "windows", "i686", ""
	case strings.HasPrefix(p, "win_"):
		t.OS, t.Arch, t.Libc = "windows", strings.TrimPrefix(p, "win_"), ""
		if t.Arch == "amd64" {
			t.Arch = "x86_64"
		}
	default:
		return bad("unknown platform")
	}
	return t, nil
}
