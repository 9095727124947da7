package analyze

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/pydepot/pydepot/internal/client"
	"github.com/pydepot/pydepot/internal/errs"
)

// Index answers which projects provide an import name. The pydepot server answers
// through GET /api/imports/{module}; tests may use any implementation.
type Index interface {
	// ImportCandidates returns the projects whose files provide module (a dotted
	// name: walt.client, google.protobuf, yaml) and the longest dotted prefix of
	// module they were found under (walt.client for walt.client.cli; "" when the
	// index does not say). No candidates is not an error. A refused or missing token
	// is (errs.ErrUnauthorized, errs.ErrForbidden): Run reports it rather than
	// quietly using its built-in table.
	ImportCandidates(ctx context.Context, module string) (match string, projects []string, err error)
}

// HTTPIndex asks a pydepot server through its API client (internal/client), which
// sends the token and reports a refusal with a hint.
type HTTPIndex struct {
	root         string // scheme://host[/prefix]
	distribution string // "" = the server's default
	c            *client.Client
}

// NewHTTPIndex builds an Index for indexURL, which is either the server's root URL
// (http://host:8080, as PYDEPOT_URL gives it) or a distribution's simple index URL as
// given to pip (http://host:8080/team/dev/simple/), in which case that distribution is
// asked. token is the API token ("" for none); credentials in the URL take its place
// (their password is the token, as pip sends it). hc is the command's HTTP client (nil: one from
// internal/httpclient).
func NewHTTPIndex(indexURL, token string, hc *http.Client) (*HTTPIndex, error) {
	u, err := url.Parse(indexURL)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("index URL %q: want http(s)://host[/base/simple/]: %w", indexURL, errs.ErrInvalid)
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		token = pw
	}
	ix := &HTTPIndex{}
	p := strings.Trim(u.Path, "/")
	if p == "simple" {
		p = ""
	} else if base, ok := strings.CutSuffix(p, "/simple"); ok {
		ix.distribution = base
		p = ""
	}
	u.User, u.Path, u.RawPath, u.RawQuery, u.Fragment = nil, "", "", "", ""
	ix.root = strings.TrimSuffix(u.String(), "/")
	if p != "" {
		ix.root += "/" + p
	}
	ix.c = client.New(ix.root, token, hc)
	return ix, nil
}

// WarnTo makes ix write, once, to w when the server runs another pydepot version than
// this client, as the other commands do (the API client's warning).
func (ix *HTTPIndex) WarnTo(w io.Writer) { ix.c.Warnings = w }

// ImportCandidates implements Index. A 404 (an older server, or a distribution this
// server does not have) means no candidates.
func (ix *HTTPIndex) ImportCandidates(ctx context.Context, module string) (string, []string, error) {
	ans, err := ix.c.ImportCandidates(ctx, module, ix.distribution)
	switch {
	case client.IsNotFound(err):
		return "", nil, nil
	case err != nil:
		return "", nil, fmt.Errorf("asking the index which project provides %s: %w", module, err)
	}
	return ans.Match, ans.Projects, nil
}

// IndexURLWithToken puts an API token into an index URL as HTTP Basic __token__
// credentials, unless the URL carries its own or token is "". NewHTTPIndex takes the
// token itself; this is for callers that pass an index URL on.
func IndexURLWithToken(raw, token string) string {
	u, err := url.Parse(raw)
	if err != nil || token == "" || u.User != nil {
		return raw
	}
	u.User = url.UserPassword("__token__", token)
	return u.String()
}
