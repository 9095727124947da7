package simpleindex

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pydepot/pydepot/internal/buildinfo"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/httpclient"
	"github.com/pydepot/pydepot/internal/names"
)

// Client reads projects, metadata and files from one or more simple indexes. It is safe
// for concurrent use; project pages are cached in memory for the Client's lifetime.
type Client struct {
	bases []*url.URL
	hc    *http.Client
	opts  Options
	log   *slog.Logger
	netrc []netrcEntry

	versions buildinfo.VersionCheck

	mu    sync.Mutex
	pages map[string]*pageEntry
	bufs  sync.Pool // of *[]byte, copyBuffer long: see buffer
}

type pageEntry struct {
	once sync.Once
	page *ProjectPage
	err  error
}

// New returns a client over baseURLs (each the "simple" root; a trailing slash is added).
// httpClient nil means a new one from httpclient.New. Errors wrap errs.ErrInvalid for a bad URL or
// an unreadable netrc.
func New(baseURLs []string, httpClient *http.Client, opts Options) (*Client, error) {
	if len(baseURLs) == 0 {
		return nil, fmt.Errorf("simpleindex: no index URL: %w", errs.ErrInvalid)
	}
	c := &Client{hc: httpclient.OrNew(httpClient), opts: opts, log: opts.Logger, pages: map[string]*pageEntry{}}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.opts.MaxPageSize <= 0 {
		c.opts.MaxPageSize = 64 << 20
	}
	if c.opts.MaxMetadataSize <= 0 {
		c.opts.MaxMetadataSize = 16 << 20
	}
	if c.opts.MaxFileSize <= 0 {
		c.opts.MaxFileSize = 8 << 30
	}
	c.opts.Retry = c.opts.Retry.withDefaults()
	setDefault(&c.opts.MinRate, 1024)
	setDefault(&c.opts.RateWindow, 30*time.Second)
	setDefault(&c.opts.HeaderTimeout, 2*time.Minute)
	setDefault(&c.opts.MaxListSize, 1<<30)
	setDefault(&c.opts.MaxProjects, 2_000_000)
	setDefault(&c.opts.MaxNameLength, 512)
	for _, s := range baseURLs {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("index URL %q: want http:// or https://, a host and the simple root, such as http://127.0.0.1:8080/simple/: %w", redact(s), errs.ErrInvalid)
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		c.bases = append(c.bases, u)
	}
	if opts.NetrcPath != "" {
		data, err := os.ReadFile(opts.NetrcPath)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("simpleindex: reading netrc: %v: %w", err, errs.ErrInvalid)
		}
		c.netrc = parseNetrc(string(data))
	}
	return c, nil
}

// OptionsFromEnv returns Options with Token from PYDEPOT_TOKEN and NetrcPath from NETRC or
// ~/.netrc.
func OptionsFromEnv(logger *slog.Logger) Options {
	o := Options{Logger: logger, Token: os.Getenv("PYDEPOT_TOKEN"), NetrcPath: os.Getenv("NETRC")}
	if o.NetrcPath == "" {
		if home, err := os.UserHomeDir(); err == nil {
			o.NetrcPath = filepath.Join(home, ".netrc")
		}
	}
	return o
}

// BaseURLs returns the index URLs without their credentials.
func (c *Client) BaseURLs() []string {
	out := make([]string, len(c.bases))
	for i, b := range c.bases {
		out[i] = redact(b.String())
	}
	return out
}

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}

// authorize adds credentials for u: the userinfo of the base URL on the same host, else
// Options.Username/Password, else the token for a base URL host, else netrc. It returns where they came from ("" for
// none), for error messages.
func (c *Client) authorize(req *http.Request) string {
	u := req.URL
	if u.User != nil {
		pw, _ := u.User.Password()
		req.SetBasicAuth(u.User.Username(), pw)
		u.User = nil
		return "the URL's user and password"
	}
	for _, b := range c.bases {
		if b.Host != u.Host {
			continue
		}
		if b.User != nil {
			pw, _ := b.User.Password()
			req.SetBasicAuth(b.User.Username(), pw)
			return "the index URL's user and password"
		}
		if c.opts.Username != "" {
			req.SetBasicAuth(c.opts.Username, c.opts.Password)
			return "the user and password"
		}
		if c.opts.Token != "" {
			req.SetBasicAuth("__token__", c.opts.Token)
			return "the token (PYDEPOT_TOKEN)"
		}
	}
	if login, pw, ok := netrcLookup(c.netrc, u.Hostname()); ok {
		req.SetBasicAuth(login, pw)
		return "the netrc entry for " + u.Hostname()
	}
	return ""
}

