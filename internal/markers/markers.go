// Package markers implements PEP 508 environment markers: parsing and evaluation against
// a given environment.
package markers

// Env holds the marker variables (python_version, python_full_version, os_name,
// sys_platform, platform_machine, platform_python_implementation, platform_release,
// platform_system, platform_version, implementation_name, implementation_version,
// extra). Missing keys evaluate as "".
type Env map[string]string

// Marker is a parsed marker expression. The zero value is the empty marker, which is always true.
type Marker struct {
	root node
}

type node interface{}

// Parse parses a marker expression such as `python_version >= "3.8" and extra == "test"`.
// Errors wrap errs.ErrInvalid.
func Parse(s string) (Marker, error) { panic("unimplemented") }

// IsZero reports whether m is the empty marker.
func (m Marker) IsZero() bool { return m.root == nil }

// Evaluate evaluates m in env. Comparisons use PEP 440 when both sides parse as versions,
// else string comparison; "extra" is compared normalized.
func (m Marker) Evaluate(env Env) bool { panic("unimplemented") }

// EvaluateExtras reports whether m holds in env for at least one of extras, or for
// extra == "" when extras is empty.
func (m Marker) EvaluateExtras(env Env, extras []string) bool { panic("unimplemented") }

// String returns the marker in canonical form.
func (m Marker) String() string { panic("unimplemented") }
