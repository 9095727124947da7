package simpleindex

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/names"
)

// ProjectIfChanged fetches project name's page from the client's one index URL, sending
// etag as If-None-Match and lastModified as If-Modified-Since (either may be ""). A 304
// answer returns notModified true and a nil page: the caller's copy stands. Otherwise
// the page carries the new ETag, LastModified and Serial to store for the next call.
//
// Unlike Project it neither caches nor merges, and it retries as Options.Retry says.
// Errors: a missing project wraps errs.ErrNotFound, a malformed page errs.ErrInvalid, a
// page over Options.MaxPageSize errs.ErrTooLarge; a client over several index URLs
// errs.ErrInvalid.
func (c *Client) ProjectIfChanged(ctx context.Context, name, etag, lastModified string) (page *ProjectPage, notModified bool, err error) {
	base, err := c.single("ProjectIfChanged")
	if err != nil {
		return nil, false, err
	}
	norm := names.Normalize(name)
	u := base.ResolveReference(&url.URL{Path: norm + "/"})
	u.User = base.User
	what := "project page " + redact(u.String())
	err = c.retry(ctx, what, func(ctx context.Context, w *watch) error {
		page, notModified = nil, false
		resp, err := c.do(ctx, u.String(), reqOpts{accept: Accept, etag: etag, lastModified: lastModified})
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusNotModified {
			w.answered()
			notModified = true
			return nil
		}
		data, err := readCapped(w.body(resp.Body), c.opts.MaxPageSize, "the page")
		if err != nil {
			return bodyError(ctx, err)
		}
		ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		pageURL := *resp.Request.URL
		pageURL.User = nil
		p, err := parsePage(data, ct, &pageURL)
		if err != nil {
			return err
		}
		p.ETag, p.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
		p.Serial = headerSerial(resp.Header, p.Serial)
		for i := range p.Files {
			p.Files[i].Index = redact(base.String())
		}
		page = p
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return page, notModified, nil
}

// single is the client's one base URL, for the calls of one remote.
func (c *Client) single(call string) (*url.URL, error) {
	if len(c.bases) != 1 {
		return nil, fmt.Errorf("simpleindex: %s needs a client over one index URL, not %d: %w", call, len(c.bases), errs.ErrInvalid)
	}
	return c.bases[0], nil
}

// bodyError classifies an error reading a body: over a cap it is final; otherwise (a
// reset, a body cut short, a timeout, the watch giving up) it is worth a retry unless
// the caller's context ended.
func bodyError(ctx context.Context, err error) error {
	if errorsIsAny(err, errs.ErrTooLarge, errs.ErrInvalid) || ctx.Err() != nil {
		return err
	}
	return transient(err)
}