func (c *Client) get(ctx context.Context, rawURL, accept string) (*http.Response, error) {
	return c.do(ctx, rawURL, reqOpts{accept: accept})
}

// getIfNoneMatch is get with an If-None-Match header when etag is not ""; it then also
// returns 304 responses.
func (c *Client) getIfNoneMatch(ctx context.Context, rawURL, accept, etag string) (*http.Response, error) {
	return c.do(ctx, rawURL, reqOpts{accept: accept, etag: etag})
}

// reqOpts are the variable headers of a GET.
type reqOpts struct {
	accept       string
	etag         string // If-None-Match
	lastModified string // If-Modified-Since
	identity     bool   // Accept-Encoding: identity (file bytes are hashed as sent)
	rangeFrom    int64  // > 0: Range: bytes=rangeFrom- (a 206 answer is then returned)
	ifRange      string // If-Range, with rangeFrom
}

// do sends a GET with credentials and version headers. It returns 200 responses, and 304
// ones when a validator was sent; other statuses are errors (an *HTTPError when no
// category fits).
func (c *Client) do(ctx context.Context, rawURL string, o reqOpts) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: bad URL %q", errs.ErrInvalid, redact(rawURL))
	}
	if o.accept != "" {
		req.Header.Set("Accept", o.accept)
	}
	if o.etag != "" {
		req.Header.Set("If-None-Match", o.etag)
	}
	if o.lastModified != "" {
		req.Header.Set("If-Modified-Since", o.lastModified)
	}
	if o.identity {
		req.Header.Set("Accept-Encoding", "identity")
	}
	if o.rangeFrom > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", o.rangeFrom))
		if o.ifRange != "" {
			req.Header.Set("If-Range", o.ifRange)
		}
	}
	buildinfo.SetHeaders(req.Header)
	if c.opts.UserAgent != "" {
		req.Header.Set("User-Agent", c.opts.UserAgent)
	}
	creds := c.authorize(req)
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // it repeats the method and URL said here
		}
		hint := ""
		if errors.Is(err, syscall.ECONNREFUSED) {
			hint = fmt.Sprintf(" (is 'pydepot serve' running at %s? PYDEPOT_URL or --index-url sets the index)", serverRoot(req.URL))
		}
		return nil, &getError{msg: fmt.Sprintf("GET %s: %v%s", redact(rawURL), err, hint), err: err}
	}
	c.checkVersion(resp)
	if resp.StatusCode == http.StatusOK || ((o.etag != "" || o.lastModified != "") && resp.StatusCode == http.StatusNotModified) ||
		(o.rangeFrom > 0 && resp.StatusCode == http.StatusPartialContent) {
		return resp, nil
	}
	resp.Body.Close()
	var cat error
	hint := ""
	switch resp.StatusCode {
	case http.StatusNotFound, http.StatusGone:
		cat = errs.ErrNotFound
	case http.StatusUnauthorized:
		cat = errs.ErrUnauthorized
		if creds == "" {
			hint = fmt.Sprintf(" (the index wants credentials: set PYDEPOT_TOKEN to an API token, or add 'machine %s login __token__ password TOKEN' to ~/.netrc)", req.URL.Hostname())
		} else {
			hint = fmt.Sprintf(" (the index refused %s: check them, or set PYDEPOT_TOKEN or ~/.netrc)", creds)
		}
	case http.StatusForbidden:
		cat = errs.ErrForbidden
	default:
		return nil, &HTTPError{URL: redact(rawURL), StatusCode: resp.StatusCode, Status: resp.Status, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
	}
	return nil, fmt.Errorf("GET %s: HTTP %s%s: %w", redact(rawURL), resp.Status, hint, cat)
}

