package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/pydepot/pydepot/internal/server/wire"
)

// ServerVersion returns the server's version (GET /api/version).
func (c *Client) ServerVersion(ctx context.Context) (string, error) {
	var v wire.Version
	err := c.call(ctx, http.MethodGet, "/api/version", nil, &v)
	return v.Version, err
}

// Repositories lists the repositories the token may read.
func (c *Client) Repositories(ctx context.Context) ([]wire.Repository, error) {
	var out []wire.Repository
	return out, c.call(ctx, http.MethodGet, "/api/repositories", nil, &out)
}

// CreateRepository creates a repository (admin).
func (c *Client) CreateRepository(ctx context.Context, name, description string) (*wire.Repository, error) {
	var out wire.Repository
	return &out, c.call(ctx, http.MethodPost, "/api/repositories", wire.RepositoryCreate{Name: name, Description: description}, &out)
}

// Repository returns one repository.
func (c *Client) Repository(ctx context.Context, name string) (*wire.Repository, error) {
	var out wire.Repository
	return &out, c.call(ctx, http.MethodGet, "/api/repositories/"+esc(name), nil, &out)
}

// Versions lists a repository's versions.
func (c *Client) Versions(ctx context.Context, repo string) ([]wire.RepositoryVersion, error) {
	var out []wire.RepositoryVersion
	return out, c.call(ctx, http.MethodGet, "/api/repositories/"+esc(repo)+"/versions", nil, &out)
}

// Projects lists the projects of a repository's latest version.
func (c *Client) Projects(ctx context.Context, repo string) ([]wire.Project, error) {
	var out []wire.Project
	return out, c.call(ctx, http.MethodGet, "/api/repositories/"+esc(repo)+"/projects", nil, &out)
}

// Rollback makes a new version of repo whose content equals version to.
func (c *Client) Rollback(ctx context.Context, repo string, to int) (*wire.RepositoryVersion, error) {
	var out wire.RepositoryVersion
	return &out, c.call(ctx, http.MethodPost, "/api/repositories/"+esc(repo)+"/rollback", wire.Rollback{To: to}, &out)
}

func releasePath(repo, project, version string) string {
	return "/api/repositories/" + esc(repo) + "/projects/" + esc(project) + "/versions/" + esc(version)
}

// Yank yanks every file of project==version in repo with reason (possibly empty).
func (c *Client) Yank(ctx context.Context, repo, project, version, reason string) error {
	_, err := c.YankRelease(ctx, repo, project, version, &reason)
	return err
}

// YankRelease yanks project==version in repo and says what changed; reason nil keeps
// the reason of a release already yanked.
func (c *Client) YankRelease(ctx context.Context, repo, project, version string, reason *string) (*wire.YankResult, error) {
	var out wire.YankResult
	if err := c.call(ctx, http.MethodPost, releasePath(repo, project, version)+"/yank", wire.Yank{Reason: reason}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetProjectStatus sets the PEP 792 status of project in repo, with reason ("" for
// none), and says whether it changed.
func (c *Client) SetProjectStatus(ctx context.Context, repo, project, status, reason string) (*wire.StatusResult, error) {
	var out wire.StatusResult
	path := "/api/repositories/" + esc(repo) + "/projects/" + esc(project) + "/status"
	if err := c.call(ctx, http.MethodPut, path, wire.ProjectStatus{Status: status, Reason: reason}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Unyank clears the yank of project==version in repo.
func (c *Client) Unyank(ctx context.Context, repo, project, version string) error {
	_, err := c.UnyankRelease(ctx, repo, project, version)
	return err
}

// UnyankRelease clears the yank of project==version in repo and says what changed.
func (c *Client) UnyankRelease(ctx context.Context, repo, project, version string) (*wire.YankResult, error) {
	var out wire.YankResult
	if err := c.call(ctx, http.MethodPost, releasePath(repo, project, version)+"/unyank", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Remove removes one file of project==version (filename != "") or all of them.
func (c *Client) Remove(ctx context.Context, repo, project, version, filename string) error {
	p := releasePath(repo, project, version)
	if filename != "" {
		p += "/files/" + esc(filename)
	}
	return c.call(ctx, http.MethodDelete, p, nil, nil)
}

// Distributions lists the distributions the caller may read.
func (c *Client) Distributions(ctx context.Context) ([]wire.Distribution, error) {
	var out []wire.Distribution
	return out, c.call(ctx, http.MethodGet, "/api/distributions", nil, &out)
}

// Distribution returns one distribution.
func (c *Client) Distribution(ctx context.Context, base string) (*wire.Distribution, error) {
	var out wire.Distribution
	return &out, c.call(ctx, http.MethodGet, "/api/distributions/"+escPath(base), nil, &out)
}

// CreateDistribution creates a distribution.
func (c *Client) CreateDistribution(ctx context.Context, d wire.Distribution) (*wire.Distribution, error) {
	var out wire.Distribution
	return &out, c.call(ctx, http.MethodPost, "/api/distributions", d, &out)
}

// UpdateDistribution repoints, pins, unpins or changes the visibility of a distribution.
func (c *Client) UpdateDistribution(ctx context.Context, base string, u wire.DistributionUpdate) (*wire.Distribution, error) {
	var out wire.Distribution
	return &out, c.call(ctx, http.MethodPatch, "/api/distributions/"+escPath(base), u, &out)
}

// DeleteDistribution deletes a distribution (the repository stays).
func (c *Client) DeleteDistribution(ctx context.Context, base string) error {
	return c.call(ctx, http.MethodDelete, "/api/distributions/"+escPath(base), nil, nil)
}

// Tokens lists the API tokens (admin).
func (c *Client) Tokens(ctx context.Context) ([]wire.Token, error) {
	var out []wire.Token
	return out, c.call(ctx, http.MethodGet, "/api/tokens", nil, &out)
}

// CreateToken creates a token; the answer holds its secret, shown this once.
func (c *Client) CreateToken(ctx context.Context, t wire.TokenCreate) (*wire.TokenCreated, error) {
	var out wire.TokenCreated
	return &out, c.call(ctx, http.MethodPost, "/api/tokens", t, &out)
}

// RevokeToken revokes a token by id.
func (c *Client) RevokeToken(ctx context.Context, id int64) error {
	return c.call(ctx, http.MethodDelete, fmt.Sprintf("/api/tokens/%d", id), nil, nil)
}

// ImportCandidates lists the projects of a distribution ("" = main) providing module.
func (c *Client) ImportCandidates(ctx context.Context, module, distribution string) (*wire.ImportCandidates, error) {
	p := "/api/imports/" + esc(module)
	if distribution != "" {
		p += "?distribution=" + url.QueryEscape(distribution)
	}
	var out wire.ImportCandidates
	return &out, c.call(ctx, http.MethodGet, p, nil, &out)
}
