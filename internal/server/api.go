package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"

	"github.com/pydepot/pydepot/internal/buildinfo"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/server/wire"
)

// apiRoutes registers the JSON management API.
func (s *server) apiRoutes(mux *http.ServeMux) {
	j := func(h handler) http.Handler { return s.ew.wrap(apiHeaders(h), true) }
	mux.Handle("GET /api/version", j(func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON(w, http.StatusOK, wire.Version{Version: buildinfo.Version})
	}))
	mux.Handle("GET /api/client", j(s.clientBinary))
	mux.Handle("GET /api/repositories", j(s.listRepositories))
	mux.Handle("POST /api/repositories", j(s.createRepository))
	mux.Handle("GET /api/repositories/{name}", j(s.getRepository))
	mux.Handle("PATCH /api/repositories/{name}", j(s.updateRepository))
	mux.Handle("GET /api/repositories/{name}/versions", j(s.listVersions))
	mux.Handle("GET /api/repositories/{name}/projects", j(s.listProjects))
	mux.Handle("POST /api/repositories/{name}/rollback", j(s.rollback))
	mux.Handle("GET /api/repositories/{name}/diff", j(s.diff))
	mux.Handle("POST /api/repositories/{name}/retain", j(s.retain))
	mux.Handle("POST /api/repositories/{name}/upload", j(s.apiUpload))
	mux.Handle("POST /api/repositories/{name}/projects/{project}/versions/{version}/yank", j(s.yank))
	mux.Handle("POST /api/repositories/{name}/projects/{project}/versions/{version}/unyank", j(s.unyank))
	mux.Handle("PUT /api/repositories/{name}/projects/{project}/status", j(s.setStatus))
	mux.Handle("DELETE /api/repositories/{name}/projects/{project}/versions/{version}", j(s.remove))
	mux.Handle("DELETE /api/repositories/{name}/projects/{project}/versions/{version}/files/{filename}", j(s.remove))
	mux.Handle("GET /api/repositories/{name}/blocklist", j(s.listBlockRules))
	mux.Handle("POST /api/repositories/{name}/blocklist", j(s.addBlockRule))
	mux.Handle("DELETE /api/repositories/{name}/blocklist", j(s.deleteBlockRule))
	mux.Handle("GET /api/distributions", j(s.listDistributions))
	mux.Handle("POST /api/distributions", j(s.createDistribution))
	mux.Handle("GET /api/distributions/{base...}", j(s.getDistribution))
	mux.Handle("PATCH /api/distributions/{base...}", j(s.updateDistribution))
	mux.Handle("DELETE /api/distributions/{base...}", j(s.deleteDistribution))
	mux.Handle("GET /api/tokens", j(s.listTokens))
	mux.Handle("POST /api/tokens", j(s.createToken))
	mux.Handle("DELETE /api/tokens/{id}", j(s.revokeToken))
	mux.Handle("GET /api/imports/{module}", j(s.importCandidates))
	s.taskRoutes(mux, j)
	s.checkRoutes(mux, j)
	mux.Handle("GET /api/remotes", j(s.listRemotes))
	mux.Handle("POST /api/remotes", j(s.createRemote))
	mux.Handle("GET /api/remotes/{name}", j(s.getRemote))
	mux.Handle("PATCH /api/remotes/{name}", j(s.updateRemote))
	mux.Handle("DELETE /api/remotes/{name}", j(s.deleteRemote))
	mux.Handle("POST /api/repositories/{name}/sync", j(s.startSync))
	mux.Handle("/api/", j(func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("%s %s: no such API endpoint: %w", r.Method, r.URL.Path, errs.ErrNotFound)
	}))
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// readJSON decodes a request body of at most 1 MiB, refusing unknown fields.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		err = bodyErr(r, err)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("request body: %w", errs.ErrTooLarge)
		}
		var sbe *slowBodyError
		if errors.As(err, &sbe) {
			return err
		}
		return fmt.Errorf("request body is not the expected JSON: %v: %w", err, errs.ErrInvalid)
	}
	return nil
}

