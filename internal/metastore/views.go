package metastore

import (
	"context"
	"time"
)

// DistributionSource is one source of a merged or pull-through distribution: a
// repository (RepositoryID, Repository), optionally pinned, and when PullRemote is set
// the remote it fetches projects from on request, refreshed after PullTTL.
type DistributionSource struct {
	RepositoryID int64
	Repository   string // set on read
	Pinned       *int
	PullRemote   string
	PullTTL      time.Duration
}

// BlockRule is one rule of a repository's blocklist: Rule is its canonical text;
// Project (normalized) with Version ("" for every version, else canonical PEP 440) or
// Filename are its parts.
type BlockRule struct {
	RepositoryID int64
	Rule         string
	Project      string
	Version      string
	Filename     string
	CreatedAt    time.Time
}

// MaxBlockRules is the most rules one repository's blocklist holds.
const MaxBlockRules = 10_000

// ViewReader reads what merged views, blocklists and pull-through need.
type ViewReader interface {
	// ProjectSerial returns the last serial of project (normalized) in the repository up
	// to version, 0 when no version up to it ever held its files. A project with a serial
	// is a name the repository has claimed, even when version holds none of its files.
	ProjectSerial(ctx context.Context, repoID int64, version int, project string) (int64, error)
	// KnownProjects lists (sorted by name) every project with a serial up to version,
	// with only Name and Serial set.
	KnownProjects(ctx context.Context, repoID int64, version int) ([]ProjectSummary, error)
	// BlockRules lists the repository's blocklist, sorted by rule.
	BlockRules(ctx context.Context, repoID int64) ([]BlockRule, error)
}

// ViewWriter changes blocklists and the presence of file rows.
type ViewWriter interface {
	// AddBlockRule adds r; ErrConflict when the repository has that rule, ErrTooLarge
	// when it holds MaxBlockRules.
	AddBlockRule(ctx context.Context, r *BlockRule) error
	// DeleteBlockRule removes a rule by its canonical text; ErrNotFound when absent.
	DeleteBlockRule(ctx context.Context, repoID int64, rule string) error
	// SetFilePresence sets the presence (PresenceStored, PresenceRemote) of a file row
	// by ID. Presence is not content: no repository version is made. ErrNotFound when
	// there is no such row.
	SetFilePresence(ctx context.Context, fileID int64, presence string) error
}
