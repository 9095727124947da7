// Package mirror is the remotes domain and the sync: a remote is an upstream index
// (any PEP 691/503 index: another pydepot, a static tree, devpi, pypiserver, PyPI) with
// filters, a policy and transport settings; a sync reads the projects the remote
// selects and makes ONE new version of a repository through index.Apply, or none when
// nothing changed.
//
// The pieces:
//   - remote.go: Remote, its validation, and the Mirror's create/update/list/delete;
//   - filter.go: the pure selection rules (include/exclude specifiers, pre-releases,
//     package types, platform tags and Python versions, keep-latest N);
//   - closure.go: --with-dependencies, the transitive closure of what the included
//     releases require, markers evaluated for every chosen Python and platform;
//   - sync.go: the walk (includes, closure or the streamed project list, in batches)
//     and the one Apply at the end, with the sync state recorded after it;
//   - plan.go: one project's page (conditionally, with the ETag and Last-Modified of the
//     last sync) against what the repository holds: files to bring, yanks, removals;
//   - bring.go: one file: reused from the blob store, or downloaded and verified (or,
//     on_demand and streamed, its metadata only);
//   - upstream.go: the remote's simpleindex client and transport; fetcher.go: the
//     on-demand fetches and pull-through refreshes the index asks for; task.go: the
//     "sync" task kind.
//
// A sync never stores a byte it has not verified against the upstream's sha256: files
// are downloaded to temporary files, hashed, and only then handed to the index, which
// stores the blob and the row in its own order (blob first). A crash leaves at worst
// blobs without rows, which the next sync reuses (the blob store is asked by digest
// before downloading) and gc reclaims when nothing does.
package mirror
