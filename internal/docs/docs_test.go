package docs

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pydepot/pydepot/internal/docs/markdown"
	"github.com/pydepot/pydepot/internal/errs"
)

func TestRenderedHTMLIsUpToDate(t *testing.T) {
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range set.List() {
		want, err := markdown.Render(topic.Body)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(topic.HTML, want) {
			t.Errorf("rendered/%s.html is stale or missing: run 'go generate ./internal/docs'", topic.Name)
		}
	}
}

func TestEmbeddedTopicsLoadAndLinksResolve(t *testing.T) {
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(set.List()) < 4 {
		t.Fatalf("expected the starting topic set, got %d topics", len(set.List()))
	}
	link := regexp.MustCompile(`\]\(([a-z0-9_-]+)\.md(#[^)]*)?\)`)
	for _, topic := range set.List() {
		for _, m := range link.FindAllStringSubmatch(string(topic.Body), -1) {
			if _, err := set.Get(m[1]); err != nil {
				t.Errorf("topic %s links to missing topic %s", topic.Name, m[1])
			}
		}
	}
}

func TestTitleRules(t *testing.T) {
	for name, body := range map[string]string{
		"none":    "Just text\n",
		"late":    "text\n# Title\n",
		"two":     "# One\n\n# Two\n",
		"h2 only": "## Sub\n",
	} {
		fsys := fstest.MapFS{"t/x.md": {Data: []byte(body)}}
		if _, err := LoadFS(fsys, "t", "t"); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: want ErrInvalid, got %v", name, err)
		}
	}
	fsys := fstest.MapFS{"t/x.md": {Data: []byte("# Title\n```sh\n# a shell comment\n```\n")}}
	set, err := LoadFS(fsys, "t", "t")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := set.Get("x"); got.Title != "Title" {
		t.Fatalf("title = %q", got.Title)
	}
	if _, err := set.Get("nope"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
}

func TestHandlerRendersTopicsAndRewritesLinks(t *testing.T) {
	fsys := fstest.MapFS{
		"t/a.md": {Data: []byte("# Alpha\n\nSee [b](b.md#part).\n")},
		"t/b.md": {Data: []byte("# Beta\n")},
	}
	for _, name := range []string{"a", "b"} {
		html, err := markdown.Render(fsys["t/"+name+".md"].Data)
		if err != nil {
			t.Fatal(err)
		}
		fsys["h/"+name+".html"] = &fstest.MapFile{Data: html}
	}
	set, err := LoadFS(fsys, "t", "h")
	if err != nil {
		t.Fatal(err)
	}
	h := set.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/doc/a", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, `<h1>Alpha</h1>`) || !strings.Contains(body, `href="/doc/b#part"`) {
		t.Fatalf("code %d body %s", rec.Code, body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/doc/", nil))
	if !strings.Contains(rec.Body.String(), `href="/doc/b"`) {
		t.Fatalf("index lacks topic link: %s", rec.Body.String())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/doc/missing", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("missing topic: code %d", rec.Code)
	}
}
