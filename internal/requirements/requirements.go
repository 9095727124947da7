// Package requirements parses PEP 508 dependency specifiers and requirements.txt files.
package requirements

import (
	"github.com/pydepot/pydepot/internal/markers"
	"github.com/pydepot/pydepot/internal/versions"
)

// Requirement is one PEP 508 dependency specifier.
type Requirement struct {
	Name       string // as written
	Extras     []string
	Specifiers versions.SpecifierSet
	URL        string // for "name @ url"
	Marker     markers.Marker
}

// Parse parses a PEP 508 string such as `requests[socks]>=2; python_version>"3.7"`.
// Errors wrap errs.ErrInvalid.
func Parse(s string) (Requirement, error) { panic("unimplemented") }

// String returns the requirement in canonical form.
func (r Requirement) String() string { panic("unimplemented") }

// File is a parsed requirements.txt.
type File struct {
	Requirements []Requirement
	IndexURLs    []string // --index-url / -i, then --extra-index-url, in order
	Constraints  []Requirement
}

// ParseFile parses requirements.txt text: comments, line continuations, -r/-c includes
// (resolved through open, relative to the including file), --index-url, --extra-index-url,
// and hash options (ignored). Errors name the line.
func ParseFile(name string, data []byte, open func(name string) ([]byte, error)) (*File, error) {
	panic("unimplemented")
}
