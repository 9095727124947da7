package server

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/parts"
	"github.com/pydepot/pydepot/internal/simplejson"
)

// apiVersion is the simple repository API version served (JSON; the HTML form is frozen
// at 1.4 too).
const apiVersion = "1.4"

// chooseFormat applies ?format= then Accept; a 406 error when nothing fits.
func chooseFormat(r *http.Request) (offer, error) {
	if f := formatParam(r); f != "" {
		// An unescaped "+" in the query arrives as a space.
		f = strings.ReplaceAll(f, " ", "+")
		if o, ok := formatOverride(f); ok {
			return o, nil
		}
		return offer{}, &httpError{status: http.StatusNotAcceptable, msg: fmt.Sprintf("format %q is not offered; use %s, %s or %s", f, mediaJSONv1, mediaHTMLv1, mediaTextHTML)}
	}
	if o, ok := negotiate(r.Header.Get("Accept")); ok {
		return o, nil
	}
	return offer{}, &httpError{status: http.StatusNotAcceptable, msg: fmt.Sprintf("none of the media types in Accept is offered; this page is available as %s, %s or %s", mediaJSONv1, mediaHTMLv1, mediaTextHTML)}
}

// formatParam is the ?format= of r; the query is parsed (which allocates) only when there is one.
func formatParam(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return ""
	}
	return r.URL.Query().Get("format")
}

// served returns the distribution pinned at the version this request reads, so that what
// is rendered matches the cache key exactly.
func (dr *distRequest) served() *index.Distribution {
	d := dr.d
	v := dr.version
	d.Pinned = &v
	if dr.merged != nil {
		d.Sources = dr.merged.sources
	}
	return &d
}

func (s *server) simpleIndex(w http.ResponseWriter, r *http.Request) error {
	o, err := chooseFormat(r)
	if err != nil {
		return err
	}
	dr := distOf(r)
	if dr.merged == nil {
		sn, err := s.snapshot(r.Context())
		if err != nil {
			return err
		}
		return s.streamIndex(w, r, dr, o, sn)
	}
	key := pageKey{base: dr.d.BasePath, json: o.json}
	p, err := s.pages.get(key, dr.cacheRepo(), dr.version, func() (*page, error) {
		projects, serial, err := s.api.Projects(r.Context(), dr.served())
		if err != nil {
			return nil, err
		}
		var body []byte
		if o.json {
			body, err = renderIndexJSON(projects, serial)
		} else {
			body = renderIndexHTML(projects)
		}
		if err != nil {
			return nil, err
		}
		return newPage(dr.cacheRepo(), dr.version, body, serial), nil
	})
	if err != nil {
		return err
	}
	s.writePage(w, r, p, o, dr.d.Public)
	return nil
}

func (s *server) simpleProject(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("project")
	norm := names.Normalize(name)
	dr := distOf(r)
	if norm != name {
		return redirectNormalized(w, r, dr.prefix+"/simple/"+url.PathEscape(norm)+"/")
	}
	o, err := chooseFormat(r)
	if err != nil {
		return err
	}
	if err := s.freshen(r, dr, norm); err != nil {
		return err
	}
	key := pageKey{base: dr.d.BasePath, project: norm, json: o.json}
	p, err := s.cachedProjectPage(dr, key, func() (*page, error) {
		proj, err := s.api.ProjectPage(r.Context(), dr.served(), norm)
		if err != nil {
			return nil, err
		}
		var body []byte
		if o.json {
			body, err = renderProjectJSON(proj)
		} else {
			body = renderProjectHTML(proj)
		}
		if err != nil {
			return nil, err
		}
		return newPage(dr.cacheRepo(), dr.version, body, proj.Serial), nil
	})
	if err != nil {
		return err
	}
	s.writePage(w, r, p, o, dr.d.Public)
	return nil
}

func redirectNormalized(w http.ResponseWriter, r *http.Request, target string) error {
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, target, http.StatusMovedPermanently)
	return nil
}

