// Package names implements PEP 503 project name normalization and PEP 508 name validity.
package names

import "strings"

// Normalize returns the PEP 503 normalized form: lower case, runs of "-", "_", "." become one "-".
func Normalize(name string) string {
	b := make([]byte, 0, len(name))
	inRun := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' || c == '_' || c == '.' {
			if !inRun {
				b = append(b, '-')
			}
			inRun = true
			continue
		}
		inRun = false
		b = append(b, c)
	}
	// Like Python's str.lower in packaging's canonicalize_name, non-ASCII letters are
	// lowered too (such names are not Valid, but they still get a stable key).
	return strings.ToLower(string(b))
}

// Valid reports whether name is a valid PEP 508 distribution name: ASCII letters and
// digits, with ".", "-" and "_" allowed only between them (case-insensitive
// ^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$).
func Valid(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case isAlnum(c):
		case c == '-' || c == '_' || c == '.':
			if i == 0 || i == len(name)-1 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// Equal reports whether two project names denote the same project.
func Equal(a, b string) bool { return Normalize(a) == Normalize(b) }

// WheelEscape returns name as it appears in wheel and sdist file names and .dist-info
// directories: normalized, with "_" in place of "-".
func WheelEscape(name string) string {
	n := []byte(Normalize(name))
	for i, c := range n {
		if c == '-' {
			n[i] = '_'
		}
	}
	return string(n)
}

func isAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}
