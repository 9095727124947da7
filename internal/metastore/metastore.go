// Package metastore is pydepot's metadata store: repositories and their versions, the
// distribution files and which versions hold them, projects and their serials,
// distributions, API tokens and import names.
//
// The Store interface is made of small role interfaces (RepositoryReader,
// ContentWriter, ...) so that callers ask for what they need and a PostgreSQL
// implementation can follow the SQLite one (package sqlite below this one is the
// embedded default). Every change runs inside Store.InTx; a Tx reads its own writes.
//
// A repository version N is the set of repository_content rows (and project_attributes
// rows: display name, PEP 792 status) with
// version_added <= N and (version_removed IS NULL or version_removed > N). Making a
// version therefore writes only the rows that change; nothing is copied. Old versions may
// be reclaimed (RetentionWriter): their version rows go with the rows no remaining version
// holds, while serials stay, so the remaining versions read as before.
//
// Errors wrap the internal/errs categories: ErrNotFound for a missing row, ErrConflict
// for a unique name or filename already taken, ErrInvalid for bad arguments.
package metastore

import (
	"context"
	"time"
)

// Repository is a repository row.
type Repository struct {
	ID          int64
	Name        string
	Description string
	Latest      int
	CreatedAt   time.Time
	// CheckOnUpload queues a check of every file uploaded (internal/checks).
	CheckOnUpload bool
}

// Version is a repository version row.
type Version struct {
	RepositoryID int64
	Number       int
	CreatedAt    time.Time
	Message      string
	Files        int
}

// File is a stored distribution file of a repository (one row per filename, for ever),
// plus, when read through a version, its yank state in that version.
type File struct {
	ID             int64
	RepositoryID   int64
	Filename       string
	Project        string // PEP 503 normalized
	ProjectName    string // as written in the metadata
	Version        string // canonical PEP 440
	Kind           string
	SHA256         string
	Size           int64
	MetadataSHA256 string
	RequiresPython string
	Summary        string
	UploadTime     time.Time
	ImportNames    []string
	// MetadataSize is the size of the metadata file, recorded in its blobs row when the
	// file row is added (not kept on the file row; 0 on read).
	MetadataSize int64
	// MetadataInBody: the metadata file is not a blob of its own yet (a synced wheel's
	// is in the wheel, stored on its first request, which touches its blobs row then),
	// so adding the row makes no blobs row for it (not kept on the file row).
	MetadataInBody bool

	// Origin is where the row came from: OriginUpload, or OriginSync from the remote
	// OriginRemote, whose UpstreamURL and UpstreamHashes ("sha256=<hex>", ','-separated)
	// are kept. Presence says whether the blob store has the bytes. "" means the defaults
	// (OriginUpload, PresenceStored) when adding.
	Origin         string
	OriginRemote   string
	UpstreamURL    string
	UpstreamHashes string
	Presence       string

	// Set when read through a repository version.
	Yanked     bool
	YankReason string
}

// ImportProvider is a project of a version whose files provide an import name.
type ImportProvider struct {
	Name    string // the import name
	Project string // normalized
}

// Origins and presences of a file row.
const (
	OriginUpload   = "upload"
	OriginSync     = "sync"
	PresenceStored = "stored" // the blob store has the bytes
	PresenceRemote = "remote" // known from a remote, not downloaded yet
)

// Blob is a blobs row: a digest the blob store holds or an upload is about to write.
type Blob struct {
	SHA256    string
	Size      int64 // -1 when not known
	FirstSeen time.Time
	// TouchedAt is the last time an upload announced it would write or reuse the blob;
	// gc leaves blobs touched within its grace period alone.
	TouchedAt time.Time
}

// ProjectSummary is a project that has at least one file in a version, with the
// attributes that version gives it.
type ProjectSummary struct {
	Name   string // normalized
	Serial int64
	ProjectAttributes
}

// ProjectAttributes are what a repository version says about one of its projects besides
// its files. They belong to the repository and are versioned like its content: a change
// makes them new in the version being made and leaves every older version as it was.
type ProjectAttributes struct {
	DisplayName  string // as the metadata of the latest upload writes the name
	Status       string // PEP 792: active, archived, quarantined or deprecated
	StatusReason string // PEP 792's free-form reason; may be ""
}

// Distribution is a distribution row.
type Distribution struct {
	BasePath     string
	RepositoryID int64
	Repository   string
	Pinned       *int
	Public       bool
	CreatedAt    time.Time
	// RequireChecks serves only files whose latest check verdict is pass (quarantine).
	RequireChecks bool
	// Sources is nil for a distribution serving one repository (RepositoryID, Pinned);
	// otherwise every source in order, the first being RepositoryID and Pinned.
	// AllowShadow lists the projects (normalized) merged across sources.
	Sources     []DistributionSource
	AllowShadow []string
}

// Token is a token row; Hash is the sha256 of the secret (never the secret).
type Token struct {
	ID         int64
	Name       string
	Scope      string
	Repository string
	Hash       []byte
	CreatedAt  time.Time
}

// MaxBatch is the most values a batched lookup (ReferencedBlobs) takes at once.
const MaxBatch = 500