var (
	varyAccept      = []string{"Accept, Accept-Encoding"}
	varyAcceptAuth  = []string{"Accept, Accept-Encoding, Authorization"}
	cacheRevalidate = []string{"max-age=0, must-revalidate"}
	cachePrivate    = []string{"private, max-age=0, must-revalidate"}
	encodingGzip    = []string{"gzip"}
)

// writePage writes a cached page, answering 304 when the client holds it already.
func (s *server) writePage(w http.ResponseWriter, r *http.Request, p *page, o offer, public bool) {
	h := w.Header()
	body, etag, length := p.body, p.etag, p.length
	if (len(body) > 1024 || p.gzipAlways) && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body, etag, length = p.gzipped()
		h["Content-Encoding"] = encodingGzip
	}
	h["Content-Type"] = o.hdr
	h["Etag"] = etag
	h["X-Pypi-Last-Serial"] = p.serial
	if public {
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
		return
	}
	h["Content-Length"] = length
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(ae string) bool {
	if ae == "" {
		return false
	}
	for part := range strings.SplitSeq(ae, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		k, v, _ := strings.Cut(strings.TrimSpace(params), "=")
		return !(strings.TrimSpace(k) == "q" && parseQ(strings.TrimSpace(v)) == 0)
	}
	return false
}

// etagMatches implements the weak comparison of If-None-Match.
func etagMatches(inm, etag string) bool {
	for part := range strings.SplitSeq(inm, ",") {
		t := strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

func renderIndexHTML(projects []index.ProjectSummary) []byte {
	b := make([]byte, 0, 200+len(projects)*64)
	b = append(b, indexHTMLHead...)
	for i := range projects {
		b = appendIndexHTMLEntry(b, &projects[i])
	}
	return append(b, indexHTMLTail...)
}

func displayName(display, norm string) string {
	if display != "" {
		return display
	}
	return norm
}

func renderIndexJSON(projects []index.ProjectSummary, serial int64) ([]byte, error) {
	b := make([]byte, 0, 100+len(projects)*48)
	b = simplejson.AppendIndexHead(b, simplejson.Meta{APIVersion: apiVersion, LastSerial: serial})
	for i, p := range projects {
		b = simplejson.AppendIndexProject(b, i == 0, simplejson.IndexProject{Name: displayName(p.DisplayName, p.Name), LastSerial: p.Serial})
	}
	return simplejson.AppendIndexTail(b), nil
}

// fileURL is a file's content-addressed URL relative to a project page.
func fileURL(f *index.File) string {
	return "../../files/" + f.SHA256 + "/" + url.PathEscape(f.Filename)
}

// offeredFiles are the files a simple page lists: none for a quarantined project (PEP 792:
// the index must not offer its files).
func offeredFiles(p *index.Project) []index.File {
	if projectStatus(p) == "quarantined" {
		return nil
	}
	return p.Files
}

func projectStatus(p *index.Project) string {
	if p.Status == "" {
		return "active"
	}
	return p.Status
}

func renderProjectHTML(p *index.Project) []byte {
	files := offeredFiles(p)
	b := make([]byte, 0, 400+len(files)*htmlFileSize)
	title := html.EscapeString("Links for " + displayName(p.DisplayName, p.Name))
	b = append(b, "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\""+apiVersion+"\">\n"...)
	b = append(b, "    <meta name=\"pypi:project-status\" content=\""+html.EscapeString(projectStatus(p))+"\">\n"...)
	if p.StatusReason != "" {
		b = append(b, "    <meta name=\"pypi:project-status-reason\" content=\""+html.EscapeString(p.StatusReason)+"\">\n"...)
	}
	b = append(b, "    <title>"+title+"</title>\n"+stylesheetLink+"  </head>\n  <body>\n    <h1>"+title+"</h1>\n"...)
	b = parts.Append(b, len(files), pagePart, htmlFileSize, func(b []byte, lo, hi int) []byte {
		for i := lo; i < hi; i++ {
			b = appendHTMLFile(b, &files[i])
		}
		return b
	})
	return append(b, "  </body>\n</html>\n"...)
}

// appendHTMLFile appends the file's link of an HTML project page.
func appendHTMLFile(b []byte, f *index.File) []byte {
	// The link is html.EscapeString(fileURL(f) + "#sha256=" + f.SHA256), written in place.
	b = append(b, "    <a href=\"../../files/"...)
	b = appendHTMLEscaped(b, f.SHA256)
	b = append(b, '/')
	b = appendHTMLEscaped(b, pathEscape(f.Filename))
	b = append(b, "#sha256="...)
	b = appendHTMLEscaped(b, f.SHA256)
	b = append(b, '"')
	if f.RequiresPython != "" {
		b = append(b, " data-requires-python=\""...)
		b = appendHTMLEscaped(b, f.RequiresPython)
		b = append(b, '"')
	}
	if f.MetadataSHA256 != "" {
		b = append(b, " data-dist-info-metadata=\"sha256="...)
		b = append(b, f.MetadataSHA256...)
		b = append(b, "\" data-core-metadata=\"sha256="...)
		b = append(b, f.MetadataSHA256...)
		b = append(b, '"')
	}
	if f.Yanked {
		b = append(b, " data-yanked=\""...)
		b = appendHTMLEscaped(b, f.YankReason)
		b = append(b, '"')
	}
	b = append(b, '>')
	b = appendHTMLEscaped(b, f.Filename)
	return append(b, "</a><br>\n"...)
}

func renderProjectJSON(p *index.Project) ([]byte, error) {
	out := simplejson.Project{
		Meta:          simplejson.Meta{APIVersion: apiVersion, LastSerial: p.Serial},
		Name:          p.Name,
		ProjectStatus: &simplejson.Status{Status: projectStatus(p), Reason: p.StatusReason},
		Versions:      p.Versions,
		Files:         make([]simplejson.File, len(offeredFiles(p))),
	}
	if out.Versions == nil {
		out.Versions = []string{}
	}
	parts.Each(len(out.Files), pagePart, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out.Files[i] = jsonFile(&p.Files[i])
		}
	})
	return out.Marshal()
}

