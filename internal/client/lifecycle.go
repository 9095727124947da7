package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/pydepot/pydepot/internal/server/wire"
)

// Diff says what changed from version from to version to of repo.
func (c *Client) Diff(ctx context.Context, repo string, from, to int) (*wire.VersionDiff, error) {
	var out wire.VersionDiff
	path := fmt.Sprintf("/api/repositories/%s/diff?from=%d&to=%d", esc(repo), from, to)
	return &out, c.call(ctx, http.MethodGet, path, nil, &out)
}

// Retain reclaims the versions of repo that neither are among the last keep nor pinned
// (admin); dryRun only reports them.
func (c *Client) Retain(ctx context.Context, repo string, keep int, dryRun bool) (*wire.RetainReport, error) {
	var out wire.RetainReport
	return &out, c.call(ctx, http.MethodPost, "/api/repositories/"+esc(repo)+"/retain", wire.Retain{Keep: keep, DryRun: dryRun}, &out)
}
