package mirror

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/html"

	"github.com/pydepot/pydepot/internal/buildinfo"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/httpclient"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/simpleindex"
)

// Limits on what an upstream sends.
const (
	maxPageSize     = 64 << 20 // a project page
	maxProjectName  = 512      // one name of the project list
	maxProjectCount = 5_000_000
	fetchAttempts   = 4
)

// upstream talks to one remote: conditional page reads, the streamed project list,
// verified downloads with retries, metadata files.
type upstream struct {
	remote *Remote
	base   *url.URL
	hc     *http.Client
	idx    *simpleindex.Client
	// backoff is the wait before the second attempt (doubling after).
	backoff time.Duration
}

// dial returns the upstream of r, on a client with r's proxy and TLS settings.
func (m *Mirror) dial(r *Remote) (*upstream, error) {
	hc, err := m.clientFor(r)
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(r.URL)
	if err != nil {
		return nil, invalid("remote URL %q", r.URL)
	}
	idxURL := *base
	if r.Username != "" {
		idxURL.User = url.UserPassword(r.Username, r.Password)
	}
	idx, err := simpleindex.New([]string{idxURL.String()}, hc, simpleindex.Options{Logger: m.log, Token: r.Token,
		TempDir: m.opts.TempDir, Warnings: io.Discard})
	if err != nil {
		return nil, err
	}
	return &upstream{remote: r, base: base, hc: hc, idx: idx, backoff: m.opts.backoff()}, nil
}

func (o Options) backoff() time.Duration {
	if o.RetryBackoff > 0 {
		return o.RetryBackoff
	}
	return 250 * time.Millisecond
}

// clientFor is the Mirror's client, or a copy of its transport with r's proxy, CA
// bundle or TLS switch.
func (m *Mirror) clientFor(r *Remote) (*http.Client, error) {
	hc := httpclient.OrNew(m.opts.HTTPClient)
	if r.Proxy == "" && r.CACert == "" && !r.Insecure {
		return hc, nil
	}
	tr, ok := hc.Transport.(*http.Transport)
	if !ok {
		tr = httpclient.New(httpclient.DefaultResponseTimeout).Transport.(*http.Transport)
	}
	tr = tr.Clone()
	if r.Proxy != "" {
		pu, err := url.Parse(r.Proxy)
		if err != nil {
			return nil, invalid("--proxy %q", redactURL(r.Proxy))
		}
		tr.Proxy = http.ProxyURL(pu)
	}
	if r.CACert != "" || r.Insecure {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if tr.TLSClientConfig != nil {
			cfg = tr.TLSClientConfig.Clone()
		}
		if r.CACert != "" {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM([]byte(r.CACert)) {
				return nil, invalid("remote %s: its CA bundle has no PEM certificate", r.Name)
			}
			cfg.RootCAs = pool
		}
		cfg.InsecureSkipVerify = r.Insecure // #nosec G402: the remote's --insecure, asked for
		tr.TLSClientConfig = cfg
	}
	out := *hc
	out.Transport = tr
	return &out, nil
}

// request builds a GET of u with the remote's credentials (sent only to its own host).
func (u *upstream) request(ctx context.Context, method, rawURL, accept string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("bad URL %q: %w", redactURL(rawURL), errs.ErrInvalid)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	buildinfo.SetHeaders(req.Header)
	if req.URL.Host == u.base.Host {
		switch {
		case u.remote.Username != "":
			req.SetBasicAuth(u.remote.Username, u.remote.Password)
		case u.remote.Token != "":
			req.SetBasicAuth("__token__", u.remote.Token)
		}
	}
	return req, nil
}

// statusError maps an upstream's refusal to a category: 404/410 not found, 401, 403;
// the others (5xx, 429) are transient.
func statusError(what string, resp *http.Response) error {
	switch resp.StatusCode {
	case http.StatusNotFound, http.StatusGone:
		return fmt.Errorf("%s: HTTP %s: %w", what, resp.Status, errs.ErrNotFound)
	case http.StatusUnauthorized:
		return fmt.Errorf("%s: HTTP %s (check the remote's --username/--password or --token): %w", what, resp.Status, errs.ErrUnauthorized)
	case http.StatusForbidden:
		return fmt.Errorf("%s: HTTP %s: %w", what, resp.Status, errs.ErrForbidden)
	}
	return &transientError{fmt.Errorf("%s: HTTP %s", what, resp.Status)}
}