// HTTPError is an answer with a status no error category covers (5xx, 429, ...).
type HTTPError struct {
	URL        string // without credentials
	StatusCode int
	Status     string
	RetryAfter time.Duration // from Retry-After; 0 when absent
}

func (e *HTTPError) Error() string { return fmt.Sprintf("GET %s: HTTP %s", e.URL, e.Status) }

// Temporary reports whether the status says to try again (408, 429, 5xx but 501 and 505).
func (e *HTTPError) Temporary() bool {
	switch e.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooManyRequests:
		return true
	case http.StatusNotImplemented, http.StatusHTTPVersionNotSupported:
		return false
	}
	return e.StatusCode >= 500
}

// getError is a request that got no answer; it keeps the cause for errors.Is.
type getError struct {
	msg string
	err error
}

func (e *getError) Error() string { return e.msg }
func (e *getError) Unwrap() error { return e.err }

// serverRoot is the scheme and host of u: where a pydepot server answers /api/.
func serverRoot(u *url.URL) string { return u.Scheme + "://" + u.Host }

// checkVersion warns once when a pydepot server answers with another version than this
// client's (other indexes send no version and are ignored).
func (c *Client) checkVersion(resp *http.Response) {
	c.versions.Check(resp.Header, serverRoot(resp.Request.URL), func(msg string) {
		if c.opts.Warnings != nil {
			fmt.Fprintf(c.opts.Warnings, "pydepot: warning: %s\n", msg)
			return
		}
		c.log.Warn("the index runs another pydepot version", "detail", msg)
	})
}

func readCapped(r io.Reader, limit int64, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w: over %d bytes", what, errs.ErrTooLarge, limit)
	}
	return data, nil
}

// Project returns the files of project name (normalized before asking) over every base
// URL, merged. A project absent from every index wraps errs.ErrNotFound.
func (c *Client) Project(ctx context.Context, name string) (*ProjectPage, error) {
	norm := names.Normalize(name)
	c.mu.Lock()
	e, ok := c.pages[norm]
	if !ok {
		e = &pageEntry{}
		c.pages[norm] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.page, e.err = c.fetchProject(ctx, norm) })
	if e.err != nil && ctx.Err() == nil && errors.Is(e.err, context.Canceled) {
		// The first caller was cancelled; do not keep its failure.
		c.mu.Lock()
		delete(c.pages, norm)
		c.mu.Unlock()
		return c.Project(ctx, name)
	}
	return e.page, e.err
}

