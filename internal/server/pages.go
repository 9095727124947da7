package server

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"slices"

	"github.com/dustin/go-humanize"

	"github.com/pydepot/pydepot/internal/buildinfo"
	"github.com/pydepot/pydepot/internal/docs"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/names"
)

// linkBase is the scheme and host of absolute links: the configured public URL, else the
// listen address, else "" (links relative to the server's root). Never the Host header.
func (s *server) linkBase() string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	return s.cfg.ListenURL
}

var (
	varyAuth     = []string{"Authorization"}
	cacheNoCache = []string{"no-cache"}
)

// revalidate marks a page of dr that has no validator of its own: caches must ask again,
// and keep a private distribution's pages to the one user whose token read them.
func revalidate(w http.ResponseWriter, dr *distRequest) {
	h := w.Header()
	if dr.d.Public {
		h["Cache-Control"] = cacheRevalidate
		return
	}
	h["Cache-Control"] = cachePrivate
	h["Vary"] = varyAuth
}

var cacheNoStore = []string{"no-store"}

// apiHeaders marks the management API's answers, which depend on the token: never stored.
func apiHeaders(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		hd := w.Header()
		hd["Cache-Control"] = cacheNoStore
		hd["Vary"] = varyAuth
		return h(w, r)
	}
}

// stylesheetLink is the head element of the simple pages.
const stylesheetLink = "    <link rel=\"stylesheet\" href=\"" + docs.StylesheetPath + "\">\n"

// pageHead starts an HTML page with pydepot's stylesheet and navigation.
func pageHead(b *bytes.Buffer, title string) {
	t := html.EscapeString(title)
	b.WriteString("<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>" + t + "</title>\n")
	b.WriteString("<link rel=\"stylesheet\" href=\"" + docs.StylesheetPath + "\"></head>\n")
	b.WriteString("<body>\n<nav><a href=\"/\">pydepot</a> <a href=\"/doc/\">help</a></nav>\n")
}

// landing is the root page: where the indexes are.
func (s *server) landing(w http.ResponseWriter, r *http.Request, sn *snapshot) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return fmt.Errorf("%s /: %w", r.Method, errs.ErrNotFound)
	}
	bases := make([]string, 0, len(sn.dists))
	for b, d := range sn.dists {
		if d.Public {
			bases = append(bases, b)
		}
	}
	slices.Sort(bases)
	var b bytes.Buffer
	pageHead(&b, "pydepot")
	b.WriteString("<h1>pydepot " + html.EscapeString(buildinfo.Version) + "</h1>\n<h2>Public indexes</h2>\n<table>\n<tr><th>Index URL</th><th>Repository</th></tr>\n")
	if d, ok := sn.dists[DefaultDistribution]; ok {
		b.WriteString("<tr><td><a href=\"/simple/\">/simple/</a></td><td>" + html.EscapeString(d.Repository) + " <span class=\"meta\">(distribution main)</span></td></tr>\n")
	}
	for _, base := range bases {
		p := html.EscapeString("/" + base + "/simple/")
		b.WriteString("<tr><td><a href=\"" + p + "\">" + p + "</a></td><td>" + html.EscapeString(sn.dists[base].Repository) + "</td></tr>\n")
	}
	b.WriteString("</table>\n<p>Private distributions are not listed. <a href=\"/doc/\">Documentation</a>, <a href=\"/doc/quickstart\">quick start</a>.</p>\n</body>\n</html>\n")
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h["Cache-Control"] = cacheNoCache
	_, err := io.Copy(w, &b)
	return err
}

// yankMark is the mark of a yanked release or file, with its reason.
func yankMark(reason string) string {
	m := " <strong class=\"yanked\">yanked</strong>"
	if reason != "" {
		m += " <span class=\"yanked\">" + html.EscapeString(reason) + "</span>"
	}
	return m
}

// projectPage is an HTML page about a project (or one of its versions).
func (s *server) projectPage(w http.ResponseWriter, r *http.Request) error {
	dr := distOf(r)
	name, version := r.PathValue("project"), r.PathValue("version")
	if norm := names.Normalize(name); norm != name {
		target := dr.prefix + "/project/" + url.PathEscape(norm) + "/"
		if version != "" {
			target += url.PathEscape(version) + "/"
		}
		return redirectNormalized(w, r, target)
	}
	if err := s.freshen(r, dr, name); err != nil {
		return err
	}
	p, err := s.api.Project(r.Context(), dr.served(), name)
	if err != nil {
		return err
	}
	if version != "" {
		if version, err = p.FindVersion(version); err != nil {
			return err
		}
	} else {
		version = p.Latest()
	}
	rels := p.Releases()
	shown := p.Release(version)
	var b bytes.Buffer
	display := displayName(p.DisplayName, p.Name)
	pageHead(&b, display+" "+version)
	fmt.Fprintf(&b, "<h1>%s %s</h1>\n", html.EscapeString(display), html.EscapeString(version))
	if shown.Summary != "" {
		fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(shown.Summary))
	}
	if shown.Yanked {
		b.WriteString("<p class=\"yanked\"><strong>This release is yanked</strong>")
		if shown.YankReason != "" {
			b.WriteString(": " + html.EscapeString(shown.YankReason))
		}
		b.WriteString(". Installers skip it unless it is pinned exactly.</p>\n")
	}
	index := dr.prefix + "/simple/"
	if base := s.linkBase(); base != "" {
		index = base + index
	} else {
		index = "http://SERVER" + index
	}
	fmt.Fprintf(&b, "<pre>pip install --index-url %s %s==%s</pre>\n", html.EscapeString(index), html.EscapeString(p.Name), html.EscapeString(version))
	b.WriteString("<h2>Files</h2>\n<table>\n<tr><th>File</th><th>Size</th><th>SHA-256</th></tr>\n")
	for _, f := range shown.Files {
		cls := ""
		if f.Yanked {
			cls = " class=\"yanked\""
		}
		fmt.Fprintf(&b, "<tr%s><td><a href=\"%s\">%s</a>", cls, html.EscapeString(dr.prefix+"/files/"+f.SHA256+"/"+url.PathEscape(f.Filename)), html.EscapeString(f.Filename))
		if f.Yanked {
			b.WriteString(yankMark(f.YankReason))
		}
		fmt.Fprintf(&b, "</td><td>%s</td><td class=\"meta\"><code title=\"%s\">%s…</code></td></tr>\n", humanize.IBytes(uint64(f.Size)), f.SHA256, f.SHA256[:min(16, len(f.SHA256))])
	}
	b.WriteString("</table>\n<h2>Versions</h2>\n<ul>\n")
	for _, rel := range rels {
		cls := ""
		if rel.Yanked {
			cls = " class=\"yanked\""
		}
		link := fmt.Sprintf("<a href=\"%s\">%s</a>", html.EscapeString(dr.prefix+"/project/"+url.PathEscape(p.Name)+"/"+url.PathEscape(rel.Version)+"/"), html.EscapeString(rel.Version))
		if rel.Version == version {
			link = "<strong>" + link + "</strong>"
		}
		b.WriteString("<li" + cls + ">" + link)
		if rel.Yanked {
			b.WriteString(yankMark(rel.YankReason))
		}
		b.WriteString("</li>\n")
	}
	b.WriteString("</ul>\n</body>\n</html>\n")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	revalidate(w, dr)
	_, err = io.Copy(w, &b)
	return err
}
