// Package indextest serves distribution files from disk as a PEP 691 (JSON) and PEP 503
// (HTML) simple index on 127.0.0.1, for tests of clients, resolvers and installers.
//
//	srv := indextest.New(t, []string{"/usr/share/python-wheels/pip-23.0.1-py3-none-any.whl"}, indextest.Options{})
//	c, _ := simpleindex.New([]string{srv.SimpleURL}, nil, simpleindex.Options{})
//
// Routes: GET /simple/ (the project list), GET /simple/{project}/ (JSON when the Accept
// header asks for application/vnd.pypi.simple.v1+json, else HTML with relative links),
// GET /files/{filename} and GET /files/{filename}.metadata (PEP 658, the wheel's
// METADATA). Requires-Python is read from each wheel's METADATA, as a real index does.
//
// Pages carry an ETag (answering If-None-Match with 304), a Last-Modified (answering
// If-Modified-Since), and serials (X-PyPI-Last-Serial and the JSON "_last-serial": the
// index's on the list, each project's on its page and list entry), which Add and Remove
// raise, as sync tests need. Options.Wrap puts a handler in front
// (package faultyindex uses it to inject faults).
package indextest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/simplejson"
)

// Options changes what the server offers.
type Options struct {
	HTML       bool              // always answer HTML (a PEP 503-only index)
	NoMetadata bool              // announce no PEP 658 metadata files
	Yanked     map[string]string // filename -> yank reason
	// Token, when set, is required as HTTP Basic "__token__:<Token>" on every request.
	Token string
	// BasicUser/BasicPassword, when set, are required as HTTP Basic credentials.
	BasicUser, BasicPassword string
	// NoETag leaves the ETag out, so that only Last-Modified validates (as some static
	// servers do).
	NoETag bool
	// TLS serves https with httptest's certificate (Server.Certificate, Server.Client).
	TLS bool
	// Wrap, when set, wraps the server's handler (after the request count, before auth).
	Wrap func(http.Handler) http.Handler
}

// Server is a running fake index.
type Server struct {
	*httptest.Server
	SimpleURL string // the simple root, ending in "/simple/"
	Requests  atomic.Int64
	// NotModified counts the 304 answers to If-None-Match (pages carry an ETag).
	NotModified atomic.Int64
	opts        Options

	mu       sync.Mutex
	projects map[string][]*file
	files    map[string]*file
	serial   int64
	changed  map[string]time.Time // project -> last change, for Last-Modified
	serials  map[string]int64     // project -> serial of its last change
	// lastChange is the date of the latest change.
	lastChange time.Time
}

type file struct {
	name           string
	path           string
	data           []byte
	sha256         string
	metadata       []byte
	metaSHA256     string
	requiresPython string
}

var normRE = regexp.MustCompile(`[-_.]+`)

func normalize(s string) string { return strings.ToLower(normRE.ReplaceAllString(s, "-")) }

// New starts a server over the given files (wheels, and sdists as .tar.gz/.zip, whose
// metadata is not offered). It is closed when the test ends.
func New(t testing.TB, paths []string, opts Options) *Server {
	t.Helper()
	// Last-Modified has a resolution of a second: start in the past so that a change
	// made now is newer than any date a client holds from before it.
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	s := &Server{opts: opts, projects: map[string][]*file{}, files: map[string]*file{}, changed: map[string]time.Time{}, serials: map[string]int64{}, lastChange: start}
	for _, p := range paths {
		s.Add(t, p)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /simple/{$}", s.list)
	mux.HandleFunc("GET /simple/{project}/", s.page)
	mux.HandleFunc("GET /files/{filename}", s.file)
	var h http.Handler = mux
	if opts.Wrap != nil {
		h = opts.Wrap(h)
	}
	if opts.TLS {
		s.Server = httptest.NewTLSServer(s.auth(h))
	} else {
		s.Server = httptest.NewServer(s.auth(h))
	}
	s.SimpleURL = s.Server.URL + "/simple/"
	t.Cleanup(s.Close)
	return s
}

// Add serves one more file (a wheel, or an sdist as .tar.gz/.zip) and raises the serial;
// a file of the same name is replaced.
func (s *Server) Add(t testing.TB, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("indextest: %v", err)
	}
	f := &file{name: filepath.Base(path), path: path, data: data}
	sum := sha256.Sum256(data)
	f.sha256 = hex.EncodeToString(sum[:])
	var project string
	if strings.HasSuffix(f.name, ".whl") {
		project = normalize(strings.SplitN(f.name, "-", 2)[0])
		f.metadata, err = wheelMetadata(data)
		if err != nil {
			t.Fatalf("indextest: %s: %v", f.name, err)
		}
		msum := sha256.Sum256(f.metadata)
		f.metaSHA256 = hex.EncodeToString(msum[:])
		hdr, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(f.metadata))).ReadMIMEHeader()
		if err == nil || len(hdr) > 0 {
			f.requiresPython = hdr.Get("Requires-Python")
		}
	} else {
		base := strings.TrimSuffix(strings.TrimSuffix(f.name, ".tar.gz"), ".zip")
		project = normalize(base[:strings.LastIndex(base, "-")])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeLocked(f.name)
	s.projects[project] = append(s.projects[project], f)
	s.files[f.name] = f
	s.touchLocked(project)
}

