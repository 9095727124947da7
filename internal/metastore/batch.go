package metastore

import (
	"context"
	"time"
)

// ReleaseQuery names the files of one release a batch of adds checks its rules against:
// those of Project (normalized) whose version string starts with VersionPrefix (as
// ContentReader.ProjectFilenames).
type ReleaseQuery struct {
	Project       string
	VersionPrefix string
}

// ProjectStatus is the PEP 792 status a version gives one of its projects.
type ProjectStatus struct {
	Project string // normalized
	Status  string
}

// RepositoryState is what a write to a repository reads first.
type RepositoryState struct {
	Repository
	Staged     bool // the repository has staged rows (StagingWriter.HasStaged)
	BlockRules int  // how many rules its blocklist holds
}

// BatchReader reads, in a few set-based queries, what the rules of a batch of adds need
// (a sync applies hundreds at a time): the one-file-at-a-time reads cost a query per
// file each.
type BatchReader interface {
	// RepositoryState reads the repository (ErrNotFound when there is none), whether it
	// has staged rows and the size of its blocklist, in one read: a write to it asks
	// all three first.
	RepositoryState(ctx context.Context, name string) (*RepositoryState, error)
	// UsedFilenames returns those of filenames (at most MaxBatch) that a file row of the
	// repository has, whether or not any version still holds it, in no particular order:
	// FileByFilename's existence test for many filenames at once.
	UsedFilenames(ctx context.Context, repoID int64, filenames []string) ([]string, error)
	// ProjectStatuses returns the status of those of projects (normalized, at most
	// MaxBatch) that version holds, in no particular order; a project held without an
	// attribute row is active (as Project reads it).
	ProjectStatuses(ctx context.Context, repoID int64, version int, projects []string) ([]ProjectStatus, error)
	// ReleaseState is ProjectStatuses and ReleaseFiles for one release in one read: the
	// status version gives project ("" when it does not hold the project) and the files
	// of the project held by version whose version string starts with versionPrefix.
	ReleaseState(ctx context.Context, repoID int64, version int, project, versionPrefix string) (string, []File, error)
	// ReleaseFiles is ProjectFilenames for several releases at once (at most MaxBatch
	// queries): the files held by version that match any of them, with Project set, once
	// each, unsorted.
	ReleaseFiles(ctx context.Context, repoID int64, version int, releases []ReleaseQuery) ([]File, error)
}

// BatchWriter makes, in one statement, what several one-row writes would.
type BatchWriter interface {
	// TouchBlobs is TouchBlob for each of blobs (SHA256 and Size: -1 when not known), at
	// most MaxBatch, each digest once, all touched at now.
	TouchBlobs(ctx context.Context, blobs []Blob, now time.Time) error
	// AddFiles is AddFile for each of files (at most MaxBatch), in order, into version:
	// the rows, blobs rows, import names, content and display names are as those AddFile
	// would leave one file after the other, and each f.ID (with Origin and Presence
	// defaulted) is set. ErrConflict, naming the file, when a filename is already used in
	// its repository or twice in files, and the transaction is to be abandoned (some of
	// files may be added).
	AddFiles(ctx context.Context, files []*File, version int) error
	// PutParsedMetadataBatch is PutParsedMetadata for each of rows (at most MaxBatch);
	// a digest given twice keeps its first content, as one already stored keeps its own.
	PutParsedMetadataBatch(ctx context.Context, rows []ParsedMetadata) error
}

// ParsedMetadata is the parsed form of the core metadata file whose sha256 is SHA256
// (PutParsedMetadataBatch).
type ParsedMetadata struct {
	SHA256 string
	Parsed []byte
}
