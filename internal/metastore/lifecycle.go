package metastore

import "context"

// Repository lifecycle: comparing two versions, and reclaiming old ones.

// AttributeRow is the attributes of one project (normalized name) in a version.
type AttributeRow struct {
	Project string
	ProjectAttributes
}

// LifecycleReader compares repository versions by the rows that differ between them,
// never by reading either version whole.
type LifecycleReader interface {
	// ContentDelta returns, for lo < hi, the content rows version lo holds and hi does not
	// (before) and those hi holds and lo does not (after), each as a File with only ID,
	// Filename, Project, Version, SHA256, Size, Yanked and YankReason set, sorted by
	// filename. A file in both lists changed its yank state (or was dropped and brought
	// back). At most limit rows each; more is an error wrapping ErrTooLarge.
	ContentDelta(ctx context.Context, repoID int64, lo, hi, limit int) (before, after []File, err error)
	// AttributeDelta is ContentDelta for project attributes, sorted by project.
	AttributeDelta(ctx context.Context, repoID int64, lo, hi, limit int) (before, after []AttributeRow, err error)
	// ChangedSince lists the projects that got a serial above since in a version up to
	// version, each once with its latest such serial, oldest first, at most limit (the
	// oldest: a caller asks again from the last serial it got). Held says whether version
	// still holds the project (false: all its files went). It reads only the serials
	// above since.
	ChangedSince(ctx context.Context, repoID int64, version int, since int64, limit int) ([]ProjectSerial, error)
}

// ProjectSerial is a project's latest serial, as ChangedSince lists it.
type ProjectSerial struct {
	Project     string // normalized
	DisplayName string
	Serial      int64
	Held        bool
}

// Reclaimed is what ReclaimVersions deleted.
type Reclaimed struct {
	Versions       []int  // the version numbers deleted, ascending
	ContentRows    int    // repository_content rows only they held
	AttributeRows  int    // project_attributes rows only they held
	Files          []File // file rows no version holds any more (ID, Filename, Project, Version, SHA256, Size, MetadataSHA256 set)
	ParsedMetadata int    // parsed_metadata rows no file row references any more
}

// RetentionWriter reclaims old repository versions.
type RetentionWriter interface {
	// ReclaimVersions deletes every version of the repository numbered below keepFrom and
	// not in keep, then every content and attribute row that no remaining version holds,
	// the file rows (and their import names) that no content row holds any more, and the
	// parsed metadata that no file row of any repository references. Serials stay, so
	// the kept versions read exactly as before. keepFrom must not exceed the latest
	// version (ErrInvalid).
	ReclaimVersions(ctx context.Context, repoID int64, keepFrom int, keep []int) (*Reclaimed, error)
}
