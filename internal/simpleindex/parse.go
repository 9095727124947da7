package simpleindex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/html"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/simplejson"
)

// ParseJSON parses a PEP 691 JSON project page fetched from pageURL (against which file
// URLs are resolved). Errors wrap errs.ErrInvalid.
func ParseJSON(data []byte, pageURL *url.URL) (*ProjectPage, error) {
	var jp simplejson.Project
	if err := json.Unmarshal(data, &jp); err != nil {
		return nil, fmt.Errorf("project page %s: %w: bad JSON: %v", pageURL, errs.ErrInvalid, err)
	}
	if major, _, _ := strings.Cut(jp.Meta.APIVersion, "."); major != "1" {
		return nil, fmt.Errorf("project page %s: %w: unsupported api-version %q", pageURL, errs.ErrInvalid, jp.Meta.APIVersion)
	}
	page := &ProjectPage{Name: jp.Name, APIVersion: jp.Meta.APIVersion, Versions: jp.Versions, Serial: max(0, jp.Meta.LastSerial)}
	for _, jf := range jp.Files {
		if jf.Filename == "" || strings.ContainsAny(jf.Filename, "/\\") {
			return nil, fmt.Errorf("project page %s: %w: bad filename %q", pageURL, errs.ErrInvalid, jf.Filename)
		}
		u, err := resolveURL(pageURL, jf.URL)
		if err != nil {
			return nil, fmt.Errorf("project page %s: file %s: %w", pageURL, jf.Filename, err)
		}
		f := File{Filename: jf.Filename, URL: u, Hashes: lowerHashes(jf.Hashes), Size: -1}
		fragmentHash(f.Hashes, jf.URL) // some indexes put it only in the URL

		if jf.RequiresPython != nil {
			f.RequiresPython = strings.TrimSpace(*jf.RequiresPython)
		}
		if jf.Size != nil && *jf.Size >= 0 {
			f.Size = *jf.Size
		}
		if jf.UploadTime != "" {
			t, err := parseUploadTime(jf.UploadTime)
			if err != nil {
				return nil, fmt.Errorf("project page %s: file %s: %w: bad upload-time %q", pageURL, jf.Filename, errs.ErrInvalid, jf.UploadTime)
			}
			f.UploadTime = t
		}
		f.Yanked, f.YankedReason = jf.Yanked.Yanked, jf.Yanked.Reason
		meta := jf.CoreMetadata
		if !meta.Given() && jf.DistInfoMetadata != nil {
			meta = *jf.DistInfoMetadata
		}
		f.CoreMetadata = meta.Present
		if meta.Hashes != nil {
			f.CoreMetadataHashes = lowerHashes(meta.Hashes)
		}
		page.Files = append(page.Files, f)
	}
	return page, nil
}

// parseUploadTime reads PEP 700's upload-time: ISO 8601 in UTC ("2024-01-02T03:04:05.123456Z"),
// also with another offset, or without a zone (taken as UTC, as PEP 700 says they are).
func parseUploadTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err2 := time.Parse(layout, s); err2 == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

// fragmentHash adds the "#<algo>=<hex>" of rawURL to h when h lacks that algorithm.
func fragmentHash(h map[string]string, rawURL string) {
	_, frag, ok := strings.Cut(rawURL, "#")
	if !ok {
		return
	}
	if algo, hex, ok := strings.Cut(frag, "="); ok && algo != "" && hex != "" {
		if algo = strings.ToLower(algo); h[algo] == "" {
			h[algo] = strings.ToLower(hex)
		}
	}
}

func lowerHashes(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[strings.ToLower(k)] = strings.ToLower(v)
	}
	return out
}

func resolveURL(base *url.URL, ref string) (string, error) {
	r, err := url.Parse(strings.TrimSpace(ref))
	if err != nil {
		return "", fmt.Errorf("%w: bad URL %q", errs.ErrInvalid, ref)
	}
	u := base.ResolveReference(r)
	u.Fragment, u.RawFragment = "", ""
	return u.String(), nil
}

