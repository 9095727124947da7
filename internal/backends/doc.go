// Package backends builds pydepot's storage from URLs: the metadata store from a
// database URL (sqlite:///path/pydepot.db) and the blob driver from a blobs URL
// (file:///path). It is the edge where concrete backends are chosen; the domain
// (internal/index) sees only the metastore.Store and blobstore.Driver interfaces, so it
// does not link the SQLite driver.
//
// The factories are keyed by URL scheme. postgres:// and s3:// are recognised and
// refused: they come with the scale-out issue.
package backends
