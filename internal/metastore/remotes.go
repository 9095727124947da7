package metastore

import (
	"context"
	"time"
)

// Remote is a remotes row: an upstream index that syncs read. Config is the remote's
// filters, policy and transport settings as the mirror package encodes them (JSON,
// opaque to the store). Password and Token are secrets: they live only in the database.
type Remote struct {
	ID        int64
	Name      string
	URL       string
	Config    []byte
	Username  string
	Password  string
	Token     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SyncState is what the last sync of a remote into a repository learnt about one
// project (normalized name): the page's validators and the upstream serial.
type SyncState struct {
	RemoteID     int64
	RepositoryID int64
	Project      string
	ETag         string
	LastModified string
	Serial       int64
	// Mirrored: the sync that recorded the state was a --mirror one (it applied the
	// removals it saw too).
	Mirrored bool
	// Config identifies the remote's URL and selection the state was recorded under.
	Config string
	// SyncedAt is when the state was last recorded changed (a sync that finds the
	// project unchanged leaves the row as it is).
	SyncedAt time.Time
}

// RemoteReader reads remotes and their sync state.
type RemoteReader interface {
	// Remote returns the remote; ErrNotFound when there is none.
	Remote(ctx context.Context, name string) (*Remote, error)
	// Remotes lists every remote, sorted by name.
	Remotes(ctx context.Context) ([]Remote, error)
	// SyncStates returns the states of those of projects (at most MaxBatch) that a sync
	// of remoteID into repoID recorded, in no particular order.
	SyncStates(ctx context.Context, remoteID, repoID int64, projects []string) ([]SyncState, error)
	// SyncedProjects calls fn with every project (sorted) recorded for remoteID in
	// repoID, in pages, without holding them all; fn's error stops it.
	SyncedProjects(ctx context.Context, remoteID, repoID int64, fn func(project string) error) error
}

// RemoteWriter creates, changes and deletes remotes and records sync state.
type RemoteWriter interface {
	// CreateRemote inserts r and sets its ID; ErrConflict when the name is taken.
	CreateRemote(ctx context.Context, r *Remote) error
	// UpdateRemote overwrites the URL, config, credentials and UpdatedAt of the remote
	// named r.Name; ErrNotFound.
	UpdateRemote(ctx context.Context, r *Remote) error
	// DeleteRemote deletes a remote and its sync state; ErrNotFound.
	DeleteRemote(ctx context.Context, name string) error
	// PutSyncStates inserts or replaces the given states.
	PutSyncStates(ctx context.Context, states []SyncState) error
	// DeleteSyncStates forgets what syncs of remoteID learnt (into every repository when
	// repoID is 0; only project when project != ""), so that the next sync reads every
	// page again: after the remote's filters change, or when a project is gone.
	DeleteSyncStates(ctx context.Context, remoteID, repoID int64, project string) error
}
