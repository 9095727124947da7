// Package client is the HTTP client of pydepot's management API (/api/) and of the legacy
// upload API, used by the CLI. It sends its version with every request and warns once when
// the server runs another one, naming the command that fetches the matching client.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/pydepot/pydepot/internal/buildinfo"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/server/wire"
)

// Client talks to one pydepot server.
type Client struct {
	base  string
	token string
	hc    *http.Client

	// Warnings receives the one-time version mismatch warning; nil discards it.
	Warnings io.Writer
	warnOnce sync.Once
}

// New returns a client of the server at baseURL ("http://127.0.0.1:8080") that
// authenticates with token ("" for none). httpClient nil means http.DefaultClient.
func New(baseURL, token string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), token: token, hc: httpClient}
}

// BaseURL returns the server's URL as given to New (without a trailing slash).
func (c *Client) BaseURL() string { return c.base }

// Error is a refusal by the server. It unwraps to the errs category of its status, so
// callers can test errors.Is(err, errs.ErrNotFound).
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("server answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// Unwrap returns the errs category of the status.
func (e *Error) Unwrap() error {
	switch e.Status {
	case http.StatusBadRequest:
		return errs.ErrInvalid
	case http.StatusNotFound:
		return errs.ErrNotFound
	case http.StatusConflict:
		return errs.ErrConflict
	case http.StatusUnauthorized:
		return errs.ErrUnauthorized
	case http.StatusForbidden:
		return errs.ErrForbidden
	case http.StatusRequestEntityTooLarge:
		return errs.ErrTooLarge
	}
	return nil
}

// newRequest builds a request to path (starting with "/") with the client's headers.
func (c *Client) newRequest(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("User-Agent", buildinfo.UserAgent())
	req.Header.Set(wire.VersionHeader, buildinfo.Version)
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// do sends req and decodes a JSON answer into out (when not nil).
func (c *Client) do(req *http.Request, out any) error {
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	c.checkVersion(resp)
	if resp.StatusCode >= 300 {
		return readError(resp)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", req.Method, req.URL.Redacted(), err)
	}
	return nil
}

// readError turns an error response into *Error.
func readError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &Error{Status: resp.StatusCode}
	var we wire.Error
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/json" && json.Unmarshal(body, &we) == nil && we.Error != "" {
		e.Message = we.Error
	} else {
		e.Message = strings.TrimSpace(string(body))
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// checkVersion warns once when the server's version differs from the client's.
func (c *Client) checkVersion(resp *http.Response) {
	sv := resp.Header.Get(wire.VersionHeader)
	if sv == "" || sv == buildinfo.Version || c.Warnings == nil {
		return
	}
	c.warnOnce.Do(func() {
		fmt.Fprintf(c.Warnings, "pydepot: warning: this client is version %s but the server at %s runs %s; get the matching client with:\n  curl -fsSL -o pydepot %s/api/client && chmod +x pydepot\n",
			buildinfo.Version, c.base, sv, c.base)
	})
}

// call sends a JSON request (in may be nil) and decodes the answer into out.
func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := c.newRequest(ctx, method, path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.do(req, out)
}

// esc escapes one path segment.
func esc(s string) string { return url.PathEscape(s) }

// escPath escapes a base path segment by segment, keeping its slashes.
func escPath(s string) string {
	segs := strings.Split(s, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return strings.Join(segs, "/")
}

// IsNotFound reports whether err is the server's 404.
func IsNotFound(err error) bool { return errors.Is(err, errs.ErrNotFound) }
