// Command nameindex serves a generated PEP 691 index of many small projects, for the
// full-index benchmark of issue 9 (bench/bench-fullindex.sh): nothing is written to disk.
//
//	nameindex -listen 127.0.0.1:PORT [-projects 200000] [-big bench-big -big-files 5000]
//
// GET /simple/ lists every project (PEP 691 JSON with _last-serial, or PEP 503 HTML);
// GET /simple/NAME/ gives its page (JSON or HTML, with an ETag answered by 304): one
// wheel, bench-name-00000001-1.0-py3-none-any.whl, with its size, sha256 and PEP 658
// metadata, and -big-files wheels (versions 1.0 ... 1.N-1) for the project -big;
// GET /files/FILENAME and /files/FILENAME.metadata give the bytes, made the same way
// each time (a valid small wheel), so that a sync with policy on_demand records sizes
// and hashes that a later fetch would match.
package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/simplejson"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	projects := flag.Int("projects", 200000, "number of projects")
	big := flag.String("big", "bench-big", "the name of the project with many files (\"\": none)")
	bigFiles := flag.Int("big-files", 5000, "files of the -big project")
	flag.Parse()
	ix := &index{projects: *projects, big: *big, bigFiles: *bigFiles}
	srv := &http.Server{Addr: *listen, Handler: ix, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

type index struct {
	projects int
	big      string
	bigFiles int
}

func (ix *index) name(i int) string { return fmt.Sprintf("bench-name-%08d", i) }

const jsonType = "application/vnd.pypi.simple.v1+json"

func wantsJSON(r *http.Request) bool { return strings.Contains(r.Header.Get("Accept"), jsonType) }

func (ix *index) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/simple/":
		ix.root(w, r)
	case strings.HasPrefix(p, "/simple/"):
		ix.project(w, r, strings.Trim(strings.TrimPrefix(p, "/simple/"), "/"))
	case strings.HasPrefix(p, "/files/"):
		ix.file(w, strings.TrimPrefix(p, "/files/"))
	default:
		http.NotFound(w, r)
	}
}

func (ix *index) root(w http.ResponseWriter, r *http.Request) {
	bw := bytes.NewBuffer(make([]byte, 0, 64<<10))
	flush := func() {
		if bw.Len() > 32<<10 {
			w.Write(bw.Bytes())
			bw.Reset()
		}
	}
	all := ix.projects
	if ix.big != "" {
		all++
	}
	if wantsJSON(r) {
		w.Header().Set("Content-Type", jsonType)
		bw.WriteString(`{"meta": {"api-version": "1.1", "_last-serial": 1}, "projects": [`)
		for i := range all {
			if i > 0 {
				bw.WriteString(",")
			}
			name := ix.name(i)
			if i == ix.projects {
				name = ix.big
			}
			fmt.Fprintf(bw, `{"name": %q, "_last-serial": 1}`, name)
			flush()
		}
		bw.WriteString("]}")
	} else {
		w.Header().Set("Content-Type", "text/html")
		bw.WriteString("<!DOCTYPE html><html><body>\n")
		for i := range all {
			name := ix.name(i)
			if i == ix.projects {
				name = ix.big
			}
			fmt.Fprintf(bw, "<a href=\"%s/\">%s</a>\n", name, name)
			flush()
		}
		bw.WriteString("</body></html>\n")
	}
	w.Write(bw.Bytes())
}

func (ix *index) project(w http.ResponseWriter, r *http.Request, name string) {
	n := 1
	if name == ix.big && ix.big != "" {
		n = ix.bigFiles
	} else if !strings.HasPrefix(name, "bench-name-") {
		http.NotFound(w, r)
		return
	}
	etag := `"` + name + `-1"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	files := make([]simplejson.File, n)
	requires := ">=3.8"
	versions := make([]string, n)
	for v := range n {
		versions[v] = fmt.Sprintf("1.%d", v)
		fn, whl, meta := wheel(name, fmt.Sprintf("1.%d", v))
		ws, ms := sha256.Sum256(whl), sha256.Sum256(meta)
		size := int64(len(whl))
		files[v] = simplejson.File{Filename: fn, URL: "../../files/" + fn, Hashes: map[string]string{"sha256": hex.EncodeToString(ws[:])},
			Size: &size, RequiresPython: &requires,
			CoreMetadata: simplejson.CoreMetadata{Present: true, Hashes: map[string]string{"sha256": hex.EncodeToString(ms[:])}},
			UploadTime:   "2026-01-01T00:00:00.000000Z"}
	}
	if wantsJSON(r) {
		w.Header().Set("Content-Type", jsonType)
		json.NewEncoder(w).Encode(simplejson.Project{Meta: simplejson.Meta{APIVersion: "1.1", LastSerial: 1}, Name: name,
			Versions: versions, Files: files})
		return
	}
	w.Header().Set("Content-Type", "text/html")
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html><html><body>\n")
	for _, f := range files {
		fmt.Fprintf(&b, "<a href=\"%s#sha256=%s\" data-requires-python=\"&gt;=3.8\" data-core-metadata=\"sha256=%s\">%s</a>\n",
			f.URL, f.Hashes["sha256"], f.CoreMetadata.Hashes["sha256"], f.Filename)
	}
	b.WriteString("</body></html>\n")
	w.Write(b.Bytes())
}

// file serves FILENAME (NAME-VERSION-py3-none-any.whl) or its .metadata.
func (ix *index) file(w http.ResponseWriter, fn string) {
	meta := strings.HasSuffix(fn, ".metadata")
	base := strings.TrimSuffix(strings.TrimSuffix(fn, ".metadata"), "-py3-none-any.whl")
	i := strings.LastIndex(base, "-")
	if i < 0 {
		http.Error(w, "no such file", http.StatusNotFound)
		return
	}
	_, whl, md := wheel(strings.ReplaceAll(base[:i], "_", "-"), base[i+1:])
	if meta {
		w.Write(md)
		return
	}
	w.Write(whl)
}

// wheel makes the same valid small wheel of name and version each time.
func wheel(name, version string) (filename string, whl, metadata []byte) {
	pkg := strings.ReplaceAll(name, "-", "_")
	filename = pkg + "-" + version + "-py3-none-any.whl"
	di := pkg + "-" + version + ".dist-info/"
	metadata = []byte("Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\nRequires-Python: >=3.8\n\n")
	members := [][2]string{
		{pkg + "/__init__.py", ""},
		{di + "METADATA", string(metadata)},
		{di + "WHEEL", "Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		{di + "RECORD", ""},
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, m := range members {
		fw, _ := zw.CreateHeader(&zip.FileHeader{Name: m[0], Method: zip.Store, Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		fw.Write([]byte(m[1]))
	}
	zw.Close()
	return filename, b.Bytes(), metadata
}
