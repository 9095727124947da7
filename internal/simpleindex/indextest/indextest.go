// Package indextest serves distribution files from disk as a PEP 691 (JSON) and PEP 503
// (HTML) simple index on 127.0.0.1, for tests of clients, resolvers and installers.
//
//	srv := indextest.New(t, []string{"/usr/share/python-wheels/pip-23.0.1-py3-none-any.whl"}, indextest.Options{})
//	c, _ := simpleindex.New([]string{srv.SimpleURL}, nil, simpleindex.Options{})
//
// Routes: GET /simple/{project}/ (JSON when the Accept header asks for
// application/vnd.pypi.simple.v1+json, else HTML with relative links), GET
// /files/{filename} and GET /files/{filename}.metadata (PEP 658, the wheel's METADATA).
// Requires-Python is read from each wheel's METADATA, as a real index does.
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
}

// Server is a running fake index.
type Server struct {
	*httptest.Server
	SimpleURL string // the simple root, ending in "/simple/"
	Requests  atomic.Int64
	// NotModified counts the 304 answers to If-None-Match (pages carry an ETag).
	NotModified atomic.Int64
	opts        Options
	projects    map[string][]*file
	files       map[string]*file
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
	s := &Server{opts: opts, projects: map[string][]*file{}, files: map[string]*file{}}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("indextest: %v", err)
		}
		f := &file{name: filepath.Base(p), path: p, data: data}
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
		s.projects[project] = append(s.projects[project], f)
		s.files[f.name] = f
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /simple/{project}/", s.page)
	mux.HandleFunc("GET /files/{filename}", s.file)
	s.Server = httptest.NewServer(s.auth(mux))
	s.SimpleURL = s.Server.URL + "/simple/"
	t.Cleanup(s.Close)
	return s
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
	files := s.projects[project]
	if files == nil {
		http.NotFound(w, r)
		return
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	if !s.opts.HTML && strings.Contains(r.Header.Get("Accept"), simplejson.ContentType) {
		out := simplejson.Project{Meta: simplejson.Meta{APIVersion: "1.1"}, Name: project, Versions: []string{}}
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
	w.Header().Set("ETag", etag)
	w.Header().Set("Vary", "Accept")
	if r.Header.Get("If-None-Match") == etag {
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
	if base, ok := strings.CutSuffix(name, ".metadata"); ok {
		f := s.files[base]
		if f == nil || f.metadata == nil || s.opts.NoMetadata {
			http.NotFound(w, r)
			return
		}
		w.Write(f.metadata)
		return
	}
	f := s.files[name]
	if f == nil {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.data))
}

// SHA256 returns the digest of a served file.
func (s *Server) SHA256(filename string) string { return s.files[filename].sha256 }

// Metadata returns the METADATA bytes of a served wheel.
func (s *Server) Metadata(filename string) []byte { return s.files[filename].metadata }
