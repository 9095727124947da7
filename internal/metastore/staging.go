package metastore

import "context"

// A repository version filled in several transactions (index.OpenVersion) is staged: its
// content and attribute rows are written under the number it will be published as, the
// repository's latest version plus one, while the repository's latest stays where it is.
// A reader at a real version never sees them (what they add comes "after" it, what they
// close is closed "after" it); reading at that number shows the latest state with the
// staged changes. Publishing is BeginVersion and FinishVersion, as for a version made in
// one transaction: nothing is renumbered (renumbering a sync's 20,000 rows was a tenth
// of a second with nothing else to do). A repository has at most one staged version at
// a time, and no other version is made while it is open.

// StagingWriter finds and discards a repository's staged version: its rows numbered
// above the repository's latest version.
type StagingWriter interface {
	// DiscardStaged undoes the staged version of the repository: the rows it added go
	// (with the file rows only they held), the rows it closed are open again. It reports
	// whether there was anything to undo.
	DiscardStaged(ctx context.Context, repoID int64) (bool, error)
	// HasStaged reports whether the repository has staged rows (cheap: index probes).
	HasStaged(ctx context.Context, repoID int64) (bool, error)
}
