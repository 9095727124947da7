package analyze

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/buildinfo"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/server/wire"
)

// Index answers which projects provide an import name. The pydepot server answers
// through GET /api/imports/{module}; tests may use any implementation.
type Index interface {
	// ImportCandidates returns the projects whose files provide module (a dotted
	// name: walt.client, google.protobuf, yaml) and the longest dotted prefix of
	// module they were found under (walt.client for walt.client.cli; "" when the
	// index does not say). No candidates is not an error.
	ImportCandidates(ctx context.Context, module string) (match string, projects []string, err error)
}

// HTTPIndex asks a pydepot server.
type HTTPIndex struct {
	root         string // scheme://host[/prefix]
	distribution string // "" = the server's default
	client       *http.Client
	warnings     io.Writer // nil: no version mismatch warning
	check        buildinfo.VersionCheck
}

// WarnTo makes ix write, once, to w when the server runs another pydepot version than
// this client, as the other commands do.
func (ix *HTTPIndex) WarnTo(w io.Writer) { ix.warnings = w }

// NewHTTPIndex builds an Index for indexURL, which is either the server's root URL
// (http://host:8080) or a distribution's simple index URL as given to pip
// (http://host:8080/team/dev/simple/), in which case that distribution is asked.
// Credentials in the URL are sent as HTTP Basic authentication. A nil client gets
// one with a 30 second timeout (never http.DefaultClient, which has none).
func NewHTTPIndex(indexURL string, client *http.Client) (*HTTPIndex, error) {
	u, err := url.Parse(indexURL)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("index URL %q: want http(s)://host[/base/simple/]: %w", indexURL, errs.ErrInvalid)
	}
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	ix := &HTTPIndex{client: client}
	p := strings.Trim(u.Path, "/")
	if p == "simple" {
		p = ""
	} else if base, ok := strings.CutSuffix(p, "/simple"); ok {
		ix.distribution = base
		p = ""
	}
	u.Path, u.RawPath, u.RawQuery, u.Fragment = "", "", "", ""
	ix.root = strings.TrimSuffix(u.String(), "/")
	if p != "" {
		ix.root += "/" + p
	}
	return ix, nil
}

// ImportCandidates implements Index.
func (ix *HTTPIndex) ImportCandidates(ctx context.Context, module string) (string, []string, error) {
	u := ix.root + "/api/imports/" + url.PathEscape(module)
	if ix.distribution != "" {
		u += "?distribution=" + url.QueryEscape(ix.distribution)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Accept", "application/json")
	shown := redactURL(u) // u may carry the token
	buildinfo.SetHeaders(req.Header)
	resp, err := ix.client.Do(req)
	if err != nil {
		return "", nil, fmt.Errorf("asking the index which project provides %s: %w", module, err)
	}
	defer resp.Body.Close()
	if ix.warnings != nil {
		ix.check.Check(resp.Header, ix.root, func(msg string) { fmt.Fprintf(ix.warnings, "pydepot: warning: %s\n", msg) })
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return "", nil, fmt.Errorf("GET %s: %w", shown, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return "", nil, nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return "", nil, fmt.Errorf("GET %s: %s: %s (the index wants credentials: set PYDEPOT_TOKEN to an API token that can read it, or give user:password in the index URL): %w",
			shown, resp.Status, strings.TrimSpace(string(body)), errs.ErrUnauthorized)
	case resp.StatusCode != http.StatusOK:
		return "", nil, fmt.Errorf("GET %s: %s: %s", shown, resp.Status, strings.TrimSpace(string(body)))
	}
	var ans wire.ImportCandidates
	if err := json.Unmarshal(body, &ans); err != nil {
		// Also accept a bare list of names.
		var list []string
		if json.Unmarshal(body, &list) != nil {
			return "", nil, fmt.Errorf("GET %s: answer is not the expected JSON: %v: %w", shown, err, errs.ErrInvalid)
		}
		return "", list, nil
	}
	return ans.Match, ans.Projects, nil
}

// IndexURLWithToken puts an API token into an index URL as NewHTTPIndex reads credentials
// (HTTP Basic __token__), unless the URL carries its own or token is "".
func IndexURLWithToken(raw, token string) string {
	u, err := url.Parse(raw)
	if err != nil || token == "" || u.User != nil {
		return raw
	}
	u.User = url.UserPassword("__token__", token)
	return u.String()
}

// redactURL drops the credentials from a URL for a message.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}
