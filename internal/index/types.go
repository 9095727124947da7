// Package index is the domain of the package index: repositories whose every change makes
// a new immutable repository version, distributions (base paths) that serve the latest or a
// pinned version, the distribution files themselves, yanking, removal, rollback, and the
// API tokens that guard them.
//
// A repository version is a set of rows pointing at content-addressed blobs; nothing is
// copied when a version is made. The Service combines a metastore.Store (rows) and a
// blobstore.Store (bytes): bytes are written before the rows that point at them, after
// their blobs rows are touched; a failed change leaves its bytes for GC, since no request
// deletes a blob (another process may have just referenced it). Every change goes
// through Apply, which makes one version from a batch of changes.
package index

import (
	"time"

	"github.com/pydepot/pydepot/internal/filenames"
)

// Scope is what a token may do. Each scope includes the ones before it.
type Scope string

const (
	ScopeRead   Scope = "read"
	ScopeUpload Scope = "upload"
	ScopeAdmin  Scope = "admin"
)

// Token is an API token as stored (its secret is only ever kept hashed).
type Token struct {
	ID         int64
	Name       string
	Scope      Scope
	Repository string // "" means every repository
	CreatedAt  time.Time
}

// Allows reports whether the token grants scope on repository repo ("" = every
// repository). Decisions about what a request may do go through Authorize, whose table
// says which scope each action needs.
func (t *Token) Allows(scope Scope, repo string) bool {
	if t == nil || scopeRank[t.Scope] < scopeRank[scope] {
		return false
	}
	return t.Repository == "" || t.Repository == repo
}

// Repository is a named, growing set of distribution files.
type Repository struct {
	Name        string
	Description string
	Latest      int // number of the latest version; 0 is the empty version made at creation
	CreatedAt   time.Time
	// CheckOnUpload queues a check of every file uploaded (SetUploadHook; quarantine.go).
	CheckOnUpload bool
}

// RepositoryVersion is one immutable state of a repository.
type RepositoryVersion struct {
	Repository string
	Number     int
	CreatedAt  time.Time
	Message    string // what made it: "upload foo-1.0.whl", "yank foo 1.0", "rollback to 3"
	Files      int    // number of files in this version
}

// Distribution serves a repository under a base path, or a merged view of several
// (Sources).
type Distribution struct {
	BasePath   string // "main", "team/dev"
	Repository string
	Pinned     *int // nil serves the latest version
	Public     bool // anonymous read allowed
	CreatedAt  time.Time
	// RequireChecks serves only the files whose latest check verdict is pass
	// (quarantine.go).
	RequireChecks bool
	// Sources is nil for a distribution serving one repository. Otherwise it is the
	// ordered list of what the distribution serves (a merged view, or a pull-through),
	// the first being Repository and Pinned; see views.go for the rule that decides
	// which source serves a project. AllowShadow lists the projects (normalized) whose
	// files are merged across sources instead.
	Sources     []Source
	AllowShadow []string
}

// File is one distribution file as seen in a repository version.
type File struct {
	Filename       string
	Project        string // PEP 503 normalized
	ProjectName    string // as written in the metadata
	Version        string // canonical PEP 440
	Kind           filenames.Kind
	SHA256         string
	Size           int64
	UploadTime     time.Time
	RequiresPython string
	Yanked         bool
	YankReason     string
	MetadataSHA256 string // sha256 of the core metadata file; "" when none was extracted
	Summary        string
	ImportNames    []string
	// RepositoryVersion is set in Upload's answer only: the repository version the
	// upload made (a new or restored file); 0 when the identical file was there.
	RepositoryVersion int
	// Origin is metastore.OriginUpload or OriginSync (from remote OriginRemote);
	// Presence is metastore.PresenceStored, or PresenceRemote when the bytes are not
	// downloaded yet.
	Origin       string
	OriginRemote string
	Presence     string
}

// ProjectSummary is one row of the project list.
type ProjectSummary struct {
	Name        string // normalized
	DisplayName string
	Serial      int64 // last serial that touched this project
}

// Project is a project's files in one repository version, with the display name and
// status that version gives it (they belong to the repository and its versions).
type Project struct {
	Name        string // normalized
	DisplayName string
	Serial      int64
	Status      string // PEP 792 project status: "active" unless set otherwise
	// StatusReason is PEP 792's free-form reason for the status; may be "".
	StatusReason string
	Files        []File // sorted by version (PEP 440) then filename
	Versions     []string
}

// Upload is one file to add to a repository. Content has been fully received (spooled) by
// the caller; Service.Upload verifies and stores it or changes nothing.
type Upload struct {
	Repository string
	Filename   string
	Content    ReaderAtSize
	SHA256     string // expected hex digest (from the form); "" skips the comparison
	Name       string // form name, checked against the file's metadata when not ""
	Version    string // form version, checked likewise
	// metadataInWheel: a wheel's core metadata file is not stored as a blob of its own
	// (a sync's wheels: derivedmeta.go); the row records it all the same.
	metadataInWheel bool
	// mirrored: the content is a mirror's copy whose digest matched its upstream's; it
	// is inspected without inflating every member (inspect.InspectMirrored).
	mirrored bool
	// dist is Filename parsed, when a sync parsed it already (nil: parsed here).
	dist *filenames.Dist
}

// ReaderAtSize is spooled content: an *os.File or a *bytes.Reader.
type ReaderAtSize interface {
	ReadAt(p []byte, off int64) (int, error)
	Size() int64
}
