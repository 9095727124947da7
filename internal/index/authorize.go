package index

import (
	"fmt"

	"github.com/pydepot/pydepot/internal/errs"
)

// Action is something a request may do. Authorize decides, from one table, which tokens
// may do it: the HTTP handlers, the CLI's server side and the web UI all ask it.
type Action string

const (
	// ActionRead reads a repository: its versions and projects, and the files of a
	// private distribution that serves it.
	ActionRead Action = "read"
	// ActionUpload adds files to a repository.
	ActionUpload Action = "upload"
	// ActionYank yanks or unyanks a release.
	ActionYank Action = "yank"
	// ActionRemove removes files from a repository.
	ActionRemove Action = "remove"
	// ActionRollback makes a version whose content equals an earlier one.
	ActionRollback Action = "rollback"
	// ActionRetain reclaims old versions of the repository (repo retain).
	ActionRetain Action = "retain"
	// ActionProjectStatus sets a project's PEP 792 status in the repository (it can
	// hide every file of the project).
	ActionProjectStatus Action = "project-status"
	// ActionAdminRepository creates repositories (a server-wide action).
	ActionAdminRepository Action = "admin-repository"
	// ActionAdminDistribution creates, changes or deletes a distribution serving the
	// repository.
	ActionAdminDistribution Action = "admin-distribution"
	// ActionManageTokens lists, creates and revokes API tokens (a server-wide action).
	ActionManageTokens Action = "manage-tokens"
	// ActionManageTasks lists, shows and cancels tasks (a server-wide action: a task may
	// touch any repository).
	ActionManageTasks Action = "manage-tasks"
	// ActionAdminRemote creates, shows, changes or deletes remotes (a server-wide action:
	// a remote holds credentials and feeds any repository).
	ActionAdminRemote Action = "admin-remote"
	// ActionSync syncs a remote into the repository (it adds files, and with --mirror
	// removes them).
	ActionSync Action = "sync"
	// ActionBlocklist adds rules to or removes them from a repository's blocklist.
	ActionBlocklist Action = "blocklist"
	// ActionCheck runs a check of a file of the repository (it runs the package's code,
	// in a sandbox, on the server's workers).
	ActionCheck Action = "check"
	// ActionCheckSettings turns the repository's check-on-upload on or off.
	ActionCheckSettings Action = "check-settings"
)

// rule is a row of the policy: the least scope a token needs for the action, and whether
// the action concerns the whole server, so that only a token valid for every repository
// may do it.
type rule struct {
	scope  Scope
	global bool
}

// policy is who may do what. A token of a higher scope may do what a lower one may
// (read < upload < admin); a token limited to a repository may act on that repository
// only, and on no global action.
var policy = map[Action]rule{
	ActionRead:              {scope: ScopeRead},
	ActionUpload:            {scope: ScopeUpload},
	ActionYank:              {scope: ScopeUpload},
	ActionRemove:            {scope: ScopeAdmin},
	ActionRollback:          {scope: ScopeAdmin},
	ActionRetain:            {scope: ScopeAdmin},
	ActionProjectStatus:     {scope: ScopeAdmin},
	ActionAdminDistribution: {scope: ScopeAdmin},
	ActionBlocklist:         {scope: ScopeAdmin},
	ActionAdminRepository:   {scope: ScopeAdmin, global: true},
	ActionManageTokens:      {scope: ScopeAdmin, global: true},
	ActionManageTasks:       {scope: ScopeAdmin, global: true},
	ActionAdminRemote:       {scope: ScopeAdmin, global: true},
	ActionSync:              {scope: ScopeAdmin},
	ActionCheck:             {scope: ScopeAdmin},
	ActionCheckSettings:     {scope: ScopeAdmin},
}

// scopeRank orders the scopes; an unknown scope grants nothing.
var scopeRank = map[Scope]int{ScopeRead: 1, ScopeUpload: 2, ScopeAdmin: 3}

// Allowed reports whether t (nil: no token) may do a on repository repo ("" for a
// global action, or for an action on every repository). An unknown action is never
// allowed.
func Allowed(t *Token, a Action, repo string) bool {
	r, ok := policy[a]
	if !ok || t == nil || scopeRank[t.Scope] < scopeRank[r.scope] {
		return false
	}
	if r.global {
		repo = ""
	}
	return t.Repository == "" || t.Repository == repo
}

// Authorize returns nil when t may do a on repo (see Allowed); else an error wrapping
// errs.ErrUnauthorized without a token (ask for one) or errs.ErrForbidden with one that
// does not grant the action (a different token is needed), naming what is missing.
func Authorize(t *Token, a Action, repo string) error {
	if Allowed(t, a, repo) {
		return nil
	}
	if t == nil {
		return fmt.Errorf("an API token is required (HTTP Basic with user __token__, or Authorization: Bearer): %w", errs.ErrUnauthorized)
	}
	r, ok := policy[a]
	if !ok {
		return fmt.Errorf("unknown action %q: %w", a, errs.ErrForbidden)
	}
	if r.global {
		repo = ""
	}
	what := "every repository"
	switch {
	case repo == "" && r.scope == ScopeAdmin:
		what = "this server"
	case repo != "":
		what = "repository " + repo
	}
	return fmt.Errorf("token %q (scope %s) does not grant %s on %s: %w", t.Name, t.Scope, r.scope, what, errs.ErrForbidden)
}

// MayRead reports whether t (nil: no token) may read through d: anyone when d is
// public, else a token that may read its repository.
func MayRead(t *Token, d Distribution) bool {
	return d.Public || Allowed(t, ActionRead, d.Repository)
}