// Remove stops serving a file (its project goes when it was the last) and raises the
// serial.
func (s *Server) Remove(filename string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.removeLocked(filename); p != "" {
		s.touchLocked(p)
	}
}

func (s *Server) removeLocked(filename string) string {
	if s.files[filename] == nil {
		return ""
	}
	delete(s.files, filename)
	for p, fs := range s.projects {
		for i, f := range fs {
			if f.name == filename {
				s.projects[p] = append(fs[:i:i], fs[i+1:]...)
				if len(s.projects[p]) == 0 {
					delete(s.projects, p)
				}
				return p
			}
		}
	}
	return ""
}

func (s *Server) touchLocked(project string) {
	s.serial++
	// A change is dated at least a second after the previous one (Last-Modified has a
	// resolution of a second), so If-Modified-Since sees it.
	next := time.Now().Truncate(time.Second)
	if !next.After(s.lastChange) {
		next = s.lastChange.Add(time.Second)
	}
	s.lastChange = next
	s.changed[project] = next
	s.serials[project] = s.serial
}

// Serial is the index's current serial (the list's); a project page carries the serial of
// the project's last change.
func (s *Server) Serial() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.serial
}

// snapshot returns a project's files, sorted, with its serial and the page's date.
func (s *Server) snapshot(project string) ([]*file, int64, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	files := append([]*file(nil), s.projects[project]...)
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files, s.serials[project], s.changed[project]
}

// list serves the project list: JSON with the serial, or PEP 503 HTML.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	projects := make([]string, 0, len(s.projects))
	serials := map[string]int64{}
	for p := range s.projects {
		projects = append(projects, p)
		serials[p] = s.serials[p]
	}
	serial := s.serial
	s.mu.Unlock()
	sort.Strings(projects)
	w.Header().Set("X-PyPI-Last-Serial", fmt.Sprint(serial))
	if !s.opts.HTML && strings.Contains(r.Header.Get("Accept"), simplejson.ContentType) {
		out := simplejson.Index{Meta: simplejson.Meta{APIVersion: "1.1", LastSerial: serial}, Projects: []simplejson.IndexProject{}}
		for _, p := range projects {
			out.Projects = append(out.Projects, simplejson.IndexProject{Name: p, LastSerial: serials[p]})
		}
		body, _ := json.Marshal(out)
		w.Header().Set("Content-Type", simplejson.ContentType)
		w.Write(body)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\"><title>Simple index</title></head><body>\n")
	for _, p := range projects {
		fmt.Fprintf(w, "<a href=\"%s/\">%s</a><br/>\n", p, p)
	}
	fmt.Fprintf(w, "</body></html>\n<!--SERIAL %d-->\n", serial)
}

func wheelMetadata(data []byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	for _, zf := range zr.File {
		dir, name, ok := strings.Cut(zf.Name, "/")
		if ok && name == "METADATA" && strings.HasSuffix(dir, ".dist-info") {
			rc, err := zf.Open()
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			var buf bytes.Buffer
			_, err = buf.ReadFrom(rc)
			return buf.Bytes(), err
		}
	}
	return nil, fmt.Errorf("no METADATA")
}

