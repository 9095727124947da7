// Package filenames parses and validates distribution file names: wheels (the binary
// distribution format spec) and sdists (name-version.tar.gz, and legacy .zip).
package filenames

import (
	"github.com/pydepot/pydepot/internal/tags"
	"github.com/pydepot/pydepot/internal/versions"
)

// Kind is the type of distribution a file name denotes.
type Kind string

const (
	KindWheel Kind = "bdist_wheel"
	KindSdist Kind = "sdist"
)

// Dist is a parsed distribution file name.
type Dist struct {
	Filename string
	Kind     Kind
	Name     string // project name as written in the file name
	Version  versions.Version
	Build    string     // wheel build tag, "" when absent
	Tags     []tags.Tag // wheel tags, expanded; nil for sdists
	Ext      string     // ".whl", ".tar.gz", ".zip"
}

// Parse parses a wheel or sdist file name. It rejects other extensions, names with path
// separators, invalid versions and invalid tags; errors wrap errs.ErrInvalid and say which
// part is wrong.
func Parse(filename string) (Dist, error) { panic("unimplemented") }
