package index_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

// TestAuthorize is the policy as a table: each token against each action, on its own
// repository, another one and the server as a whole.
func TestAuthorize(t *testing.T) {
	tok := func(scope index.Scope, repo string) *index.Token {
		return &index.Token{Name: string(scope) + "@" + repo, Scope: scope, Repository: repo}
	}
	var (
		none       *index.Token
		read       = tok(index.ScopeRead, "")
		readMain   = tok(index.ScopeRead, "main")
		upload     = tok(index.ScopeUpload, "")
		uploadMain = tok(index.ScopeUpload, "main")
		admin      = tok(index.ScopeAdmin, "")
		adminMain  = tok(index.ScopeAdmin, "main")
		bogus      = tok("root", "")
	)
	const (
		ok = iota
		unauthorized
		forbidden
	)
	tests := []struct {
		name   string
		t      *index.Token
		action index.Action
		repo   string
		want   int
	}{
		{"no token reads", none, index.ActionRead, "main", unauthorized},
		{"no token, global", none, index.ActionManageTokens, "", unauthorized},
		{"read reads", read, index.ActionRead, "main", ok},
		{"read reads any", read, index.ActionRead, "other", ok},
		{"read cannot upload", read, index.ActionUpload, "main", forbidden},
		{"read cannot yank", read, index.ActionYank, "main", forbidden},
		{"repo read reads its own", readMain, index.ActionRead, "main", ok},
		{"repo read, another", readMain, index.ActionRead, "other", forbidden},
		{"repo read, every repository", readMain, index.ActionRead, "", forbidden},
		{"upload reads", upload, index.ActionRead, "main", ok},
		{"upload uploads", upload, index.ActionUpload, "main", ok},
		{"upload yanks", upload, index.ActionYank, "main", ok},
		{"upload cannot remove", upload, index.ActionRemove, "main", forbidden},
		{"upload cannot roll back", upload, index.ActionRollback, "main", forbidden},
		{"upload cannot set a project's status", upload, index.ActionProjectStatus, "main", forbidden},
		{"repo admin sets a status in its own", adminMain, index.ActionProjectStatus, "main", ok},
		{"repo admin, another's status", adminMain, index.ActionProjectStatus, "other", forbidden},
		{"upload cannot change distributions", upload, index.ActionAdminDistribution, "main", forbidden},
		{"repo upload uploads to its own", uploadMain, index.ActionUpload, "main", ok},
		{"repo upload, another", uploadMain, index.ActionUpload, "other", forbidden},
		{"repo upload yanks its own", uploadMain, index.ActionYank, "main", ok},
		{"admin removes", admin, index.ActionRemove, "main", ok},
		{"admin rolls back", admin, index.ActionRollback, "other", ok},
		{"admin creates repositories", admin, index.ActionAdminRepository, "", ok},
		{"admin manages tokens", admin, index.ActionManageTokens, "", ok},
		{"admin changes distributions", admin, index.ActionAdminDistribution, "main", ok},
		{"repo admin removes in its own", adminMain, index.ActionRemove, "main", ok},
		{"repo admin, another", adminMain, index.ActionRemove, "other", forbidden},
		{"repo admin changes its distributions", adminMain, index.ActionAdminDistribution, "main", ok},
		{"repo admin, another's distributions", adminMain, index.ActionAdminDistribution, "other", forbidden},
		{"repo admin cannot create repositories", adminMain, index.ActionAdminRepository, "", forbidden},
		{"repo admin cannot name itself the repository", adminMain, index.ActionAdminRepository, "main", forbidden},
		{"repo admin cannot manage tokens", adminMain, index.ActionManageTokens, "main", forbidden},
		{"admin manages tasks", admin, index.ActionManageTasks, "", ok},
		{"repo admin cannot manage tasks", adminMain, index.ActionManageTasks, "main", forbidden},
		{"upload cannot manage tasks", upload, index.ActionManageTasks, "", forbidden},
		{"no token, tasks", none, index.ActionManageTasks, "", unauthorized},
		{"admin manages remotes", admin, index.ActionAdminRemote, "", ok},
		{"repo admin cannot manage remotes", adminMain, index.ActionAdminRemote, "main", forbidden},
		{"repo admin syncs into its own", adminMain, index.ActionSync, "main", ok},
		{"repo admin, another's sync", adminMain, index.ActionSync, "other", forbidden},
		{"upload cannot sync", uploadMain, index.ActionSync, "main", forbidden},
		{"unknown scope grants nothing", bogus, index.ActionRead, "main", forbidden},
		{"unknown action", admin, index.Action("delete-everything"), "", forbidden},
	}
	for _, tt := range tests {
		err := index.Authorize(tt.t, tt.action, tt.repo)
		got := ok
		switch {
		case errors.Is(err, errs.ErrUnauthorized):
			got = unauthorized
		case errors.Is(err, errs.ErrForbidden):
			got = forbidden
		case err != nil:
			t.Errorf("%s: error %v of no category", tt.name, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: Authorize(%v, %s, %q) = %v", tt.name, tt.t, tt.action, tt.repo, err)
		}
		if allowed := index.Allowed(tt.t, tt.action, tt.repo); allowed != (tt.want == ok) {
			t.Errorf("%s: Allowed = %v, Authorize = %v", tt.name, allowed, err)
		}
	}
}

// TestAuthorizeSays checks that a refusal names what is missing.
func TestAuthorizeSays(t *testing.T) {
	up := &index.Token{Name: "ci", Scope: index.ScopeUpload, Repository: "main"}
	for _, tt := range []struct {
		action index.Action
		repo   string
		want   string
	}{
		{index.ActionRemove, "main", `token "ci" (scope upload) does not grant admin on repository main`},
		{index.ActionUpload, "other", `does not grant upload on repository other`},
		{index.ActionManageTokens, "", `does not grant admin on this server`},
	} {
		if err := index.Authorize(up, tt.action, tt.repo); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s on %q: %v, want it to say %q", tt.action, tt.repo, err, tt.want)
		}
	}
	if err := index.Authorize(nil, index.ActionRead, "main"); err == nil || !strings.Contains(err.Error(), "Authorization: Bearer") {
		t.Errorf("no token: %v, want how to send one", err)
	}
}

// TestMayRead: a public distribution is read by anyone, a private one by a token that
// may read its repository.
func TestMayRead(t *testing.T) {
	pub := index.Distribution{BasePath: "main", Repository: "main", Public: true}
	priv := index.Distribution{BasePath: "team", Repository: "team"}
	readTeam := &index.Token{Scope: index.ScopeRead, Repository: "team"}
	readMain := &index.Token{Scope: index.ScopeRead, Repository: "main"}
	if !index.MayRead(nil, pub) || index.MayRead(nil, priv) || !index.MayRead(readTeam, priv) || index.MayRead(readMain, priv) {
		t.Error("MayRead does not follow the distribution's visibility and the token's repository")
	}
}
