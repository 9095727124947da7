package metastore

import "context"

// LatestReader reads the little every read of a distribution asks of its repository
// first.
type LatestReader interface {
	// RepositoryLatest returns the id and latest version of the repository named name
	// (Repository's ID and Latest, without the rest of the row); ErrNotFound when there
	// is none.
	RepositoryLatest(ctx context.Context, name string) (int64, int, error)
}