// Store is the whole metadata store.
type Store interface {
	Reader
	// InTx runs fn in one serializable transaction, committing when fn returns nil and
	// rolling back otherwise (fn's error is returned as is). fn may be retried when the
	// backend reports a serialization failure, so it must not have other side effects.
	InTx(ctx context.Context, fn func(tx Tx) error) error
	Close() error
}

// Checkpointer is a Store that keeps a log of recent writes to fold into its files
// (SQLite's WAL): CheckpointLater folds it in the background, soon, so that a large
// writer (a sync, at its end) leaves none of it to the next writer. A Store without one
// has nothing to do.
type Checkpointer interface {
	CheckpointLater(ctx context.Context)
}

// Tx is a transaction: every reader and writer role.
type Tx interface {
	Reader
	RepositoryWriter
	ContentWriter
	DistributionWriter
	TokenWriter
	RemoteWriter
	RetentionWriter
	ViewWriter
	CheckWriter
	VulnWriter
	StagingWriter
	BatchWriter
}

// Reader combines the read roles.
type Reader interface {
	RepositoryReader
	ContentReader
	DistributionReader
	TokenReader
	RemoteReader
	LifecycleReader
	ViewReader
	CheckReader
	VulnReader
	BatchReader
	LatestReader
}

// RepositoryReader reads repositories and versions.
type RepositoryReader interface {
	// Repository returns the repository; ErrNotFound when there is none.
	Repository(ctx context.Context, name string) (*Repository, error)
	Repositories(ctx context.Context) ([]Repository, error)
	// Versions lists the versions of a repository, oldest first.
	Versions(ctx context.Context, repoID int64) ([]Version, error)
	// Version returns one version; ErrNotFound when there is none.
	Version(ctx context.Context, repoID int64, number int) (*Version, error)
}

// RepositoryWriter creates repositories and versions.
type RepositoryWriter interface {
	// CreateRepository creates a repository and its empty version 0; ErrConflict when the
	// name is taken.
	CreateRepository(ctx context.Context, name, description string, now time.Time) (*Repository, error)
	// BeginVersion makes version Latest+1 the repository's latest and returns its number.
	// Content changes for it follow; FinishVersion completes it.
	BeginVersion(ctx context.Context, repoID int64, message string, now time.Time) (int, error)
	// FinishVersion counts the version's files and gives every project whose content or
	// attributes changed in it a new serial.
	FinishVersion(ctx context.Context, repoID int64, number int, now time.Time) error
}

// ContentReader reads files and projects, always through one repository version.
type ContentReader interface {
	// FileByFilename finds a file row of the repository by filename, whether or not any
	// version still holds it; ErrNotFound when the filename was never used.
	FileByFilename(ctx context.Context, repoID int64, filename string) (*File, error)
	// FileAt finds a file held by version; ErrNotFound otherwise.
	FileAt(ctx context.Context, repoID int64, version int, filename string) (*File, error)
	// ProjectFiles lists the files of project (normalized) held by version, unsorted.
	ProjectFiles(ctx context.Context, repoID int64, version int, project string) ([]File, error)
	// ProjectPageFiles is ProjectFiles with only what a simple page shows: Filename,
	// Version, SHA256, Size, MetadataSHA256, RequiresPython, UploadTime, Yanked and
	// YankReason (and RepositoryID, Project).
	ProjectPageFiles(ctx context.Context, repoID int64, version int, project string) ([]File, error)
	// ProjectFilenames lists the files of project (normalized) held by version whose
	// version string starts with versionPrefix ("" = all), unsorted, with only ID,
	// Filename, Version, Kind, SHA256, Yanked and YankReason set: the cheap form of
	// ProjectFiles for the rules an upload or a yank checks on one release.
	ProjectFilenames(ctx context.Context, repoID int64, version int, project, versionPrefix string) ([]File, error)
	// Project returns a project held by version with its serial; ErrNotFound otherwise.
	Project(ctx context.Context, repoID int64, version int, project string) (*ProjectSummary, error)
	// Projects lists the projects held by version (sorted by name) and the highest
	// serial of the repository up to that version.
	Projects(ctx context.Context, repoID int64, version int) ([]ProjectSummary, int64, error)
	// EachProject calls fn with each project Projects lists, in the same order, without
	// holding them all; p is reused between calls. It stops at fn's first error and
	// returns it.
	EachProject(ctx context.Context, repoID int64, version int, fn func(p *ProjectSummary) error) error
	// LastSerial returns the serial Projects returns (0 for none), cheaply.
	LastSerial(ctx context.Context, repoID int64, version int) (int64, error)
	// ImportProviders lists the projects (normalized, sorted) of version whose files
	// provide one of the import names.
	ImportProviders(ctx context.Context, repoID int64, version int, importNames []string) ([]string, error)
	// ImportProvidersByName is ImportProviders that says which name each project provides:
	// one pair per name and project, sorted by name then project.
	ImportProvidersByName(ctx context.Context, repoID int64, version int, importNames []string) ([]ImportProvider, error)
	// BlobReferenced reports whether any file row uses sha256 as its body or metadata
	// (or parsed metadata is kept for it, or a check report keeps it as raw data).
	BlobReferenced(ctx context.Context, sha256 string) (bool, error)
	// ParsedMetadata returns what PutParsedMetadata stored for the core metadata file
	// with that sha256; ErrNotFound when nothing was (files stored before it existed).
	ParsedMetadata(ctx context.Context, metadataSHA256 string) ([]byte, error)
	// ReferencedBlobs returns those of shas (at most MaxBatch) that a file row uses as its
	// body or metadata, in no particular order: BlobReferenced for many digests at once.
	ReferencedBlobs(ctx context.Context, shas []string) ([]string, error)
	// Blobs returns the blobs rows of those of shas (at most MaxBatch) that have one, in
	// no particular order.
	Blobs(ctx context.Context, shas []string) ([]Blob, error)
	// FileDroppedIn returns the repository version that last dropped the file (by row ID)
	// from the content, or 0 when the latest version holds it (or it was never held).
	FileDroppedIn(ctx context.Context, repoID, fileID int64) (int, error)
}

