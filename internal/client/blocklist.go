package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/pydepot/pydepot/internal/server/wire"
)

// BlockRules lists a repository's blocklist.
func (c *Client) BlockRules(ctx context.Context, repo string) ([]wire.BlockRule, error) {
	var out []wire.BlockRule
	return out, c.call(ctx, http.MethodGet, "/api/repositories/"+esc(repo)+"/blocklist", nil, &out)
}

// Block adds a rule (a project name, name==version or a filename) to a repository's
// blocklist.
func (c *Client) Block(ctx context.Context, repo, rule string) (*wire.BlockRule, error) {
	var out wire.BlockRule
	return &out, c.call(ctx, http.MethodPost, "/api/repositories/"+esc(repo)+"/blocklist", wire.BlockRule{Rule: rule}, &out)
}

// Unblock removes a rule from a repository's blocklist.
func (c *Client) Unblock(ctx context.Context, repo, rule string) error {
	return c.call(ctx, http.MethodDelete, "/api/repositories/"+esc(repo)+"/blocklist?rule="+url.QueryEscape(rule), nil, nil)
}