// htmlFileSize is about the size of a file's link in an HTML project page (a 5,000-file
// page is 2.75 MB): what renderProjectHTML makes room for.
const htmlFileSize = 560

// pagePart is the fewest files of a page converted or rendered on a core of their own.
const pagePart = 1000

// jsonFile is a page's file as the JSON page shows it.
func jsonFile(f *index.File) simplejson.File {
	jf := simplejson.File{
		Filename: f.Filename,
		URL:      fileURL(f),
		Hashes:   map[string]string{"sha256": f.SHA256},
		Size:     &f.Size, // read by json.Marshal only: no copy to allocate
		Yanked:   simplejson.Yanked{Yanked: f.Yanked, Reason: f.YankReason},
	}
	if f.RequiresPython != "" {
		jf.RequiresPython = &f.RequiresPython
	}
	if f.MetadataSHA256 != "" {
		jf.CoreMetadata = simplejson.CoreMetadata{Present: true, Hashes: map[string]string{"sha256": f.MetadataSHA256}}
	}
	if !f.UploadTime.IsZero() {
		jf.UploadTime = isoTime(f.UploadTime)
	}
	return jf
}

// isoTime formats a time as PyPI does in its JSON API.
func isoTime(t time.Time) string {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.Format("2006-01-02T15:04:05.000000Z")
	}
	// Written by hand: a page formats one per file, and time.Format's layout walk was a
	// tenth of rendering one.
	hour, minute, sec := t.Clock()
	var b [27]byte
	digits := func(at, width, v int) {
		for i := at + width - 1; i >= at; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
	digits(0, 4, year)
	b[4] = '-'
	digits(5, 2, int(month))
	b[7] = '-'
	digits(8, 2, day)
	b[10] = 'T'
	digits(11, 2, hour)
	b[13] = ':'
	digits(14, 2, minute)
	b[16] = ':'
	digits(17, 2, sec)
	b[19] = '.'
	digits(20, 6, t.Nanosecond()/1000)
	b[26] = 'Z'
	return string(b[:])
}