// ContentWriter changes files and content; version is always the one begun with
// BeginVersion.
type ContentWriter interface {
	// AddFile inserts a file row (creating its project when new), get-or-inserts the
	// blobs rows of its body and metadata file, and adds it to version. The repository's
	// display name of the project becomes f.ProjectName in version (its status stays; a
	// project new to the repository is active). ErrConflict when
	// the filename is already used in the repository.
	AddFile(ctx context.Context, f *File, version int) (int64, error)
	// SetYanked sets the yank state of every file of project==pversion held by version;
	// it returns how many files it matched.
	SetYanked(ctx context.Context, repoID int64, version int, project, pversion string, yanked bool, reason string) (int, error)
	// SetFileYanked sets the yank state of one file (by row ID) held by version (reason is
	// dropped when unyanking); ErrNotFound when version does not hold it. A file already
	// in that state is left as it is.
	SetFileYanked(ctx context.Context, repoID int64, version int, fileID int64, yanked bool, reason string) error
	// RemoveFiles drops from version the files of project==pversion (only filename when
	// not ""); it returns how many it dropped.
	RemoveFiles(ctx context.Context, repoID int64, version int, project, pversion, filename string) (int, error)
	// RestoreFile adds an existing file row that the latest state does not hold back to
	// version, not yanked; a project the latest state has no attributes for gets the
	// file's name and the active status. ErrNotFound when the repository has no such row, ErrConflict
	// when the file is held already.
	RestoreFile(ctx context.Context, repoID int64, version int, fileID int64) error
	// RestoreContent makes version hold exactly what version `to` held: its files and
	// its project attributes.
	RestoreContent(ctx context.Context, repoID int64, version, to int) error
	// SetProjectAttributes gives project (normalized) the attributes a in version of the
	// repository and reports whether they changed (false: they already were a, and
	// nothing is written). ErrNotFound when no repository ever stored the project.
	SetProjectAttributes(ctx context.Context, repoID int64, version int, project string, a ProjectAttributes) (bool, error)
	// TouchBlob get-or-inserts the blobs row of sha256 (size -1 when not known; a known
	// size replaces an unknown one) and sets its touched_at to now. An upload calls it
	// before writing or reusing the bytes, AddFile for the blobs of the row it adds.
	TouchBlob(ctx context.Context, sha256 string, size int64, now time.Time) error
	// DeleteBlob deletes the blobs row of sha256; none is no error.
	DeleteBlob(ctx context.Context, sha256 string) error
	// PutParsedMetadata stores the parsed form of the core metadata file with that sha256
	// (opaque bytes to the store); a digest already stored keeps its first value.
	PutParsedMetadata(ctx context.Context, metadataSHA256 string, parsed []byte) error
}

// DistributionReader reads distributions.
type DistributionReader interface {
	// Distribution returns one; ErrNotFound when there is none.
	Distribution(ctx context.Context, base string) (*Distribution, error)
	Distributions(ctx context.Context) ([]Distribution, error)
}

// DistributionWriter changes distributions.
type DistributionWriter interface {
	// CreateDistribution inserts d; ErrConflict when the base path is taken.
	CreateDistribution(ctx context.Context, d *Distribution) error
	// UpdateDistribution overwrites repository, pin, visibility, require-checks, sources
	// and allow-shadow list; ErrNotFound.
	UpdateDistribution(ctx context.Context, d *Distribution) error
	// DeleteDistribution deletes one; ErrNotFound.
	DeleteDistribution(ctx context.Context, base string) error
}

// TokenReader reads tokens.
type TokenReader interface {
	// TokenByHash finds a token by the sha256 of its secret; ErrNotFound.
	TokenByHash(ctx context.Context, hash []byte) (*Token, error)
	Tokens(ctx context.Context) ([]Token, error)
}

// TokenWriter creates and revokes tokens.
type TokenWriter interface {
	// CreateToken inserts t and sets its ID; ErrConflict when the hash exists.
	CreateToken(ctx context.Context, t *Token) error
	// DeleteToken revokes a token; ErrNotFound.
	DeleteToken(ctx context.Context, id int64) error
}