func (c *Client) fetchProject(ctx context.Context, norm string) (*ProjectPage, error) {
	merged := &ProjectPage{}
	seen := map[string]bool{}
	seenV := map[string]bool{}
	found := false
	for _, b := range c.bases {
		page, err := c.fetchPage(ctx, b, norm)
		if errors.Is(err, errs.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		found = true
		if merged.Name == "" {
			merged.Name = page.Name
		}
		if merged.APIVersion == "" {
			merged.APIVersion = page.APIVersion
			merged.ETag, merged.LastModified, merged.Serial = page.ETag, page.LastModified, page.Serial
		}
		for _, v := range page.Versions {
			if !seenV[v] {
				seenV[v] = true
				merged.Versions = append(merged.Versions, v)
			}
		}
		for _, f := range page.Files {
			if seen[f.Filename] {
				continue
			}
			seen[f.Filename] = true
			f.Index = redact(b.String())
			merged.Files = append(merged.Files, f)
		}
	}
	if !found {
		return nil, fmt.Errorf("project %s: %w on %s", norm, errs.ErrNotFound, strings.Join(c.BaseURLs(), ", "))
	}
	return merged, nil
}

func (c *Client) fetchPage(ctx context.Context, base *url.URL, norm string) (*ProjectPage, error) {
	u := base.ResolveReference(&url.URL{Path: norm + "/"})
	u.User = base.User
	cached, _ := c.loadCachedPage(u)
	etag := ""
	if cached != nil {
		etag = cached.ETag
	}
	resp, err := c.getIfNoneMatch(ctx, u.String(), Accept, etag)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var data []byte
	var ct string
	pageURL := *resp.Request.URL
	pageURL.User = nil
	if resp.StatusCode == http.StatusNotModified {
		data, ct = cached.Body, cached.ContentType
		if p, err := url.Parse(cached.URL); err == nil {
			pageURL = *p
		}
		c.log.Debug("project page not modified", "url", pageURL.String())
	} else {
		data, err = readCapped(resp.Body, c.opts.MaxPageSize, "project page "+redact(u.String()))
		if err != nil {
			return nil, err
		}
		ct, _, _ = mime.ParseMediaType(resp.Header.Get("Content-Type"))
		c.log.Debug("fetched project page", "url", pageURL.String(), "content_type", ct, "bytes", len(data))
		if etag := resp.Header.Get("ETag"); etag != "" {
			c.storeCachedPage(u, &cachedPage{ETag: etag, ContentType: ct, URL: pageURL.String(), Body: data})
		}
	}
	page, err := parsePage(data, ct, &pageURL)
	if err != nil {
		return nil, err
	}
	page.ETag, page.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if page.ETag == "" && cached != nil {
		page.ETag = cached.ETag
	}
	page.Serial = headerSerial(resp.Header, page.Serial)
	return page, nil
}

// parsePage parses a project page by its content type (ct without parameters), else by
// its first byte.
func parsePage(data []byte, ct string, pageURL *url.URL) (*ProjectPage, error) {
	switch {
	case isJSON(ct):
		return ParseJSON(data, pageURL)
	case isHTML(ct):
		return ParseHTML(data, pageURL)
	case strings.HasPrefix(strings.TrimSpace(string(data)), "{"):
		return ParseJSON(data, pageURL)
	default:
		return ParseHTML(data, pageURL)
	}
}

func isJSON(ct string) bool {
	return ct == "application/vnd.pypi.simple.v1+json" || ct == "application/json"
}
func isHTML(ct string) bool { return ct == "application/vnd.pypi.simple.v1+html" || ct == "text/html" }

// headerSerial is the X-PyPI-Last-Serial header's value, else def.
func headerSerial(h http.Header, def int64) int64 {
	if n, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-PyPI-Last-Serial")), 10, 64); err == nil && n >= 0 {
		return n
	}
	return def
}

// hashingWriter counts and hashes what passes through.
type hashingWriter struct {
	n int64
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
}

func (w *hashingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return w.h.Write(p)
}

// Download streams f into dst, capped by Options.MaxFileSize, and then checks its sha256
// (and size, when the index gave them). On a mismatch dst has received bad bytes: the
// caller must discard them. The error wraps errs.ErrInvalid and names both digests.
func (c *Client) Download(ctx context.Context, f File, dst io.Writer) error {
	resp, err := c.get(ctx, f.URL, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	hw := &hashingWriter{h: sha256.New()}
	n, err := io.Copy(io.MultiWriter(dst, hw), io.LimitReader(resp.Body, c.opts.MaxFileSize+1))
	if err != nil {
		return fmt.Errorf("downloading %s: %w", f.Filename, err)
	}
	if n > c.opts.MaxFileSize {
		return fmt.Errorf("downloading %s: %w: over %d bytes", f.Filename, errs.ErrTooLarge, c.opts.MaxFileSize)
	}
	if f.Size >= 0 && n != f.Size {
		return fmt.Errorf("downloading %s: %w: got %d bytes, the index says %d", f.Filename, errs.ErrInvalid, n, f.Size)
	}
	if want := f.SHA256(); want != "" {
		if got := hex.EncodeToString(hw.h.Sum(nil)); got != want {
			return fmt.Errorf("downloading %s: %w: sha256 %s, the index says %s", f.Filename, errs.ErrInvalid, got, want)
		}
	}
	return nil
}