// ParseHTML parses a PEP 503 HTML project page fetched from pageURL. Each <a> is a file:
// its text the filename (else the last path segment of href), "#<algo>=<hex>" in href its
// hash, and the data-requires-python, data-yanked, data-core-metadata (or
// data-dist-info-metadata) attributes as PEP 503/592/658/714 say. Errors wrap errs.ErrInvalid.
func ParseHTML(data []byte, pageURL *url.URL) (*ProjectPage, error) {
	items, ok := scanSimpleHTML(data)
	if !ok {
		doc, err := html.Parse(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("project page %s: %w: bad HTML: %v", pageURL, errs.ErrInvalid, err)
		}
		items = treeItems(doc)
	}
	return pageOf(items, pageURL)
}

// pageOf is the project page of the items of an HTML page fetched from pageURL.
func pageOf(items []pageItem, pageURL *url.URL) (*ProjectPage, error) {
	page := &ProjectPage{APIVersion: "1.0"}
	base := pageURL
	for _, it := range items {
		if it.comment {
			if serial, ok := commentSerial(it.text); ok {
				page.Serial = serial
			}
			continue
		}
		switch it.tag {
		case "base":
			if href, ok := attr(it.attrs, "href"); ok {
				if u, err := url.Parse(href); err == nil {
					base = pageURL.ResolveReference(u)
				}
			}
		case "meta":
			if name, _ := attr(it.attrs, "name"); name == "pypi:repository-version" {
				page.APIVersion, _ = attr(it.attrs, "content")
			}
		case "title":
			if it.hasText {
				page.Name = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(it.text), "Links for"))
			}
		case "a":
			f, ok, err := htmlFile(it, base)
			if err != nil {
				return nil, fmt.Errorf("project page %s: %w", pageURL, err)
			}
			if ok {
				page.Files = append(page.Files, f)
			}
		}
	}
	if major, _, _ := strings.Cut(page.APIVersion, "."); major != "1" {
		return nil, fmt.Errorf("project page %s: %w: unsupported repository version %q", pageURL, errs.ErrInvalid, page.APIVersion)
	}
	return page, nil
}

func attr(attrs []html.Attribute, key string) (string, bool) {
	for _, a := range attrs {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val, true
		}
	}
	return "", false
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

func htmlFile(a pageItem, base *url.URL) (File, bool, error) {
	href, ok := attr(a.attrs, "href")
	if !ok || strings.TrimSpace(href) == "" || isParentLink(href) {
		return File{}, false, nil
	}
	ref, err := url.Parse(strings.TrimSpace(href))
	if err != nil {
		return File{}, false, fmt.Errorf("%w: bad href %q", errs.ErrInvalid, href)
	}
	u := base.ResolveReference(ref)
	f := File{Hashes: map[string]string{}, Size: -1}
	fragmentHash(f.Hashes, "#"+u.Fragment)
	u.Fragment, u.RawFragment = "", ""
	f.URL = u.String()
	f.Filename = a.text
	if f.Filename == "" {
		f.Filename = u.Path[strings.LastIndex(u.Path, "/")+1:]
	}
	if f.Filename == "" || strings.ContainsAny(f.Filename, "/\\") {
		return File{}, false, fmt.Errorf("%w: bad filename %q", errs.ErrInvalid, f.Filename)
	}
	f.RequiresPython, _ = attr(a.attrs, "data-requires-python")
	f.RequiresPython = strings.TrimSpace(f.RequiresPython)
	if reason, ok := attr(a.attrs, "data-yanked"); ok {
		f.Yanked, f.YankedReason = true, reason
	}
	meta, ok := attr(a.attrs, "data-core-metadata")
	if !ok {
		meta, ok = attr(a.attrs, "data-dist-info-metadata")
	}
	if ok && meta != "false" {
		f.CoreMetadata = true
		if algo, hex, ok := strings.Cut(meta, "="); ok && algo != "" && hex != "" {
			f.CoreMetadataHashes = map[string]string{strings.ToLower(algo): strings.ToLower(hex)}
		}
	}
	return f, true, nil
}

// commentSerial reads PyPI's "<!--SERIAL 123-->" comment.
func commentSerial(c string) (int64, bool) {
	v, ok := strings.CutPrefix(strings.TrimSpace(c), "SERIAL ")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n, err == nil && n >= 0
}

// isParentLink reports the "../" link of a generated directory listing (nginx and
// Apache autoindex), which is no file or project.
func isParentLink(href string) bool {
	h := strings.TrimSpace(href)
	return h == "../" || h == ".." || h == "/"
}
