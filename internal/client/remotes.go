package client

import (
	"context"
	"net/http"

	"github.com/pydepot/pydepot/internal/server/wire"
)

// Remotes lists the remotes (admin).
func (c *Client) Remotes(ctx context.Context) ([]wire.Remote, error) {
	var out []wire.Remote
	return out, c.call(ctx, http.MethodGet, "/api/remotes", nil, &out)
}

// Remote returns one remote (admin); its secrets are never sent back.
func (c *Client) Remote(ctx context.Context, name string) (*wire.Remote, error) {
	var out wire.Remote
	return &out, c.call(ctx, http.MethodGet, "/api/remotes/"+esc(name), nil, &out)
}

// CreateRemote creates a remote (admin); ch.Name and ch.URL are required.
func (c *Client) CreateRemote(ctx context.Context, ch wire.RemoteChange) (*wire.Remote, error) {
	var out wire.Remote
	return &out, c.call(ctx, http.MethodPost, "/api/remotes", ch, &out)
}

// UpdateRemote changes the settings ch gives (admin).
func (c *Client) UpdateRemote(ctx context.Context, name string, ch wire.RemoteChange) (*wire.Remote, error) {
	var out wire.Remote
	return &out, c.call(ctx, http.MethodPatch, "/api/remotes/"+esc(name), ch, &out)
}

// DeleteRemote deletes a remote (admin).
func (c *Client) DeleteRemote(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodDelete, "/api/remotes/"+esc(name), nil, nil)
}

// Sync starts a sync of a remote into repo (admin on repo): the task's id, or on a
// server without a task queue the finished sync's result.
func (c *Client) Sync(ctx context.Context, repo string, req wire.SyncRequest) (*wire.SyncStarted, error) {
	var out wire.SyncStarted
	return &out, c.call(ctx, http.MethodPost, "/api/repositories/"+esc(repo)+"/sync", req, &out)
}
