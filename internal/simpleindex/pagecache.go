package simpleindex

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"

	"github.com/pydepot/pydepot/internal/atomicfile"
)

// cachedPage is a project page kept under Options.CacheDir with its ETag, revalidated
// with If-None-Match.
type cachedPage struct {
	ETag        string `json:"etag"`
	ContentType string `json:"content_type"`
	URL         string `json:"url"` // the final page URL (after redirects), for relative links
	Body        []byte `json:"body"`
}

func (c *Client) pageCachePath(u *url.URL) string {
	if c.opts.CacheDir == "" {
		return ""
	}
	clean := *u
	clean.User = nil // the key never holds credentials
	sum := sha256.Sum256([]byte(clean.String()))
	return filepath.Join(c.opts.CacheDir, "pages", hex.EncodeToString(sum[:])+".json")
}

func (c *Client) loadCachedPage(u *url.URL) (*cachedPage, error) {
	path := c.pageCachePath(u)
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p cachedPage
	if err := json.Unmarshal(data, &p); err != nil || p.ETag == "" {
		return nil, err
	}
	return &p, nil
}

// storeCachedPage writes the entry atomically (temp file, rename); failures only log.
func (c *Client) storeCachedPage(u *url.URL, p *cachedPage) {
	path := c.pageCachePath(u)
	if path == "" {
		return
	}
	data, err := json.Marshal(p)
	if err == nil {
		err = atomicfile.WriteFile(path, data, 0o644)
	}
	if err != nil {
		c.log.Debug("page cache write failed", "err", err)
	}
}
