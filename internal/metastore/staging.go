package metastore

import "context"

// StagedVersion is the version number under which the content changes of a repository
// version being filled in several transactions (index.OpenVersion) are written before it
// is published. It is above every real version, so a reader at a real version never
// sees them (its rows are added "after" it, and what it closes is closed "after" it);
// reading at StagedVersion shows the latest state with the staged changes. A
// repository has at most one staged version at a time.
const StagedVersion = 1 << 40

// StagingWriter publishes or discards a repository's staged version.
type StagingWriter interface {
	// PublishStaged renumbers the staged content and attribute rows of the repository
	// to number, a version begun with BeginVersion in the same transaction (then
	// FinishVersion completes it as usual).
	PublishStaged(ctx context.Context, repoID int64, number int) error
	// DiscardStaged undoes the staged version of the repository: the rows it added go
	// (with the file rows only they held), the rows it closed are open again. It reports
	// whether there was anything to undo.
	DiscardStaged(ctx context.Context, repoID int64) (bool, error)
	// HasStaged reports whether the repository has staged rows (cheap: index probes).
	HasStaged(ctx context.Context, repoID int64) (bool, error)
}
