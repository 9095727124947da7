package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"
)

// pageKey names a rendered page independently of the repository version.
type pageKey struct {
	base    string // distribution base path
	project string // "" for the project list
	json    bool
}

// page is a rendered simple page, valid for one repository version.
type page struct {
	repo    string
	version int
	body    []byte
	etag    []string // header value, quoted
	serial  []string // X-PyPI-Last-Serial header value
	length  []string // Content-Length header value of body
	// gzipAlways: gzip for every client that takes it, whatever the size (a streamed
	// page's validators are chosen before its size is known: its cached form keeps them).
	gzipAlways bool

	gzOnce sync.Once
	gz     []byte
	gzEtag []string
	gzLen  []string
}

func newPage(repo string, version int, body []byte, serial int64) *page {
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:12])
	return &page{
		repo: repo, version: version, body: body,
		etag:   []string{`"` + tag + `"`},
		serial: []string{strconv.FormatInt(serial, 10)},
		length: []string{strconv.Itoa(len(body))},
	}
}

// gzipped returns the gzip form of the body, its ETag and Content-Length, made once.
func (p *page) gzipped() ([]byte, []string, []string) {
	p.gzOnce.Do(func() {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
		_, _ = zw.Write(p.body)
		_ = zw.Close()
		p.gz = b.Bytes()
		p.gzEtag = []string{p.etag[0][:len(p.etag[0])-1] + `-gz"`}
		p.gzLen = []string{strconv.Itoa(len(p.gz))}
	})
	return p.gz, p.gzEtag, p.gzLen
}

// pageCache holds one rendered page per key, replaced when the repository version moves,
// within a byte budget. Concurrent misses of one page render it once.
type pageCache struct {
	mu     sync.Mutex
	pages  map[pageKey]*page
	bytes  int64
	max    int64
	flight map[pageKey]*flight
	// growing holds the pages being rendered while streamed (stream.go).
	growing map[pageKey]*growingPage
}

type flight struct {
	done chan struct{}
	p    *page
	err  error
}

func newPageCache(max int64) *pageCache {
	return &pageCache{pages: map[pageKey]*page{}, flight: map[pageKey]*flight{}, growing: map[pageKey]*growingPage{}, max: max}
}

// get returns the page of k for repo at version, rendering it on a miss.
func (c *pageCache) get(k pageKey, repo string, version int, render func() (*page, error)) (*page, error) {
	c.mu.Lock()
	if p, ok := c.pages[k]; ok && p.version == version && p.repo == repo {
		c.mu.Unlock()
		return p, nil
	}
	if f, ok := c.flight[k]; ok {
		c.mu.Unlock()
		<-f.done
		if f.err == nil && f.p.version == version && f.p.repo == repo {
			return f.p, nil
		}
		return render()
	}
	f := &flight{done: make(chan struct{})}
	c.flight[k] = f
	c.mu.Unlock()

	f.p, f.err = render()
	c.mu.Lock()
	delete(c.flight, k)
	if f.err == nil {
		c.put(k, f.p)
	}
	c.mu.Unlock()
	close(f.done)
	return f.p, f.err
}

// put stores p under k (c.mu held), evicting other pages when over budget.
func (c *pageCache) put(k pageKey, p *page) {
	size := int64(len(p.body))
	if size > c.max/4 {
		return
	}
	if old, ok := c.pages[k]; ok {
		c.bytes -= int64(len(old.body))
		delete(c.pages, k)
	}
	for key, old := range c.pages {
		if c.bytes+size <= c.max {
			break
		}
		c.bytes -= int64(len(old.body))
		delete(c.pages, key)
	}
	c.pages[k] = p
	c.bytes += size
}
