package index

import "github.com/pydepot/pydepot/internal/metastore"

// RemotePreparedForTest is the Prepared of f as a sync records it without its bytes
// (Presence remote, from remote at url): no blob is stored. Until the sync's own
// PrepareRemote is on this branch, tests of on-demand serving make their rows with it.
func RemotePreparedForTest(f File, remote, url string) *Prepared {
	return &Prepared{row: &metastore.File{
		Filename: f.Filename, Project: f.Project, ProjectName: f.ProjectName, Version: f.Version, Kind: string(f.Kind),
		SHA256: f.SHA256, Size: f.Size, RequiresPython: f.RequiresPython, Summary: f.Summary, UploadTime: f.UploadTime,
		Origin: metastore.OriginSync, OriginRemote: remote, UpstreamURL: url, Presence: metastore.PresenceRemote,
	}}
}