func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Requests.Add(1)
		user, pw, ok := r.BasicAuth()
		switch {
		case s.opts.Token != "" && (!ok || user != "__token__" || pw != s.opts.Token),
			s.opts.BasicUser != "" && (!ok || user != s.opts.BasicUser || pw != s.opts.BasicPassword):
			w.Header().Set("WWW-Authenticate", `Basic realm="pydepot"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	project := r.PathValue("project")
	if normalize(project) != project {
		http.Redirect(w, r, "../"+normalize(project)+"/", http.StatusMovedPermanently)
		return
	}
	files, serial, mod := s.snapshot(project)
	if len(files) == 0 {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("X-PyPI-Last-Serial", fmt.Sprint(serial))
	w.Header().Set("Last-Modified", mod.UTC().Format(http.TimeFormat))
	if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && r.Header.Get("If-None-Match") == "" && !mod.After(ims) {
		s.NotModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if !s.opts.HTML && strings.Contains(r.Header.Get("Accept"), simplejson.ContentType) {
		out := simplejson.Project{Meta: simplejson.Meta{APIVersion: "1.1", LastSerial: serial}, Name: project, Versions: []string{}}
		for _, f := range files {
			size := int64(len(f.data))
			j := simplejson.File{Filename: f.name, URL: "/files/" + f.name, Hashes: map[string]string{"sha256": f.sha256},
				Size: &size, UploadTime: "2024-01-02T03:04:05.123456Z"}
			if f.requiresPython != "" {
				rp := f.requiresPython
				j.RequiresPython = &rp
			}
			if f.metadata != nil && !s.opts.NoMetadata {
				j.CoreMetadata = simplejson.CoreMetadata{Present: true, Hashes: map[string]string{"sha256": f.metaSHA256}}
			}
			if reason, ok := s.opts.Yanked[f.name]; ok {
				j.Yanked = simplejson.Yanked{Yanked: true, Reason: reason}
			}
			out.Files = append(out.Files, j)
		}
		body, _ := json.Marshal(out)
		s.writePage(w, r, simplejson.ContentType, body)
		return
	}
	var b bytes.Buffer
	s.htmlPage(&b, project, files)
	s.writePage(w, r, "text/html; charset=utf-8", b.Bytes())
}

func (s *Server) writePage(w http.ResponseWriter, r *http.Request, ct string, body []byte) {
	sum := sha256.Sum256(append([]byte(ct), body...))
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("Vary", "Accept")
	if s.opts.NoETag {
		etag = ""
	} else {
		w.Header().Set("ETag", etag)
	}
	if etag != "" && r.Header.Get("If-None-Match") == etag {
		s.NotModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Write(body)
}

func (s *Server) htmlPage(w io.Writer, project string, files []*file) {
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\"><title>Links for %s</title></head><body>\n<h1>Links for %s</h1>\n", project, project)
	for _, f := range files {
		attrs := ""
		if f.requiresPython != "" {
			attrs += fmt.Sprintf(` data-requires-python="%s"`, html.EscapeString(f.requiresPython))
		}
		if f.metadata != nil && !s.opts.NoMetadata {
			attrs += fmt.Sprintf(` data-core-metadata="sha256=%s" data-dist-info-metadata="sha256=%s"`, f.metaSHA256, f.metaSHA256)
		}
		if reason, ok := s.opts.Yanked[f.name]; ok {
			attrs += fmt.Sprintf(` data-yanked="%s"`, html.EscapeString(reason))
		}
		fmt.Fprintf(w, "<a href=\"../../files/%s#sha256=%s\"%s>%s</a><br/>\n", f.name, f.sha256, attrs, html.EscapeString(f.name))
	}
	fmt.Fprint(w, "</body></html>\n")
}

func (s *Server) file(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("filename")
	base, isMeta := strings.CutSuffix(name, ".metadata")
	s.mu.Lock()
	f, of := s.files[name], s.files[base]
	s.mu.Unlock()
	if isMeta {
		f := of
		if f == nil || f.metadata == nil || s.opts.NoMetadata {
			http.NotFound(w, r)
			return
		}
		w.Write(f.metadata)
		return
	}
	if f == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("ETag", `"`+f.sha256+`"`) // strong: a client may resume with Range and If-Range
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.data))
}

// SHA256 returns the digest of a served file.
func (s *Server) SHA256(filename string) string { return s.lookup(filename).sha256 }

// Metadata returns the METADATA bytes of a served wheel.
func (s *Server) Metadata(filename string) []byte { return s.lookup(filename).metadata }

// Bytes returns the bytes of a served file.
func (s *Server) Bytes(filename string) []byte { return s.lookup(filename).data }

func (s *Server) lookup(filename string) *file {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.files[filename]; f != nil {
		return f
	}
	return &file{}
}
