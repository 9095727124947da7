package client

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/pydepot/pydepot/internal/server/wire"
)

// StartCheck starts a check of a file of a repository (admin on it): the task's id.
func (c *Client) StartCheck(ctx context.Context, req wire.CheckRequest) (*wire.CheckStarted, error) {
	var out wire.CheckStarted
	return &out, c.call(ctx, http.MethodPost, "/api/checks", req, &out)
}

// Checks lists the check reports of a repository (of one file when filename is not
// ""), newest first.
func (c *Client) Checks(ctx context.Context, repo, filename string, limit int, before int64) (*wire.CheckList, error) {
	q := url.Values{"repository": {repo}}
	if filename != "" {
		q.Set("filename", filename)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if before > 0 {
		q.Set("before", strconv.FormatInt(before, 10))
	}
	var out wire.CheckList
	return &out, c.call(ctx, http.MethodGet, "/api/checks?"+q.Encode(), nil, &out)
}

// Check returns one check report.
func (c *Client) Check(ctx context.Context, id int64) (*wire.CheckReport, error) {
	var out wire.CheckReport
	return &out, c.call(ctx, http.MethodGet, "/api/checks/"+strconv.FormatInt(id, 10), nil, &out)
}

// CheckRaw opens one piece of raw data of a check report; the caller closes it.
func (c *Client) CheckRaw(ctx context.Context, id int64, name string) (io.ReadCloser, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/api/checks/"+strconv.FormatInt(id, 10)+"/raw/"+url.PathEscape(name), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(req, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, c.readError(resp)
	}
	return resp.Body, nil
}

// UpdateRepository changes a repository's settings (admin on it).
func (c *Client) UpdateRepository(ctx context.Context, name string, u wire.RepositoryUpdate) (*wire.Repository, error) {
	var out wire.Repository
	return &out, c.call(ctx, http.MethodPatch, "/api/repositories/"+esc(name), u, &out)
}

// CreateRepositoryFrom creates a repository with the settings of rc (admin).
func (c *Client) CreateRepositoryFrom(ctx context.Context, rc wire.RepositoryCreate) (*wire.Repository, error) {
	var out wire.Repository
	return &out, c.call(ctx, http.MethodPost, "/api/repositories", rc, &out)
}
