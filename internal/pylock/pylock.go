package pylock

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Version is the lock-version this package writes.
const Version = "1.0"

// CreatedBy is the created-by value pydepot writes.
const CreatedBy = "pydepot"

// Lock is a pylock.toml document.
type Lock struct {
	LockVersion      string         `toml:"lock-version"`
	Environments     []string       `toml:"environments,omitempty"` // PEP 508 markers
	RequiresPython   string         `toml:"requires-python,omitempty"`
	Extras           []string       `toml:"extras,omitempty"`
	DependencyGroups []string       `toml:"dependency-groups,omitempty"`
	DefaultGroups    []string       `toml:"default-groups,omitempty"`
	CreatedBy        string         `toml:"created-by"`
	Packages         []Package      `toml:"packages"`
	Tool             map[string]any `toml:"tool,omitempty"`
}

// Package is one [[packages]] entry.
type Package struct {
	Name                  string           `toml:"name"`
	Version               string           `toml:"version,omitempty"`
	Marker                string           `toml:"marker,omitempty"`
	RequiresPython        string           `toml:"requires-python,omitempty"`
	Dependencies          []Dependency     `toml:"dependencies,omitempty"`
	Index                 string           `toml:"index,omitempty"` // the index URL (simple API base)
	Sdist                 *File            `toml:"sdist,omitempty"`
	Wheels                []File           `toml:"wheels,omitempty"`
	AttestationIdentities []map[string]any `toml:"attestation-identities,omitempty"`
	Tool                  map[string]any   `toml:"tool,omitempty"`
}

// Dependency points at another [[packages]] entry.
type Dependency struct {
	Name    string `toml:"name"`
	Version string `toml:"version,omitempty"`
}

// File is an sdist or a wheel.
type File struct {
	Name       string            `toml:"name,omitempty"`
	UploadTime *time.Time        `toml:"upload-time,omitempty"`
	URL        string            `toml:"url,omitempty"`
	Path       string            `toml:"path,omitempty"`
	Size       int64             `toml:"size,omitempty"`
	Hashes     map[string]string `toml:"hashes"` // algorithm → hex digest, e.g. "sha256"
}

// New returns an empty lock with lock-version and created-by set.
func New() *Lock { return &Lock{LockVersion: Version, CreatedBy: CreatedBy} }

// Digest returns the hex sha256 of the canonical bytes (Marshal). Two locks with the same
// content have the same digest whatever the order they were built in.
func (l *Lock) Digest() (string, error) {
	b, err := Marshal(l)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
