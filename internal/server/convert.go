package server

import (
	"time"

	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/server/wire"
)

// wireYankResult converts an index yank result.
func wireYankResult(r index.YankResult) wire.YankResult {
	return wire.YankResult{Repository: r.Repository, Project: r.Project, Version: r.Version, Yanked: r.Yanked, Reason: r.Reason,
		Files: r.Files, Changed: r.Changed, RepositoryVersion: r.RepositoryVersion}
}

// wireRepository converts an index repository.
func wireRepository(r index.Repository) wire.Repository {
	return wire.Repository{Name: r.Name, Description: r.Description, Latest: r.Latest, CreatedAt: r.CreatedAt, CheckOnUpload: r.CheckOnUpload}
}

// wireVersion converts an index repository version.
func wireVersion(v index.RepositoryVersion) wire.RepositoryVersion {
	return wire.RepositoryVersion{Repository: v.Repository, Number: v.Number, CreatedAt: v.CreatedAt, Message: v.Message, Files: v.Files}
}

// wireDistribution converts an index distribution.
func wireDistribution(d index.Distribution) wire.Distribution {
	return wire.Distribution{BasePath: d.BasePath, Repository: d.Repository, Pinned: d.Pinned, Public: d.Public, CreatedAt: d.CreatedAt,
		RequireChecks: d.RequireChecks, Sources: wireSources(d.Sources), AllowShadow: d.AllowShadow}
}

// indexDistribution converts back to the index type.
func indexDistribution(d wire.Distribution) index.Distribution {
	return index.Distribution{BasePath: d.BasePath, Repository: d.Repository, Pinned: d.Pinned, Public: d.Public,
		RequireChecks: d.RequireChecks, Sources: indexSources(d.Sources), AllowShadow: d.AllowShadow}
}

func wireSources(ss []index.Source) []wire.Source {
	if ss == nil {
		return nil
	}
	out := make([]wire.Source, len(ss))
	for i, s := range ss {
		out[i] = wire.Source{Repository: s.Repository, Pinned: s.Pinned, PullThrough: s.PullThrough, TTLSeconds: int64(s.TTL / time.Second)}
	}
	return out
}

func indexSources(ss []wire.Source) []index.Source {
	if ss == nil {
		return nil
	}
	out := make([]index.Source, len(ss))
	for i, s := range ss {
		if s.TTLSeconds < 0 || s.TTLSeconds > int64(index.MaxPullTTL/time.Second) {
			s.TTLSeconds = -1 // refused by the index, with the bounds
		}
		out[i] = index.Source{Repository: s.Repository, Pinned: s.Pinned, PullThrough: s.PullThrough, TTL: time.Duration(s.TTLSeconds) * time.Second}
	}
	return out
}

// wireToken converts an index token.
func wireToken(t index.Token) wire.Token {
	return wire.Token{ID: t.ID, Name: t.Name, Scope: string(t.Scope), Repository: t.Repository, CreatedAt: t.CreatedAt}
}

// wireStatusResult converts an index status result.
func wireStatusResult(r index.StatusResult) wire.StatusResult {
	return wire.StatusResult{Repository: r.Repository, Project: r.Project, Status: r.Status, Reason: r.Reason,
		Changed: r.Changed, RepositoryVersion: r.RepositoryVersion}
}
