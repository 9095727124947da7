package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/docs"
	"github.com/pydepot/pydepot/internal/index"
)

// requestHost sends a GET with a forged Host header.
func (e *testEnv) requestHost(path, host string, headers ...string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Host = host
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, readBody(e.t, resp)
}

// TestLinksIgnoreHost: absolute links name the public URL, else the listen address, else
// are relative; a forged Host header (or X-Forwarded-Proto) never reaches a page.
func TestLinksIgnoreHost(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // prefix of a file URL in the JSON API
	}{
		{"public URL", Config{PublicURL: "https://pypi.example.com/"}, "https://pypi.example.com/packages/"},
		{"listen address", Config{ListenURL: "http://127.0.0.1:8080"}, "http://127.0.0.1:8080/packages/"},
		{"neither", Config{}, "/packages/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.cfg)
			e.mustUpload(wheelName("demo", "1.0"), makeWheel(t, "demo", "1.0", wheelOpts{}))
			resp, body := e.requestHost("/pypi/demo/json", "evil.example", "X-Forwarded-Proto: https")
			var out struct {
				Info struct {
					ProjectURL string `json:"project_url"`
				} `json:"info"`
				URLs []struct{ URL string } `json:"urls"`
			}
			if err := json.Unmarshal([]byte(body), &out); err != nil || resp.StatusCode != 200 || len(out.URLs) != 1 {
				t.Fatalf("%d %v %s", resp.StatusCode, err, body)
			}
			if strings.Contains(body, "evil") || !strings.HasPrefix(out.URLs[0].URL, tc.want) || !strings.HasPrefix(out.Info.ProjectURL, strings.TrimSuffix(tc.want, "packages/")+"project/demo/") {
				t.Errorf("links %q, %q; want %s...", out.URLs[0].URL, out.Info.ProjectURL, tc.want)
			}
			if _, page := e.requestHost("/project/demo/", "evil.example"); strings.Contains(page, "evil") {
				t.Errorf("project page names the forged host:\n%s", page)
			}
		})
	}
}

// TestCacheHeaders: what depends on the token says so (Vary: Authorization, private), what
// is negotiated varies by Accept, content-addressed files are immutable, errors and the
// API are not stored.
func TestCacheHeaders(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := t.Context()
	e.mustUpload(wheelName("pub", "1.0"), makeWheel(t, "pub", "1.0", wheelOpts{}))
	if _, err := e.svc.CreateRepository(ctx, "secret", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateDistribution(ctx, index.Distribution{BasePath: "team/secret", Repository: "secret"}); err != nil {
		t.Fatal(err)
	}
	if code, body := e.upload("/team/secret/legacy/", adminSecret, form{filename: wheelName("hidden", "1.0"), content: makeWheel(t, "hidden", "1.0", wheelOpts{})}); code != 200 {
		t.Fatalf("upload: %d %s", code, body)
	}
	fileOf := func(prefix, project string) string {
		resp, body := e.requestHost(prefix+"/pypi/"+project+"/json", "x", basic(adminSecret))
		var out struct{ URLs []struct{ URL string } }
		if err := json.Unmarshal([]byte(body), &out); err != nil || resp.StatusCode != 200 || len(out.URLs) != 1 {
			t.Fatalf("%s: %d %s", project, resp.StatusCode, body)
		}
		return out.URLs[0].URL
	}
	pubFile, hiddenFile := fileOf("", "pub"), fileOf("/team/secret", "hidden")
	tests := []struct {
		path, auth   string
		status       int
		cache        string // Cache-Control prefix
		vary, novary string // in Vary, not in Vary
	}{
		{"/", "", 200, "no-cache", "", "Authorization"},
		{"/simple/", "", 200, "max-age=0", "Accept", "Authorization"},
		{"/simple/pub/", "", 200, "max-age=0", "Accept", "Authorization"},
		{"/pypi/pub/json", "", 200, "max-age=0", "", "Authorization"},
		{"/project/pub/", "", 200, "max-age=0", "", "Authorization"},
		{pubFile, "", 200, "public, max-age=31536000, immutable", "", "Authorization"},
		{"/team/secret/simple/hidden/", basic(adminSecret), 200, "private", "Authorization", ""},
		{"/team/secret/pypi/hidden/json", basic(adminSecret), 200, "private", "Authorization", ""},
		{"/team/secret/project/hidden/", basic(adminSecret), 200, "private", "Authorization", ""},
		{hiddenFile, basic(adminSecret), 200, "private", "Authorization", ""},
		{"/team/secret/simple/hidden/", "", 401, "no-store", "", ""},
		{"/simple/missing/", "", 404, "no-store", "", ""},
		{"/api/repositories", basic(adminSecret), 200, "no-store", "Authorization", ""},
	}
	for _, tc := range tests {
		var hdr []string
		if tc.auth != "" {
			hdr = append(hdr, tc.auth)
		}
		resp, body := e.requestHost(tc.path, "x", hdr...)
		vary := strings.Join(resp.Header.Values("Vary"), ", ")
		if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Cache-Control"), tc.cache) ||
			!strings.Contains(vary, tc.vary) || tc.novary != "" && strings.Contains(vary, tc.novary) {
			t.Errorf("%s: %d Cache-Control %q Vary %q; want %d, %q, Vary with %q without %q\n%.200s", tc.path, resp.StatusCode, resp.Header.Get("Cache-Control"), vary, tc.status, tc.cache, tc.vary, tc.novary, body)
		}
	}
}

// TestPagesStyled: the HTML pages link the stylesheet /doc/ serves, and the project page
// marks yanked releases and files with their reason.
func TestPagesStyled(t *testing.T) {
	set, err := docs.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Config{Docs: set.Handler()})
	e.mustUpload(wheelName("demo", "1.0"), makeWheel(t, "demo", "1.0", wheelOpts{}))
	e.mustUpload(wheelName("demo", "2.0"), makeWheel(t, "demo", "2.0", wheelOpts{}))
	if err := e.svc.Yank(t.Context(), "main", "demo", "2.0", "broken <build>"); err != nil {
		t.Fatal(err)
	}
	link := `<link rel="stylesheet" href="` + docs.StylesheetPath + `">`
	for _, path := range []string{"/", "/simple/", "/simple/demo/", "/project/demo/", "/project/demo/2.0/", "/doc/"} {
		resp := e.request(http.MethodGet, path, nil)
		if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, link) {
			t.Errorf("%s: %d, no stylesheet link:\n%s", path, resp.StatusCode, body)
		}
	}
	resp := e.request(http.MethodGet, docs.StylesheetPath, nil)
	if css := readBody(t, resp); resp.StatusCode != 200 || css != docs.Stylesheet || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// The latest page (1.0) lists 2.0 as yanked, with its reason escaped; 1.0 is not marked.
	resp = e.request(http.MethodGet, "/project/demo/", nil)
	page := readBody(t, resp)
	yanked := `<li class="yanked"><a href="/project/demo/2.0/">2.0</a> <strong class="yanked">yanked</strong> <span class="yanked">broken &lt;build&gt;</span></li>`
	if !strings.Contains(page, yanked) || !strings.Contains(page, `<li><strong><a href="/project/demo/1.0/">1.0</a></strong></li>`) {
		t.Errorf("versions list does not mark the yanked release:\n%s", page)
	}
	resp = e.request(http.MethodGet, "/project/demo/2.0/", nil)
	if page := readBody(t, resp); !strings.Contains(page, "This release is yanked</strong>: broken &lt;build&gt;") || !strings.Contains(page, `<tr class="yanked">`) {
		t.Errorf("the yanked release's page does not say so:\n%s", page)
	}
}
