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
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/pydepot/pydepot/internal/buildinfo"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/httpclient"
	"github.com/pydepot/pydepot/internal/server/wire"
)

// Client talks to one pydepot server.
type Client struct {
	base   string
	urlErr error // a base URL that is not a server's root: every call returns it
	token  string
	hc     *http.Client

	// Warnings receives the one-time version mismatch warning; nil discards it.
	Warnings io.Writer
	versions buildinfo.VersionCheck
}

// New returns a client of the server at baseURL ("http://127.0.0.1:8080") that
// authenticates with token ("" for none). httpClient nil means a new one from httpclient.New. A
// baseURL that ParseServerURL refuses makes every call return its error.
func New(baseURL, token string, httpClient *http.Client) *Client {
	base, err := ParseServerURL(baseURL)
	if err != nil {
		base = strings.TrimRight(baseURL, "/")
	}
	return &Client{base: base, urlErr: err, token: token, hc: httpclient.OrNew(httpClient)}
}

// ParseServerURL checks the URL of a pydepot server as PYDEPOT_URL gives it and returns
// it without a trailing slash. It must have an http or https scheme and a host, and be
// the server's root rather than one of its index, upload or API URLs (/simple/,
// /BASE/simple/, /legacy/, /api/). Errors wrap errs.ErrInvalid and say what to set.
func ParseServerURL(raw string) (string, error) {
	bad := func(why, suggest string) error {
		return fmt.Errorf("PYDEPOT_URL %q %s: set PYDEPOT_URL to the server's root URL, such as %s: %w", raw, why, suggest, errs.ErrInvalid)
	}
	if !strings.Contains(raw, "://") {
		// "127.0.0.1:8080" does not parse; "localhost:8080" parses with the scheme "localhost".
		return "", bad("has no http:// or https:// scheme", "http://"+strings.TrimLeft(raw, "/"))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", bad("is not a URL", "http://127.0.0.1:8080")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", bad(fmt.Sprintf("has the scheme %q, not http or https", u.Scheme), "http://127.0.0.1:8080")
	}
	if u.Host == "" {
		return "", bad("has no host", "http://127.0.0.1:8080")
	}
	root := u.Scheme + "://" + u.Host
	if u.RawQuery != "" || u.Fragment != "" {
		return "", bad("has a query or fragment", root)
	}
	for _, seg := range strings.Split(strings.Trim(u.Path, "/"), "/") {
		switch seg {
		case "simple", "legacy", "api", "pypi":
			return "", bad(fmt.Sprintf("is the server's %s URL, not its root", "/"+seg+"/"), root)
		}
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// BaseURL returns the server's URL as given to New (without a trailing slash).
func (c *Client) BaseURL() string { return c.base }

// Error is a refusal by the server. It unwraps to the errs category of its status, so
// callers can test errors.Is(err, errs.ErrNotFound).
type Error struct {
	Status  int
	Message string
	Hint    string // what the user can do about it, "" when nothing useful is known
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("server answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
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
	if c.urlErr != nil {
		return nil, c.urlErr
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	buildinfo.SetHeaders(req.Header)
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// do sends req and decodes a JSON answer into out (when not nil).
func (c *Client) do(req *http.Request, out any) error {
	_, err := c.doHeader(req, out)
	return err
}

// doHeader is do, returning the response's headers too.
func (c *Client) doHeader(req *http.Request, out any) (http.Header, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(req, err)
	}
	defer resp.Body.Close()
	c.checkVersion(resp)
	if resp.StatusCode >= 300 {
		return nil, c.readError(resp)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.Header, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return nil, fmt.Errorf("%s %s: the answer is not the expected JSON: %v: %w", req.Method, req.URL.Redacted(), err, errs.ErrInvalid)
	}
	return resp.Header, nil
}

// transportError is a request that got no answer, with a hint when the cause is a
// server that is not there.
func (c *Client) transportError(req *http.Request, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // it repeats the method and URL said below
	}
	msg := fmt.Sprintf("%s %s: %v", req.Method, req.URL.Redacted(), err)
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		msg += fmt.Sprintf("; is 'pydepot serve' running at %s? (PYDEPOT_URL sets the server's URL)", c.base)
	case errors.As(err, &dns) && dns.IsNotFound:
		msg += "; check the host in PYDEPOT_URL"
	}
	return &transportErr{msg: msg, err: err}
}

// transportErr keeps the cause (a context's end, a refused connection) for errors.Is.
type transportErr struct {
	msg string
	err error
}

func (e *transportErr) Error() string { return e.msg }
func (e *transportErr) Unwrap() error { return e.err }

// readError turns an error response into *Error, with a hint for a missing or refused
// token.
func (c *Client) readError(resp *http.Response) error {
	err := readError(resp)
	if e, ok := err.(*Error); ok && e.Status == http.StatusUnauthorized {
		if c.token == "" {
			e.Hint = "set PYDEPOT_TOKEN to an API token (see 'pydepot help show tokens')"
		} else {
			e.Hint = "the server does not accept the token in PYDEPOT_TOKEN: ask an admin for a valid one ('pydepot token create')"
		}
	}
	return err
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
	if c.Warnings == nil {
		return
	}
	c.versions.Check(resp.Header, c.base, func(msg string) { fmt.Fprintf(c.Warnings, "pydepot: warning: %s\n", msg) })
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
