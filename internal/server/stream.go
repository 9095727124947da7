package server

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/pydepot/pydepot/internal/buildinfo"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/simplejson"
)

// The project list of a plain distribution is streamed: after a new version the first
// request used to wait for the whole body (6 s for 200,000 projects) before its first
// byte. Its validators are known before the body: the ETag names the repository version
// and the format (not the body's hash), and the serial is one index step. The list is
// rendered once per version by one goroutine into a growing buffer that every request
// asking for it meanwhile follows at its own pace, and which becomes the cached page
// when complete: the database is read once, at its own speed, whatever the clients' speeds.
// Merged views keep the rendered-then-sent path (their pages depend on more than versions).

// streamChunk is how much rendered output is handed to the readers at a time.
const streamChunk = 32 << 10

// streamTimeout bounds the rendering of one list, which no request cancels.
const streamTimeout = 5 * time.Minute

// growingPage is a page being rendered, read while it grows.
type growingPage struct {
	repo    string
	version int
	etag    []string
	serial  []string

	mu   sync.Mutex
	cond sync.Cond
	buf  []byte
	done bool
	err  error
}

func newGrowingPage(repo string, version int, etag string, serial int64) *growingPage {
	g := &growingPage{repo: repo, version: version, etag: []string{etag}, serial: []string{strconv.FormatInt(serial, 10)}}
	g.cond.L = &g.mu
	return g
}

func (g *growingPage) append(b []byte) {
	g.mu.Lock()
	g.buf = append(g.buf, b...)
	g.mu.Unlock()
	g.cond.Broadcast()
}

func (g *growingPage) finish(err error) {
	g.mu.Lock()
	g.done, g.err = true, err
	g.mu.Unlock()
	g.cond.Broadcast()
}

// follow writes the page to w as it grows, calling flush whenever it has caught up with
// the renderer; it returns the renderer's error, or w's.
func (g *growingPage) follow(w interface{ Write([]byte) (int, error) }, flush func()) error {
	off := 0
	for {
		g.mu.Lock()
		for off == len(g.buf) && !g.done {
			g.cond.Wait()
		}
		chunk, done, err := g.buf[off:], g.done, g.err
		g.mu.Unlock()
		if len(chunk) > 0 {
			if _, werr := w.Write(chunk); werr != nil {
				return werr
			}
			off += len(chunk)
		}
		if done {
			return err
		}
		flush()
	}
}

// page is the complete page, to cache.
func (g *growingPage) page() *page {
	return &page{repo: g.repo, version: g.version, body: g.buf, etag: g.etag, serial: g.serial, length: []string{strconv.Itoa(len(g.buf))}, gzipAlways: true}
}

// lookup returns the cached page of k for repo at version, or else the page being rendered
// for it, or neither.
func (c *pageCache) lookup(k pageKey, repo string, version int) (*page, *growingPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.pages[k]; ok && p.version == version && p.repo == repo {
		return p, nil
	}
	if g, ok := c.growing[k]; ok && g.version == version && g.repo == repo {
		return nil, g
	}
	return nil, nil
}

// begin registers g as the page being rendered for k, unless another one for the same
// version came first: it returns the page to follow and whether it is g (whose renderer
// the caller then starts; it ends with c.finished).
func (c *pageCache) begin(k pageKey, g *growingPage) (*growingPage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.growing[k]; ok && prev.version == g.version && prev.repo == g.repo {
		return prev, false
	}
	c.growing[k] = g
	return g, true
}

// finished caches the page g completed, unless a newer one took its place meanwhile.
func (c *pageCache) finished(k pageKey, g *growingPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.growing[k] != g {
		return
	}
	delete(c.growing, k)
	if g.err == nil {
		c.put(k, g.page())
	}
}

// versionETag is the ETag of a page that a repository version determines: it names the
// server's build (the rendering), the repository (with its creation time: a data folder
// made again restarts the numbers), the version and the page.
func versionETag(repo string, created int64, version int, k pageKey) string {
	h := sha256.New()
	h.Write([]byte(buildinfo.Version + "\x00" + repo + "\x00" + strconv.FormatInt(created, 10) + "\x00" + strconv.Itoa(version) + "\x00" + k.project + "\x00" + strconv.FormatBool(k.json)))
	return `"v` + hex.EncodeToString(h.Sum(nil)[:12]) + `"`
}

