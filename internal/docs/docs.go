// Package docs holds pydepot's help topics: markdown files embedded in the binary, shown by
// `pydepot help show TOPIC` and served as HTML under /doc/ by the server. Each topic starts
// with one level-1 title. Topics link to each other as [text](other.md); the terminal shows
// the link as written and the HTML points it at /doc/other.
//
// The HTML is rendered from the same markdown by goldmark at `go generate` time
// (internal/docs/markdown) and embedded beside it; a test fails when the two disagree.
package docs

//go:generate go run ./gen

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/pydepot/pydepot/internal/errs"
)

//go:embed topics/*.md rendered/*.html
var embedded embed.FS

// Topic is one help topic.
type Topic struct {
	Name  string // file name without .md
	Title string // the level-1 title
	Body  []byte // markdown
	HTML  []byte // the rendered fragment; nil when none was generated
}

// Set is a loaded set of topics.
type Set struct {
	topics map[string]Topic
}

// Load reads the embedded topics. It fails when a topic does not start with exactly one
// level-1 title.
func Load() (*Set, error) { return LoadFS(embedded, "topics", "rendered") }

// LoadFS reads the markdown topics in dir of fsys and their HTML in htmlDir (tests use
// their own).
func LoadFS(fsys fs.FS, dir, htmlDir string) (*Set, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read help topics: %w", err)
	}
	s := &Set{topics: map[string]Topic{}}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".md") {
			continue
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		title, err := titleOf(body)
		if err != nil {
			return nil, fmt.Errorf("help topic %s: %w", e.Name(), err)
		}
		name := strings.TrimSuffix(e.Name(), ".md")
		html, _ := fs.ReadFile(fsys, path.Join(htmlDir, name+".html"))
		s.topics[name] = Topic{Name: name, Title: title, Body: body, HTML: html}
	}
	return s, nil
}

func titleOf(body []byte) (string, error) {
	var title string
	inFence := false
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
			continue
		}
		if inFence || !strings.HasPrefix(line, "# ") {
			continue
		}
		if title != "" {
			return "", fmt.Errorf("more than one level-1 title: %w", errs.ErrInvalid)
		}
		title = strings.TrimSpace(line[2:])
	}
	first := strings.TrimSpace(strings.SplitN(string(body), "\n", 2)[0])
	if title == "" || !strings.HasPrefix(first, "# ") {
		return "", fmt.Errorf("must start with a level-1 title: %w", errs.ErrInvalid)
	}
	return title, nil
}

// List returns the topics sorted by name.
func (s *Set) List() []Topic {
	out := make([]Topic, 0, len(s.topics))
	for _, t := range s.topics {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns a topic by name; the error wraps errs.ErrNotFound and lists the topics.
func (s *Set) Get(name string) (Topic, error) {
	t, ok := s.topics[strings.TrimSuffix(name, ".md")]
	if !ok {
		names := make([]string, 0, len(s.topics))
		for _, t := range s.List() {
			names = append(names, t.Name)
		}
		return Topic{}, fmt.Errorf("no help topic %q (topics: %s): %w", name, strings.Join(names, ", "), errs.ErrNotFound)
	}
	return t, nil
}

// HTML returns a topic's rendered body.
func (s *Set) HTML(t Topic) (template.HTML, error) {
	if t.HTML == nil {
		return "", fmt.Errorf("help topic %s has no rendered HTML: run 'go generate ./internal/docs'", t.Name)
	}
	return template.HTML(t.HTML), nil //nolint:gosec // generated from our own embedded markdown
}

// page is parsed on first use rather than at every start of the binary.
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("doc").Parse(pageHTML))
})

// StylesheetPath is where Handler serves Stylesheet; the server's other HTML pages link it too.
const StylesheetPath = "/doc/style.css"

// Stylesheet is the one stylesheet of pydepot's web pages.
const Stylesheet = `body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1f2328}
a{color:#0550ae}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:1.6rem}
pre{background:#f4f4f4;padding:.7rem;overflow-x:auto}code{background:#f4f4f4}
nav{border-bottom:1px solid #ddd;padding-bottom:.4rem}nav a{margin-right:.8rem}
table{border-collapse:collapse}th,td{text-align:left;padding:.25rem 1rem .25rem 0;vertical-align:top}
.meta{color:#59636e;font-size:.9em}
.yanked,.yanked a{color:#a40e26}.yanked a{text-decoration:line-through}
a[data-yanked]{color:#a40e26;text-decoration:line-through}
a[data-yanked]::after{content:"yanked";display:inline-block;margin-left:.5em;font-weight:bold}
a[data-yanked]:not([data-yanked=""])::after{content:"yanked: " attr(data-yanked)}
`

var stylesheetBytes = []byte(Stylesheet)

const pageHTML = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Title}} · pydepot</title>
<link rel="stylesheet" href="` + StylesheetPath + `"></head>
<body><nav><a href="/">pydepot</a> <a href="/doc/">help</a></nav>
{{if .Body}}{{.Body}}{{else}}<h1>pydepot help</h1><ul>{{range .Topics}}<li><a href="/doc/{{.Name}}">{{.Title}}</a> <code>pydepot help show {{.Name}}</code></li>{{end}}</ul>{{end}}
</body></html>`

// Handler serves /doc/ (the index) and /doc/NAME (one topic) as HTML.
func (s *Set) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == StylesheetPath {
			w.Header().Set("Content-Type", "text/css; charset=utf-8")
			w.Header().Set("Cache-Control", "public, max-age=3600")
			_, _ = w.Write(stylesheetBytes)
			return
		}
		name := strings.Trim(strings.TrimPrefix(r.URL.Path, "/doc"), "/")
		data := struct {
			Title  string
			Body   template.HTML
			Topics []Topic
		}{Title: "Help", Topics: s.List()}
		if name != "" {
			t, err := s.Get(name)
			if err != nil {
				http.Error(w, err.Error(), http.StatusNotFound)
				return
			}
			body, err := s.HTML(t)
			if err != nil {
				http.Error(w, "cannot render topic", http.StatusInternalServerError)
				return
			}
			data.Title, data.Body = t.Title, body
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := page().Execute(w, data); err != nil {
			http.Error(w, "cannot render page", http.StatusInternalServerError)
		}
	})
}
