package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/pydepot/pydepot/internal/buildinfo"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/httpclient"
	"github.com/pydepot/pydepot/internal/inspect"
	"github.com/pydepot/pydepot/internal/simpleindex"
)

// fetchAttempts is how many times a request of a sync is tried (simpleindex's retry
// policy, and the HEAD of size).
const fetchAttempts = 4

// upstream talks to one remote through a simpleindex.Client over its URL: conditional
// page reads, the streamed project list, verified downloads and metadata files, each
// retried with backoff.
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
	log := m.log.With("remote", r.Name)
	idx, err := simpleindex.New([]string{r.URL}, hc, simpleindex.Options{Logger: log, Username: r.Username,
		Password: r.Password, Token: r.Token, TempDir: m.opts.TempDir, Warnings: io.Discard,
		Retry: simpleindex.RetryPolicy{Attempts: fetchAttempts, BaseDelay: m.opts.backoff()},
		OnRetry: func(what string, attempt int, err error, wait time.Duration) {
			log.Debug("retrying", "what", what, "attempt", attempt, "err", err, "wait", wait)
		}})
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

// clientFor is a client for r: the transport of httpclient.NewWith with r's proxy, CA
// bundle (trusted besides the system's) and TLS switch, and as many kept-alive
// connections as the sync runs requests: its downloads, and the page reads of the next
// batch beside them (a shared client keeps 4, and a sync of 8 at once would open a new
// connection for every other request; with as many as the downloads, a sync of 20,000
// files still opened 270). The response timeout is the Mirror's client's when it has
// one.
func (m *Mirror) clientFor(r *Remote) (*http.Client, error) {
	cfg := httpclient.Config{Proxy: r.Proxy, Insecure: r.Insecure, MaxIdleConnsPerHost: 2 * m.opts.Concurrency}
	if r.CACert != "" {
		cfg.CACertPEM = []byte(r.CACert)
	}
	if hc := m.opts.HTTPClient; hc != nil {
		if tr, ok := hc.Transport.(*http.Transport); ok {
			cfg.ResponseTimeout = tr.ResponseHeaderTimeout
		}
	}
	hc, err := httpclient.NewWith(cfg)
	if err != nil {
		return nil, fmt.Errorf("remote %s: %w", r.Name, err)
	}
	return hc, nil
}

// request builds a request of rawURL with the remote's credentials (sent only to its
// own host).
func (u *upstream) request(ctx context.Context, method, rawURL string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("bad URL %q: %w", redactURL(rawURL), errs.ErrInvalid)
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
	return fmt.Errorf("%s: HTTP %s", what, resp.Status)
}

// permanent reports errors no retry can mend.
func permanent(err error) bool {
	return errors.Is(err, errs.ErrNotFound) || errors.Is(err, errs.ErrUnauthorized) || errors.Is(err, errs.ErrForbidden) ||
		errors.Is(err, errs.ErrTooLarge) || errors.Is(err, errs.ErrInvalid) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded)
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
// NotModified, with the validators sent). A project the upstream does not have wraps
// errs.ErrNotFound.
func (u *upstream) page(ctx context.Context, project, etag, lastModified string) (*page, error) {
	pg, notModified, err := u.idx.ProjectIfChanged(ctx, project, etag, lastModified)
	if err != nil {
		return nil, err
	}
	if notModified {
		return &page{ETag: etag, LastModified: lastModified, NotModified: true}, nil
	}
	return &page{ProjectPage: pg, ETag: pg.ETag, LastModified: pg.LastModified, Serial: pg.Serial}, nil
}

// listed is one project of the upstream's list, with its serial when the list gives
// one (PEP 691 JSON lists from pydepot and PyPI do).
type listed struct {
	Name   string
	Serial int64
}

// projectList streams the upstream's project list (the simple root, JSON or HTML) to
// fn, in bounded memory. A listing restarted after a failure repeats names: fn must
// tolerate them.
func (u *upstream) projectList(ctx context.Context, fn func(listed) error) error {
	_, err := u.idx.ProjectListEntries(ctx, func(e simpleindex.ListEntry) error {
		return fn(listed{Name: e.Name, Serial: e.Serial})
	})
	return err
}

// fetch downloads f into a temporary file under dir, verified against the upstream's
// size and sha256 (simpleindex.Fetch: retried, nothing unverified left behind). The
// caller removes the file. A wrong hash that persists names both digests
// (errs.ErrInvalid).
func (u *upstream) fetch(ctx context.Context, f simpleindex.File, dir string) (string, int64, error) {
	if f.SHA256() == "" {
		return "", 0, fmt.Errorf("%s: the upstream gives no sha256: %w", f.Filename, errs.ErrInvalid)
	}
	path, err := u.idx.Fetch(ctx, f, dir)
	if err != nil {
		return "", 0, err
	}
	st, err := os.Stat(path)
	if err != nil {
		os.Remove(path)
		return "", 0, err
	}
	return path, st.Size(), nil
}

// fetchInto is fetch into dst (a spool of the sync's blob batch), returning the size.
func (u *upstream) fetchInto(ctx context.Context, f simpleindex.File, dst simpleindex.Sink) (int64, error) {
	if f.SHA256() == "" {
		return 0, fmt.Errorf("%s: the upstream gives no sha256: %w", f.Filename, errs.ErrInvalid)
	}
	return u.idx.FetchInto(ctx, f, dst)
}

// metadata returns f's core metadata: the upstream's PEP 658 file (verified against
// its hash), or read from the file itself (fetched, verified, then dropped) when the
// upstream has none.
func (u *upstream) metadata(ctx context.Context, f simpleindex.File, dir string) ([]byte, error) {
	if f.CoreMetadata {
		data, err := u.idx.FetchMetadata(ctx, f)
		if err == nil || !errors.Is(err, errs.ErrNotFound) {
			return data, err
		}
	}
	path, n, err := u.fetch(ctx, f, dir)
	if err != nil {
		return nil, err
	}
	defer os.Remove(path)
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	info, err := inspect.Inspect(ctx, f.Filename, fh, n)
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", f.Filename, err)
	}
	return info.MetadataBytes, nil
}

// size asks the upstream for f's size (HEAD) when its page does not give it.
func (u *upstream) size(ctx context.Context, f simpleindex.File) (int64, error) {
	if f.Size >= 0 {
		return f.Size, nil
	}
	var n int64
	err := u.retry(ctx, func() error {
		req, err := u.request(ctx, http.MethodHead, f.URL)
		if err != nil {
			return err
		}
		resp, err := u.hc.Do(req)
		if err != nil {
			return fmt.Errorf("HEAD %s: %w", redactURL(f.URL), err)
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
