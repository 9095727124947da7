package resolver

import (
	"context"

	"github.com/pydepot/pydepot/internal/errs"
	"log/slog"
	"time"

	"github.com/pydepot/pydepot/internal/markers"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/tags"
	"github.com/pydepot/pydepot/internal/versions"
)

// File is one distribution file of a candidate version.
type File struct {
	Filename       string
	URL            string
	SHA256         string // lower-case hex; "" when the index gave none
	Size           int64  // -1 when unknown
	Sdist          bool   // true for an sdist (must be built), false for a wheel
	Tags           []tags.Tag
	RequiresPython string // "" = any
	Yanked         bool
	YankedReason   string
	UploadTime     time.Time
	// Ref is the provider's own handle for the file (a simpleindex.File for IndexProvider).
	Ref any
}

// Candidate is one version of a project with all its files.
type Candidate struct {
	Name    string // PEP 503 normalized
	Version versions.Version
	Files   []File
	// LeftOut says why the provider left out files it had ("" = none left out): the
	// reason the version cannot be installed when no file remains.
	LeftOut string
}

// Provider supplies candidates and their dependencies. Implementations must be safe for
// concurrent use (the resolver may prefetch).
type Provider interface {
	// Candidates returns every version of the project name (normalized) with its files,
	// in any order. A missing project returns an error wrapping errs.ErrNotFound.
	Candidates(ctx context.Context, name string) ([]Candidate, error)
	// Dependencies returns the Requires-Dist of version c.Version, read from file f (one of
	// c.Files), unevaluated (markers and extras are applied by the resolver).
	Dependencies(ctx context.Context, c Candidate, f File) ([]requirements.Requirement, error)
}

// Prefetcher is an optional Provider capability: Prefetch starts fetching the candidates
// of several projects at once (the resolver calls it with the dependencies of a version
// before reading them one by one) and returns when they are cached. Errors are not
// reported here; the later Candidates call reports them.
type Prefetcher interface {
	Prefetch(ctx context.Context, names []string)
}

// MetadataPython is an optional Provider capability: the Requires-Python of a version's
// core metadata. The resolver asks for it when the index gave no requires-python for the
// chosen file, and skips the version when it excludes the target.
type MetadataPython interface {
	RequiresPython(ctx context.Context, c Candidate, f File) (string, error)
}

// Locator is an optional Provider capability: Location names where the candidates come
// from (the index URLs), for messages such as "requests is not on http://host/simple/".
type Locator interface {
	Location() string
}

// MissingError reports that a project the request names directly is not on the index.
// It wraps errs.ErrNotFound.
type MissingError struct {
	Name  string // as requested
	Where string // the provider's Location, or "the index"
}

func (e *MissingError) Error() string { return e.Name + " is not on " + e.Where }
func (e *MissingError) Unwrap() error { return errs.ErrNotFound }

// UnusableError, returned (wrapped or not) by Provider.Dependencies, makes the resolver
// skip that version, giving Reason ("has invalid metadata: ...") in explanations,
// instead of failing the whole resolution.
type UnusableError struct {
	Reason string
}

func (e *UnusableError) Error() string { return e.Reason }

// Request is what to resolve and for which target.
type Request struct {
	Requirements []requirements.Requirement
	// Constraints restrict versions of packages if they are needed, without requiring them.
	Constraints []requirements.Requirement
	// Env is the target's marker environment (extra is set by the resolver).
	Env markers.Env
	// Python is the target interpreter's full version, checked against requires-python.
	// The zero Version skips the check.
	Python versions.Version
	// Target selects compatible wheels; nil accepts every wheel (and ranks them equal).
	Target *tags.Target
	// Prereleases allows pre-releases everywhere.
	Prereleases bool
	// NoSdist refuses sdists (only wheels are acceptable).
	NoSdist bool
	Logger  *slog.Logger
}

// Pin is one chosen distribution.
type Pin struct {
	Name    string // PEP 503 normalized
	Version versions.Version
	File    File
	// Extras lists the extras requested of this package (sorted, normalized).
	Extras []string
	// Dependencies lists the normalized names of the pinned packages this one needs
	// (with its requested extras and markers applied), sorted.
	Dependencies []string
}

// Result is a solution: one pin per package, sorted by name.
type Result struct {
	Pins []Pin
	// Roots lists the normalized names required directly by the request, sorted.
	Roots []string
}

// Pin returns the pin of the normalized name, or nil.
func (r *Result) Pin(name string) *Pin {
	for i := range r.Pins {
		if r.Pins[i].Name == name {
			return &r.Pins[i]
		}
	}
	return nil
}

// ConflictError reports an unsatisfiable request. Error() is the whole explanation;
// Lines holds it one statement per line (the last line concludes).
type ConflictError struct {
	Lines []string
}
