// Package tags implements wheel compatibility tags (PEP 425, PEP 600 manylinux, PEP 656
// musllinux) and the check of a wheel's tags against a target interpreter and platform.
package tags

// Tag is one interpreter-abi-platform triple, e.g. {"cp311", "cp311", "manylinux_2_17_x86_64"}.
type Tag struct {
	Interpreter string
	ABI         string
	Platform    string
}

// String returns "interpreter-abi-platform".
func (t Tag) String() string { return t.Interpreter + "-" + t.ABI + "-" + t.Platform }

// ParseSet expands a compressed tag set such as "py2.py3-none-any" into its tags.
// Errors wrap errs.ErrInvalid.
func ParseSet(s string) ([]Tag, error) { panic("unimplemented") }

// Target describes the interpreter and platform that wheels are chosen for.
type Target struct {
	Implementation string // "cp" (CPython), "pp"
	Major, Minor   int    // 3, 11
	ABIFlags       string // "" normally, "t" for free-threaded builds
	OS             string // "linux", "macos", "windows"
	Arch           string // "x86_64", "aarch64", "i686", ...
	Libc           string // "glibc" or "musl" (linux only)
	LibcMajor      int
	LibcMinor      int
}

// Tags returns every tag the target supports, most preferred first (as packaging.tags.sys_tags
// orders them): the interpreter's own ABI, abi3 back to 3.2, none, then py3X/py3 generic,
// across manylinux_2_N (N from LibcMinor down to 5, with the legacy manylinux1/2010/2014 aliases),
// musllinux_1_N, linux_<arch>, and any.
func (t Target) Tags() []Tag { panic("unimplemented") }

// Rank returns the position of the best of wheelTags in t.Tags() (lower is better) and
// whether any of them is supported at all.
func (t Target) Rank(wheelTags []Tag) (int, bool) { panic("unimplemented") }