func (s *server) clientBinary(w http.ResponseWriter, r *http.Request) error {
	path := s.cfg.ClientBinary
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("locate own binary: %w", err)
		}
		path = exe
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open client binary: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="pydepot"`)
	http.ServeContent(w, r, "", st.ModTime(), f)
	return nil
}

func (s *server) listRepositories(w http.ResponseWriter, r *http.Request) error {
	t, err := s.token(r)
	if err != nil {
		return err
	}
	if t == nil {
		return index.Authorize(nil, index.ActionRead, "")
	}
	repos, err := s.api.Repositories(r.Context())
	if err != nil {
		return err
	}
	out := []wire.Repository{}
	for _, rp := range repos {
		if index.Allowed(t, index.ActionRead, rp.Name) {
			out = append(out, wireRepository(rp))
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *server) createRepository(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(r, index.ActionAdminRepository, ""); err != nil {
		return err
	}
	var in wire.RepositoryCreate
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	rp, err := s.api.CreateRepository(r.Context(), in.Name, in.Description)
	if err != nil {
		return err
	}
	if in.CheckOnUpload {
		if rp, err = s.setCheckOnUpload(r, in.Name, true); err != nil {
			return err
		}
	}
	s.changed()
	return writeJSON(w, http.StatusCreated, wireRepository(*rp))
}

func (s *server) getRepository(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := s.authorize(r, index.ActionRead, name); err != nil {
		return err
	}
	rp, err := s.api.Repository(r.Context(), name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wireRepository(*rp))
}

func (s *server) listVersions(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := s.authorize(r, index.ActionRead, name); err != nil {
		return err
	}
	vs, err := s.api.Versions(r.Context(), name)
	if err != nil {
		return err
	}
	out := make([]wire.RepositoryVersion, len(vs))
	for i, v := range vs {
		out[i] = wireVersion(v)
	}
	return writeJSON(w, http.StatusOK, out)
}

// listProjects lists the projects of a repository's latest version (the CLI completes
// project names from it).
func (s *server) listProjects(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := s.authorize(r, index.ActionRead, name); err != nil {
		return err
	}
	ps, _, err := s.api.Projects(r.Context(), &index.Distribution{Repository: name})
	if err != nil {
		return err
	}
	out := make([]wire.Project, len(ps))
	for i, p := range ps {
		out[i] = wire.Project{Name: p.Name, DisplayName: p.DisplayName}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *server) rollback(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := s.authorize(r, index.ActionRollback, name); err != nil {
		return err
	}
	var in wire.Rollback
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	v, err := s.api.Rollback(r.Context(), name, in.To)
	if err != nil {
		return err
	}
	s.changed()
	return writeJSON(w, http.StatusOK, wireVersion(*v))
}

func (s *server) yank(w http.ResponseWriter, r *http.Request) error {
	repo := r.PathValue("name")
	if err := s.authorize(r, index.ActionYank, repo); err != nil {
		return err
	}
	var in wire.Yank
	if r.ContentLength != 0 {
		if err := readJSON(w, r, &in); err != nil {
			return err
		}
	}
	res, err := s.api.YankRelease(r.Context(), repo, names.Normalize(r.PathValue("project")), r.PathValue("version"), in.Reason)
	if err != nil {
		return err
	}
	return s.yanked(w, res)
}

func (s *server) unyank(w http.ResponseWriter, r *http.Request) error {
	repo := r.PathValue("name")
	if err := s.authorize(r, index.ActionYank, repo); err != nil {
		return err
	}
	res, err := s.api.UnyankRelease(r.Context(), repo, names.Normalize(r.PathValue("project")), r.PathValue("version"))
	if err != nil {
		return err
	}
	return s.yanked(w, res)
}

// yanked answers a yank or unyank with what it did.
func (s *server) yanked(w http.ResponseWriter, res *index.YankResult) error {
	if res.Changed > 0 {
		s.changed()
	}
	return writeJSON(w, http.StatusOK, wireYankResult(*res))
}

// setStatus sets a project's PEP 792 status in the repository (admin: it can hide every
// file of the project).
func (s *server) setStatus(w http.ResponseWriter, r *http.Request) error {
	repo := r.PathValue("name")
	if err := s.authorize(r, index.ActionProjectStatus, repo); err != nil {
		return err
	}
	var in wire.ProjectStatus
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	res, err := s.api.SetProjectStatus(r.Context(), repo, r.PathValue("project"), in.Status, in.Reason)
	if err != nil {
		return err
	}
	if res.Changed {
		s.changed()
	}
	return writeJSON(w, http.StatusOK, wireStatusResult(*res))
}

func (s *server) remove(w http.ResponseWriter, r *http.Request) error {
	repo := r.PathValue("name")
	if err := s.authorize(r, index.ActionRemove, repo); err != nil {
		return err
	}
	err := s.api.Remove(r.Context(), repo, names.Normalize(r.PathValue("project")), r.PathValue("version"), r.PathValue("filename"))
	if err != nil {
		return err
	}
	s.changed()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) listDistributions(w http.ResponseWriter, r *http.Request) error {
	t, err := s.token(r)
	if err != nil {
		return err
	}
	ds, err := s.api.Distributions(r.Context())
	if err != nil {
		return err
	}
	out := []wire.Distribution{}
	for _, d := range ds {
		if index.MayRead(t, d) {
			out = append(out, wireDistribution(d))
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// readableDistribution returns a distribution the request may read: 401 without a token
// and 404 with one that cannot read it (its existence is not disclosed).
func (s *server) readableDistribution(r *http.Request, base string) (*index.Distribution, *index.Token, error) {
	t, err := s.token(r)
	if err != nil {
		return nil, nil, err
	}
	d, err := s.api.Distribution(r.Context(), base)
	if err != nil {
		return nil, nil, err
	}
	if !index.MayRead(t, *d) {
		if t == nil {
			return nil, nil, index.Authorize(nil, index.ActionRead, d.Repository)
		}
		return nil, nil, fmt.Errorf("distribution %s: %w", base, errs.ErrNotFound)
	}
	return d, t, nil
}

// administeredDistribution returns the distribution base and the request's token when
// that token is admin on the distribution's repository: 401 without a token (before the
// distribution is even looked up), 404 when it does not exist, 403 otherwise.
func (s *server) administeredDistribution(r *http.Request, base string) (*index.Token, *index.Distribution, error) {
	t, err := s.token(r)
	if err != nil {
		return nil, nil, err
	}
	if t == nil {
		return nil, nil, index.Authorize(nil, index.ActionAdminDistribution, "")
	}
	d, err := s.api.Distribution(r.Context(), base)
	if err != nil {
		return nil, nil, err
	}
	if err := index.Authorize(t, index.ActionAdminDistribution, d.Repository); err != nil {
		return nil, nil, err
	}
	return t, d, nil
}

func (s *server) getDistribution(w http.ResponseWriter, r *http.Request) error {
	d, _, err := s.readableDistribution(r, r.PathValue("base"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wireDistribution(*d))
}

func (s *server) createDistribution(w http.ResponseWriter, r *http.Request) error {
	t, err := s.token(r)
	if err != nil {
		return err
	}
	var in wire.Distribution
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if err := index.Authorize(t, index.ActionAdminDistribution, in.Repository); err != nil {
		return err
	}
	d, err := s.api.CreateDistributionAs(r.Context(), t, indexDistribution(in))
	if err != nil {
		return err
	}
	s.changed()
	return writeJSON(w, http.StatusCreated, wireDistribution(*d))
}

func (s *server) updateDistribution(w http.ResponseWriter, r *http.Request) error {
	base := r.PathValue("base")
	t, cur, err := s.administeredDistribution(r, base)
	if err != nil {
		return err
	}
	var in wire.DistributionUpdate
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	next := *cur
	if in.Repository != nil {
		next.Repository = *in.Repository
		if err := index.Authorize(t, index.ActionAdminDistribution, next.Repository); err != nil {
			return err
		}
	}
	if in.Pinned != nil && in.Unpin {
		return fmt.Errorf("give either pinned_version or unpin, not both: %w", errs.ErrInvalid)
	}
	if next.Repository != cur.Repository && cur.Pinned != nil && in.Pinned == nil && !in.Unpin {
		return fmt.Errorf("distribution %s is pinned to version %d of %s: moving it to %s needs pinned_version (--version N) or unpin: %w",
			base, *cur.Pinned, cur.Repository, next.Repository, errs.ErrInvalid)
	}
	if in.Pinned != nil {
		next.Pinned = in.Pinned
	}
	if in.Unpin {
		next.Pinned = nil
	}
	if in.Public != nil {
		next.Public = *in.Public
	}
	if in.RequireChecks != nil {
		next.RequireChecks = *in.RequireChecks
	}
	switch {
	case in.Sources != nil:
		next.Sources = indexSources(*in.Sources)
		if len(next.Sources) == 0 {
			next.Sources, next.AllowShadow = []index.Source{}, nil
		}
		if in.Repository == nil {
			next.Repository = ""
		}
	case in.Repository != nil || in.Pinned != nil || in.Unpin:
		next.Sources = nil // the index keeps the others, with the new first
	}
	if in.AllowShadow != nil {
		next.AllowShadow = *in.AllowShadow
		if next.AllowShadow == nil {
			next.AllowShadow = []string{}
		}
	}
	d, err := s.api.UpdateDistributionAs(r.Context(), t, base, next)
	if err != nil {
		return err
	}
	s.changed()
	return writeJSON(w, http.StatusOK, wireDistribution(*d))
}

func (s *server) deleteDistribution(w http.ResponseWriter, r *http.Request) error {
	base := r.PathValue("base")
	if _, _, err := s.administeredDistribution(r, base); err != nil {
		return err
	}
	if err := s.api.DeleteDistribution(r.Context(), base); err != nil {
		return err
	}
	s.changed()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) listTokens(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(r, index.ActionManageTokens, ""); err != nil {
		return err
	}
	ts, err := s.api.Tokens(r.Context())
	if err != nil {
		return err
	}
	out := make([]wire.Token, len(ts))
	for i, t := range ts {
		out[i] = wireToken(t)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *server) createToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(r, index.ActionManageTokens, ""); err != nil {
		return err
	}
	var in wire.TokenCreate
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	switch index.Scope(in.Scope) {
	case index.ScopeRead, index.ScopeUpload, index.ScopeAdmin:
	default:
		return fmt.Errorf("scope %q: must be read, upload or admin: %w", in.Scope, errs.ErrInvalid)
	}
	plain, t, err := s.api.CreateToken(r.Context(), in.Name, index.Scope(in.Scope), in.Repository)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, wire.TokenCreated{Token: plain, Stored: wireToken(*t)})
}

func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(r, index.ActionManageTokens, ""); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return fmt.Errorf("token id %q is not a number: %w", r.PathValue("id"), errs.ErrInvalid)
	}
	if err := s.api.RevokeToken(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) importCandidates(w http.ResponseWriter, r *http.Request) error {
	base := r.URL.Query().Get("distribution")
	if base == "" {
		base = DefaultDistribution
	}
	d, _, err := s.readableDistribution(r, base)
	if err != nil {
		return err
	}
	module := r.PathValue("module")
	match, projects, err := s.api.ImportMatch(r.Context(), d, module)
	if err != nil {
		return err
	}
	if projects == nil {
		projects = []string{}
	}
	return writeJSON(w, http.StatusOK, wire.ImportCandidates{Module: module, Match: match, Distribution: base, Projects: projects})
}