// streamIndex serves the project list of a plain distribution (see the top of this file).
func (s *server) streamIndex(w http.ResponseWriter, r *http.Request, dr *distRequest, o offer, sn *snapshot) error {
	key := pageKey{base: dr.d.BasePath, json: o.json}
	repo := dr.d.Repository
	p, g := s.pages.lookup(key, repo, dr.version)
	if p == nil && g == nil {
		d := dr.served()
		serial, err := s.api.LastSerial(r.Context(), d)
		if err != nil {
			return err
		}
		var started bool
		g, started = s.pages.begin(key, newGrowingPage(repo, dr.version, versionETag(repo, sn.created[repo], dr.version, key), serial))
		if started {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), streamTimeout)
			go func() {
				defer cancel()
				g.finish(s.renderIndex(ctx, g, d, o.json, serial))
				if g.err != nil {
					s.log.Error("render project list", "distribution", dr.d.BasePath, "version", dr.version, "err", g.err)
				}
				s.pages.finished(key, g)
			}()
		}
	}
	if p != nil {
		s.writePage(w, r, p, o, dr.d.Public)
		return nil
	}
	h := w.Header()
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	etag := g.etag
	if gz {
		etag = []string{g.etag[0][:len(g.etag[0])-1] + `-gz"`}
		h["Content-Encoding"] = encodingGzip
	}
	h["Content-Type"] = o.hdr
	h["Etag"] = etag
	h["X-Pypi-Last-Serial"] = g.serial
	if dr.d.Public {
		h["Vary"] = varyAccept
		h["Cache-Control"] = cacheRevalidate
	} else {
		h["Vary"] = varyAcceptAuth
		h["Cache-Control"] = cachePrivate
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, etag[0]) {
		delete(h, "Content-Type")
		delete(h, "Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	rc := http.NewResponseController(w)
	_ = rc.Flush() // the headers now: the first byte does not wait for the body
	var err2 error
	if gz {
		zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		err2 = g.follow(zw, func() { _ = zw.Flush(); _ = rc.Flush() })
		if err2 == nil {
			err2 = zw.Close()
		}
	} else {
		err2 = g.follow(w, func() { _ = rc.Flush() })
	}
	if err2 != nil {
		// The status is sent: cut the response, so that the client sees it incomplete.
		panic(http.ErrAbortHandler)
	}
	return nil
}

// renderIndex renders the project list of d into g, a chunk at a time.
func (s *server) renderIndex(ctx context.Context, g *growingPage, d *index.Distribution, json bool, serial int64) error {
	b := make([]byte, 0, streamChunk+4096)
	if json {
		b = simplejson.AppendIndexHead(b, simplejson.Meta{APIVersion: apiVersion, LastSerial: serial})
	} else {
		b = append(b, indexHTMLHead...)
	}
	g.append(b) // the head at once
	b = b[:0]
	first := true
	err := s.api.EachProject(ctx, d, func(p index.ProjectSummary) error {
		if json {
			b = simplejson.AppendIndexProject(b, first, simplejson.IndexProject{Name: displayName(p.DisplayName, p.Name), LastSerial: p.Serial})
		} else {
			b = appendIndexHTMLEntry(b, &p)
		}
		first = false
		if len(b) >= streamChunk {
			g.append(b)
			b = b[:0]
		}
		return nil
	})
	if err != nil {
		return err
	}
	if json {
		b = simplejson.AppendIndexTail(b)
	} else {
		b = append(b, indexHTMLTail...)
	}
	g.append(b)
	return nil
}

const (
	indexHTMLHead = "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"" + apiVersion + "\">\n    <title>Simple index</title>\n" + stylesheetLink + "  </head>\n  <body>\n"
	indexHTMLTail = "  </body>\n</html>\n"
)

// appendIndexHTMLEntry appends the link of one project of the HTML list.
func appendIndexHTMLEntry(b []byte, p *index.ProjectSummary) []byte {
	b = append(b, "    <a href=\""...)
	b = appendHTMLEscaped(b, pathEscape(p.Name))
	b = append(b, "/\">"...)
	b = appendHTMLEscaped(b, displayName(p.DisplayName, p.Name))
	return append(b, "</a><br>\n"...)
}

// pathEscape is url.PathEscape, without its copy when nothing needs escaping (normalized
// project names never do).
func pathEscape(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || 'A' <= c && c <= 'Z') {
			return url.PathEscape(s)
		}
	}
	return s
}

// appendHTMLEscaped appends html.EscapeString(s), without its copy when nothing needs it.
func appendHTMLEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<', '>', '&', '\'', '"':
			return append(b, html.EscapeString(s)...)
		}
	}
	return append(b, s...)
}