type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// permanent reports errors no retry can mend.
func permanent(err error) bool {
	return errors.Is(err, errs.ErrNotFound) || errors.Is(err, errs.ErrUnauthorized) || errors.Is(err, errs.ErrForbidden) ||
		errors.Is(err, errs.ErrTooLarge) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errs.IsStorageFull(err)
}

// retry runs fn up to fetchAttempts times, waiting backoff, 2×backoff, ... between.
func (u *upstream) retry(ctx context.Context, fn func() error) error {
	wait := u.backoff
	var err error
	for attempt := 1; ; attempt++ {
		if err = fn(); err == nil || permanent(err) || attempt == fetchAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// page is a project page and its validators.
type page struct {
	*simpleindex.ProjectPage
	ETag, LastModified string
	Serial             int64
	NotModified        bool
}

// page reads project's page, conditionally when etag or lastModified is known (a 304 is
// NotModified). A project the upstream does not have wraps errs.ErrNotFound.
func (u *upstream) page(ctx context.Context, project, etag, lastModified string) (*page, error) {
	pu := u.base.ResolveReference(&url.URL{Path: names.Normalize(project) + "/"})
	var out *page
	err := u.retry(ctx, func() error {
		var err error
		out, err = u.pageOnce(ctx, pu, etag, lastModified)
		return err
	})
	return out, err
}

func (u *upstream) pageOnce(ctx context.Context, pu *url.URL, etag, lastModified string) (*page, error) {
	req, err := u.request(ctx, http.MethodGet, pu.String(), simpleindex.Accept)
	if err != nil {
		return nil, err
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	resp, err := u.hc.Do(req)
	if err != nil {
		return nil, &transientError{fmt.Errorf("GET %s: %w", pu, err)}
	}
	defer resp.Body.Close()
	p := &page{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
	p.Serial, _ = strconv.ParseInt(resp.Header.Get("X-PyPI-Last-Serial"), 10, 64)
	if resp.StatusCode == http.StatusNotModified && (etag != "" || lastModified != "") {
		p.NotModified = true
		if p.ETag == "" {
			p.ETag = etag
		}
		if p.LastModified == "" {
			p.LastModified = lastModified
		}
		return p, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, statusError("project page "+pu.String(), resp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxPageSize+1))
	if err != nil {
		return nil, &transientError{fmt.Errorf("reading project page %s: %w", pu, err)}
	}
	if len(data) > maxPageSize {
		return nil, fmt.Errorf("project page %s: over %d bytes: %w", pu, maxPageSize, errs.ErrTooLarge)
	}
	final := *resp.Request.URL
	final.User = nil
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if strings.Contains(ct, "json") || (ct == "" && strings.HasPrefix(strings.TrimSpace(string(data)), "{")) {
		p.ProjectPage, err = simpleindex.ParseJSON(data, &final)
		if err == nil && p.Serial == 0 {
			var meta struct {
				Meta struct {
					LastSerial int64 `json:"_last-serial"`
				} `json:"meta"`
			}
			if json.Unmarshal(data, &meta) == nil {
				p.Serial = meta.Meta.LastSerial
			}
		}
	} else {
		p.ProjectPage, err = simpleindex.ParseHTML(data, &final)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// listed is one project of the upstream's list, with its serial when the list gives
// one (PEP 691 JSON lists from pydepot and PyPI do).
type listed struct {
	Name   string
	Serial int64
}

// projectList streams the upstream's project list (the simple root, JSON or HTML) to
// fn, in bounded memory.
func (u *upstream) projectList(ctx context.Context, fn func(listed) error) error {
	req, err := u.request(ctx, http.MethodGet, u.base.String(), simpleindex.Accept)
	if err != nil {
		return err
	}
	resp, err := u.hc.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return statusError("project list "+u.base.String(), resp)
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	count := 0
	emit := func(l listed) error {
		l.Name = strings.TrimSpace(l.Name)
		if l.Name == "" {
			return nil
		}
		if len(l.Name) > maxProjectName {
			return fmt.Errorf("project list %s: a name of %d bytes: %w", u.base, len(l.Name), errs.ErrInvalid)
		}
		if count++; count > maxProjectCount {
			return fmt.Errorf("project list %s: over %d projects: %w", u.base, maxProjectCount, errs.ErrTooLarge)
		}
		return fn(l)
	}
	if strings.Contains(ct, "json") {
		return streamJSONList(resp.Body, emit)
	}
	return streamHTMLList(resp.Body, emit)
}

// streamJSONList reads {"meta": ..., "projects": [{"name": ..., "_last-serial": N}, ...]}
// one project at a time.
func streamJSONList(r io.Reader, fn func(listed) error) error {
	dec := json.NewDecoder(r)
	bad := func(err error) error { return fmt.Errorf("project list: bad JSON: %v: %w", err, errs.ErrInvalid) }
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return bad(fmt.Errorf("not an object"))
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return bad(err)
		}
		if key, _ := t.(string); key != "projects" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return bad(err)
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return bad(fmt.Errorf("projects is not a list"))
		}
		for dec.More() {
			var p struct {
				Name   string `json:"name"`
				Serial int64  `json:"_last-serial"`
			}
			if err := dec.Decode(&p); err != nil {
				return bad(err)
			}
			if err := fn(listed{p.Name, p.Serial}); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return bad(err)
		}
	}
	return nil
}

// streamHTMLList reads the anchors of a PEP 503 root page: each anchor's text is a name.
func streamHTMLList(r io.Reader, fn func(listed) error) error {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(1 << 20)
	in := false
	var text strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				return nil
			}
			return fmt.Errorf("project list: %v: %w", z.Err(), errs.ErrInvalid)
		case html.StartTagToken:
			if name, _ := z.TagName(); string(name) == "a" {
				in = true
				text.Reset()
			}
		case html.TextToken:
			if in && text.Len() <= maxProjectName {
				text.Write(z.Text())
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "a" && in {
				in = false
				if err := fn(listed{Name: text.String()}); err != nil {
					return err
				}
			}
		}
	}
}

// fetch downloads f into a temporary file under dir, verified against the upstream's
// size and sha256, retrying transient failures (5xx, resets, truncated or corrupted
// bodies) with backoff. The caller removes the file. A wrong hash that persists is an
// error naming both digests (errs.ErrInvalid).
func (u *upstream) fetch(ctx context.Context, f simpleindex.File, dir string) (string, int64, error) {
	var path string
	var size int64
	err := u.retry(ctx, func() error {
		tmp, err := os.CreateTemp(dir, "sync-*")
		if err != nil {
			return fmt.Errorf("downloading %s: %w", f.Filename, err)
		}
		err = u.idx.Download(ctx, f, tmp)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(tmp.Name())
			return err
		}
		st, err := os.Stat(tmp.Name())
		if err != nil {
			os.Remove(tmp.Name())
			return err
		}
		path, size = tmp.Name(), st.Size()
		return nil
	})
	return path, size, err
}

// metadata returns f's core metadata: the upstream's PEP 658 file (verified against
// its hash), or read from the file itself when the upstream has none.
func (u *upstream) metadata(ctx context.Context, f simpleindex.File) ([]byte, error) {
	var out []byte
	err := u.retry(ctx, func() error {
		var err error
		out, err = u.idx.Metadata(ctx, f)
		return err
	})
	return out, err
}

// size asks the upstream for f's size (HEAD) when its page does not give it.
func (u *upstream) size(ctx context.Context, f simpleindex.File) (int64, error) {
	if f.Size >= 0 {
		return f.Size, nil
	}
	var n int64
	err := u.retry(ctx, func() error {
		req, err := u.request(ctx, http.MethodHead, f.URL, "")
		if err != nil {
			return err
		}
		resp, err := u.hc.Do(req)
		if err != nil {
			return &transientError{fmt.Errorf("HEAD %s: %w", redactURL(f.URL), err)}
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return statusError("HEAD "+redactURL(f.URL), resp)
		}
		if resp.ContentLength < 0 {
			return fmt.Errorf("%s: the upstream gives no size (no Content-Length): %w", f.Filename, errs.ErrInvalid)
		}
		n = resp.ContentLength
		return nil
	})
	return n, err
}
