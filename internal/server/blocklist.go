package server

import (
	"net/http"

	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/server/wire"
)

// listBlockRules is GET /api/repositories/{name}/blocklist (read on the repository).
func (s *server) listBlockRules(w http.ResponseWriter, r *http.Request) error {
	repo := r.PathValue("name")
	if err := s.authorize(r, index.ActionRead, repo); err != nil {
		return err
	}
	rules, err := s.api.BlockRules(r.Context(), repo)
	if err != nil {
		return err
	}
	out := make([]wire.BlockRule, len(rules))
	for i, br := range rules {
		out[i] = wire.BlockRule{Repository: br.Repository, Rule: br.Rule, CreatedAt: br.CreatedAt}
	}
	return writeJSON(w, http.StatusOK, out)
}

// addBlockRule is POST /api/repositories/{name}/blocklist {"rule": ...} (admin).
func (s *server) addBlockRule(w http.ResponseWriter, r *http.Request) error {
	repo := r.PathValue("name")
	if err := s.authorize(r, index.ActionBlocklist, repo); err != nil {
		return err
	}
	var in wire.BlockRule
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	br, err := s.api.Block(r.Context(), repo, in.Rule)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, wire.BlockRule{Repository: br.Repository, Rule: br.Rule, CreatedAt: br.CreatedAt})
}

// deleteBlockRule is DELETE /api/repositories/{name}/blocklist?rule=... (admin).
func (s *server) deleteBlockRule(w http.ResponseWriter, r *http.Request) error {
	repo := r.PathValue("name")
	if err := s.authorize(r, index.ActionBlocklist, repo); err != nil {
		return err
	}
	if err := s.api.Unblock(r.Context(), repo, r.URL.Query().Get("rule")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
