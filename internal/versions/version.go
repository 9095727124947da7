// Package versions implements PEP 440 versions and version specifiers.
//
// Version values are parsed once, printed in canonical (normalized) form by String, and
// totally ordered by Compare. Never sort versions as strings.
package versions

// Version is a parsed PEP 440 version. The zero value is not a valid version.
type Version struct {
	epoch   int
	release []int
	preL    string // "a", "b", "rc"; "" when no pre-release segment
	preN    int
	post    int // -1 when absent
	dev     int // -1 when absent
	local   string
}

// Parse parses s (leading/trailing space and a leading "v" allowed). The error wraps errs.ErrInvalid.
func Parse(s string) (Version, error) { panic("unimplemented") }

// MustParse is Parse that panics; for tests and constants.
func MustParse(s string) Version { panic("unimplemented") }

// String returns the canonical normalized form ("1.0a1", "1!2.0.post1.dev3+abc.5").
func (v Version) String() string { panic("unimplemented") }

// Compare returns -1, 0 or +1 following PEP 440 ordering (1.0 == 1.0.0).
func (v Version) Compare(w Version) int { panic("unimplemented") }

// IsPrerelease reports a pre-release or dev release.
func (v Version) IsPrerelease() bool { panic("unimplemented") }

// IsPostrelease reports a post-release.
func (v Version) IsPostrelease() bool { panic("unimplemented") }

// IsDevrelease reports a dev release.
func (v Version) IsDevrelease() bool { panic("unimplemented") }

// Epoch returns the epoch (0 when absent).
func (v Version) Epoch() int { panic("unimplemented") }

// Release returns the release segment (a copy).
func (v Version) Release() []int { panic("unimplemented") }

// Local returns the normalized local label, "" when absent.
func (v Version) Local() string { panic("unimplemented") }

// Public returns v without its local label.
func (v Version) Public() Version { panic("unimplemented") }

// BaseVersion returns epoch and release only.
func (v Version) BaseVersion() Version { panic("unimplemented") }
