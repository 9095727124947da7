package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/server/wire"
)

// RemoteService is the remotes domain the API serves (mirror.Mirror).
type RemoteService interface {
	CreateRemote(ctx context.Context, r mirror.Remote) (*mirror.Remote, error)
	UpdateRemote(ctx context.Context, name string, u mirror.RemoteUpdate) (*mirror.Remote, error)
	Remote(ctx context.Context, name string) (*mirror.Remote, error)
	Remotes(ctx context.Context) ([]mirror.Remote, error)
	DeleteRemote(ctx context.Context, name string) error
	// StartSync enqueues a sync task (its id), or runs the sync (its result).
	StartSync(ctx context.Context, req mirror.SyncRequest) (int64, *mirror.SyncResult, error)
}

func (s *server) remotes() (RemoteService, error) {
	if s.cfg.Remotes == nil {
		return nil, fmt.Errorf("this server has no remotes service: %w", errs.ErrNotFound)
	}
	return s.cfg.Remotes, nil
}

// remoteAdmin authorizes a remotes request (admin on the server) and returns the service.
func (s *server) remoteAdmin(r *http.Request) (RemoteService, error) {
	if err := s.authorize(r, index.ActionAdminRemote, ""); err != nil {
		return nil, err
	}
	return s.remotes()
}

func (s *server) listRemotes(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.remoteAdmin(r)
	if err != nil {
		return err
	}
	list, err := rs.Remotes(r.Context())
	if err != nil {
		return err
	}
	out := make([]wire.Remote, len(list))
	for i, rm := range list {
		out[i] = wireRemote(rm)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *server) getRemote(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.remoteAdmin(r)
	if err != nil {
		return err
	}
	rm, err := rs.Remote(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wireRemote(*rm))
}

func (s *server) createRemote(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.remoteAdmin(r)
	if err != nil {
		return err
	}
	var in wire.RemoteChange
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if in.URL == nil {
		return fmt.Errorf("a remote needs a URL: %w", errs.ErrInvalid)
	}
	rm := mirror.Remote{Name: in.Name}
	remoteUpdate(in).Apply(&rm)
	out, err := rs.CreateRemote(r.Context(), rm)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, wireRemote(*out))
}

func (s *server) updateRemote(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.remoteAdmin(r)
	if err != nil {
		return err
	}
	var in wire.RemoteChange
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	out, err := rs.UpdateRemote(r.Context(), r.PathValue("name"), remoteUpdate(in))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wireRemote(*out))
}

func (s *server) deleteRemote(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.remoteAdmin(r)
	if err != nil {
		return err
	}
	if err := rs.DeleteRemote(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) startSync(w http.ResponseWriter, r *http.Request) error {
	repo := r.PathValue("name")
	if err := s.authorize(r, index.ActionSync, repo); err != nil {
		return err
	}
	rs, err := s.remotes()
	if err != nil {
		return err
	}
	var in wire.SyncRequest
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	id, res, err := rs.StartSync(r.Context(), mirror.SyncRequest{Repository: repo, Remote: in.Remote, Mirror: in.Mirror, SkipBadFiles: in.SkipBadFiles})
	if err != nil {
		return err
	}
	if id != 0 {
		return writeJSON(w, http.StatusAccepted, wire.SyncStarted{Task: id})
	}
	s.changed()
	return writeJSON(w, http.StatusOK, wire.SyncStarted{Result: WireSyncResult(res)})
}

func remoteUpdate(in wire.RemoteChange) mirror.RemoteUpdate {
	u := mirror.RemoteUpdate{URL: in.URL, Includes: in.Includes, Excludes: in.Excludes, Prereleases: in.Prereleases,
		PackageTypes: in.PackageTypes, Platforms: in.Platforms, Pythons: in.Pythons, KeepLatest: in.KeepLatest,
		WithDependencies: in.WithDependencies, Username: in.Username, Password: in.Password, Token: in.Token,
		Proxy: in.Proxy, CACert: in.CACert, Insecure: in.Insecure}
	if in.Policy != nil {
		p := mirror.Policy(*in.Policy)
		u.Policy = &p
	}
	return u
}

func wireRemote(r mirror.Remote) wire.Remote {
	return wire.Remote{Name: r.Name, URL: r.URL, Includes: r.Includes, Excludes: r.Excludes, Prereleases: r.Prereleases,
		PackageTypes: r.PackageTypes, Platforms: r.Platforms, Pythons: r.Pythons, KeepLatest: r.KeepLatest,
		Policy: string(r.Policy), WithDependencies: r.WithDependencies, Username: r.Username,
		HasPassword: r.Password != "", HasToken: r.Token != "", Proxy: redactProxy(r.Proxy), HasCACert: r.CACert != "",
		Insecure: r.Insecure, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func redactProxy(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User("xxxxx")
	return u.String()
}

// WireSyncResult converts a sync's result for the API (and the "sync" task's result).
func WireSyncResult(r *mirror.SyncResult) *wire.SyncResult {
	if r == nil {
		return nil
	}
	conv := func(in []mirror.FileError) []wire.SyncFailure {
		out := make([]wire.SyncFailure, len(in))
		for i, f := range in {
			out[i] = wire.SyncFailure{Project: f.Project, Filename: f.Filename, Error: f.Error}
		}
		return out
	}
	out := &wire.SyncResult{Repository: r.Repository, Remote: r.Remote, Version: r.Version, Added: r.Added,
		Removed: r.Removed, Changed: r.Changed, Failed: conv(r.Failed), Projects: r.Projects,
		NotModified: r.NotModified, Downloaded: r.Downloaded, Reused: r.Reused, Bytes: r.Bytes,
		FailedTotal: r.FailedTotal, SkippedTotal: r.SkippedTotal}
	if len(r.Skipped) > 0 {
		out.Skipped = conv(r.Skipped)
	}
	return out
}
