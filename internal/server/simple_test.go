package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/index"
)

// populated uploads a few projects into main.
func populated(t *testing.T) *testEnv {
	t.Helper()
	e := newEnv(t, Config{})
	e.mustUpload(wheelName("Demo_Pkg", "1.0"), makeWheel(t, "Demo_Pkg", "1.0", wheelOpts{requiresPython: ">=3.8,<4"}))
	e.mustUpload(wheelName("Demo_Pkg", "2.0"), makeWheel(t, "Demo_Pkg", "2.0", wheelOpts{requiresPython: ">=3.9"}))
	e.mustUpload(wheelName("other", "0.1"), makeWheel(t, "other", "0.1", wheelOpts{}))
	return e
}

func TestSimpleNegotiation(t *testing.T) {
	e := populated(t)
	tests := []struct {
		path, accept string
		status       int
		ctype        string
	}{
		{"/simple/", "", 200, "text/html; charset=utf-8"},
		{"/simple/", "*/*", 200, "text/html; charset=utf-8"},
		{"/simple/", "text/html", 200, "text/html; charset=utf-8"},
		{"/simple/", "application/vnd.pypi.simple.v1+json", 200, mediaJSONv1},
		{"/simple/", "application/vnd.pypi.simple.latest+json", 200, mediaJSONv1},
		{"/simple/", "application/vnd.pypi.simple.v1+html", 200, mediaHTMLv1},
		{"/simple/", "application/vnd.pypi.simple.latest+html", 200, mediaHTMLv1},
		// pip's and uv's headers.
		{"/simple/demo-pkg/", "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01", 200, mediaJSONv1},
		{"/simple/demo-pkg/", "application/vnd.pypi.simple.v1+html; q=0.2, text/html;q=0.01, application/vnd.pypi.simple.v1+json;q=0.1", 200, mediaHTMLv1},
		{"/simple/demo-pkg/", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 200, "text/html; charset=utf-8"},
		{"/simple/demo-pkg/", "application/vnd.pypi.simple.v1+json;q=0, text/html", 200, "text/html; charset=utf-8"},
		{"/simple/demo-pkg/", "application/json", 406, ""},
		{"/simple/demo-pkg/", "application/vnd.pypi.simple.v2+json", 406, ""},
		{"/simple/demo-pkg/?format=application/vnd.pypi.simple.v1+json", "text/html", 200, mediaJSONv1},
		{"/simple/demo-pkg/?format=text/html", "application/vnd.pypi.simple.v1+json", 200, "text/html; charset=utf-8"},
		{"/simple/demo-pkg/?format=nonsense", "", 406, ""},
		{"/main/simple/demo-pkg/", mediaJSONv1, 200, mediaJSONv1},
		{"/simple/missing/", "", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.path+" "+tc.accept, func(t *testing.T) {
			resp := e.request(http.MethodGet, tc.path, nil, "Accept: "+tc.accept)
			body := readBody(t, resp)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.status != 200 {
				if tc.status == 406 && !strings.Contains(body, mediaJSONv1) {
					t.Errorf("406 body %q does not list the offered types", body)
				}
				return
			}
			if got := resp.Header.Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type %q, want %q", got, tc.ctype)
			}
			if !strings.Contains(resp.Header.Get("Vary"), "Accept") {
				t.Errorf("Vary %q", resp.Header.Get("Vary"))
			}
			if s, err := strconv.Atoi(resp.Header.Get("X-PyPI-Last-Serial")); err != nil || s <= 0 {
				t.Errorf("X-PyPI-Last-Serial %q", resp.Header.Get("X-PyPI-Last-Serial"))
			}
		})
	}
}

func TestSimplePages(t *testing.T) {
	e := populated(t)
	if err := e.svc.Yank(t.Context(), "main", "demo-pkg", "1.0", `broken <build> & "bad"`); err != nil {
		t.Fatal(err)
	}
	resp := e.request(http.MethodGet, "/simple/demo-pkg/", nil)
	html := readBody(t, resp)
	for _, want := range []string{
		`<meta name="pypi:repository-version" content="1.4">`,
		`<meta name="pypi:project-status" content="active">`,
		`data-requires-python="&gt;=3.8,&lt;4"`,
		`data-yanked="broken &lt;build&gt; &amp; &#34;bad&#34;"`,
		`data-core-metadata="sha256=`,
		`data-dist-info-metadata="sha256=`,
		`>Demo_Pkg-1.0-py3-none-any.whl</a>`,
		`href="../../files/`,
		`#sha256=`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML page lacks %s:\n%s", want, html)
		}
	}
	if strings.Count(html, "data-yanked") != 1 {
		t.Errorf("only 1.0 is yanked:\n%s", html)
	}

	resp = e.request(http.MethodGet, "/simple/demo-pkg/", nil, "Accept: "+mediaJSONv1)
	var page struct {
		Meta struct {
			APIVersion string `json:"api-version"`
			LastSerial int64  `json:"_last-serial"`
		} `json:"meta"`
		Name          string            `json:"name"`
		ProjectStatus map[string]string `json:"project-status"`
		Versions      []string          `json:"versions"`
		Files         []struct {
			Filename       string            `json:"filename"`
			URL            string            `json:"url"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython string            `json:"requires-python"`
			CoreMetadata   any               `json:"core-metadata"`
			DistInfo       any               `json:"dist-info-metadata"`
			Yanked         any               `json:"yanked"`
			Size           int64             `json:"size"`
			UploadTime     string            `json:"upload-time"`
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(readBody(t, resp)), &page); err != nil {
		t.Fatal(err)
	}
	if page.Meta.APIVersion != "1.4" || page.Meta.LastSerial <= 0 || page.Name != "demo-pkg" || page.ProjectStatus["status"] != "active" {
		t.Errorf("page head: %+v", page)
	}
	if fmt.Sprint(page.Versions) != "[1.0 2.0]" || len(page.Files) != 2 {
		t.Fatalf("versions %v, %d files", page.Versions, len(page.Files))
	}
	f0, f1 := page.Files[0], page.Files[1]
	if f0.Yanked != `broken <build> & "bad"` || f1.Yanked != false {
		t.Errorf("yanked: %v, %v", f0.Yanked, f1.Yanked)
	}
	if f0.RequiresPython != ">=3.8,<4" || len(f0.Hashes["sha256"]) != 64 || f0.Size <= 0 || !strings.HasSuffix(f0.UploadTime, "Z") {
		t.Errorf("file 0: %+v", f0)
	}
	if m, ok := f0.CoreMetadata.(map[string]any); !ok || len(m["sha256"].(string)) != 64 {
		t.Errorf("core-metadata: %v", f0.CoreMetadata)
	}
	if page.Meta.LastSerial != serialHeader(t, resp) {
		t.Errorf("_last-serial %d but header %d", page.Meta.LastSerial, serialHeader(t, resp))
	}

	// The file and its metadata, by the page's relative URL.
	ref, err := url.Parse(f0.URL)
	if err != nil {
		t.Fatal(err)
	}
	fileURL := (&url.URL{Path: "/simple/demo-pkg/"}).ResolveReference(ref).Path
	resp = e.request(http.MethodGet, fileURL, nil)
	whl := readBody(t, resp)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || resp.Header.Get("Content-Length") != strconv.Itoa(len(whl)) || int64(len(whl)) != f0.Size {
		t.Fatalf("file: %d %v (%d bytes)", resp.StatusCode, resp.Header, len(whl))
	}
	resp = e.request(http.MethodGet, fileURL+".metadata", nil)
	meta := readBody(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(meta, "Name: Demo_Pkg") {
		t.Fatalf("metadata: %d %q", resp.StatusCode, meta)
	}
	resp = e.request(http.MethodGet, fileURL, nil, "Range: bytes=10-19")
	part := readBody(t, resp)
	if resp.StatusCode != http.StatusPartialContent || part != whl[10:20] || resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 10-19/%d", len(whl)) {
		t.Fatalf("range: %d %q %v", resp.StatusCode, part, resp.Header)
	}
	wrongSHA := strings.Replace(fileURL, f0.Hashes["sha256"], strings.Repeat("0", 64), 1)
	if resp := e.request(http.MethodGet, wrongSHA, nil); resp.StatusCode != 404 {
		t.Errorf("file under another sha256: %d", resp.StatusCode)
	}
}

func serialHeader(t *testing.T, resp *http.Response) int64 {
	t.Helper()
	n, err := strconv.ParseInt(resp.Header.Get("X-PyPI-Last-Serial"), 10, 64)
	if err != nil {
		t.Fatalf("X-PyPI-Last-Serial: %v", err)
	}
	return n
}

func TestSimpleRedirectAndETag(t *testing.T) {
	e := populated(t)
	for path, want := range map[string]string{
		"/simple/Demo_Pkg/":             "/simple/demo-pkg/",
		"/simple/demo.pkg/?format=json": "/simple/demo-pkg/?format=json",
		"/main/simple/DEMO-pkg/":        "/main/simple/demo-pkg/",
		"/simple/demo-pkg":              "/simple/demo-pkg/",
		"/simple":                       "/simple/",
		"/pypi/Demo_Pkg/json":           "/pypi/demo-pkg/json",
	} {
		resp := e.request(http.MethodGet, path, nil)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
			t.Errorf("%s: %d %q, want 301 %s", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	resp := e.request(http.MethodGet, "/simple/demo-pkg/", nil)
	readBody(t, resp)
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	resp = e.request(http.MethodGet, "/simple/demo-pkg/", nil, "If-None-Match: "+etag)
	if body := readBody(t, resp); resp.StatusCode != http.StatusNotModified || body != "" {
		t.Fatalf("If-None-Match: %d %q", resp.StatusCode, body)
	}
	// Another representation has another ETag.
	resp = e.request(http.MethodGet, "/simple/demo-pkg/", nil, "Accept: "+mediaJSONv1, "If-None-Match: "+etag)
	if readBody(t, resp); resp.StatusCode != 200 {
		t.Fatalf("JSON with the HTML ETag: %d", resp.StatusCode)
	}
	// A change makes a new page, ETag and serial.
	serial := serialHeader(t, resp)
	e.mustUpload(wheelName("Demo_Pkg", "3.0"), makeWheel(t, "Demo_Pkg", "3.0", wheelOpts{}))
	resp = e.request(http.MethodGet, "/simple/demo-pkg/", nil, "If-None-Match: "+etag)
	if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, "Demo_Pkg-3.0") || serialHeader(t, resp) <= serial {
		t.Fatalf("after upload: %d, serial %d (was %d)", resp.StatusCode, serialHeader(t, resp), serial)
	}
	// gzip for clients that ask.
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/simple/demo-pkg/", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	gz, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	gz.Body.Close()
	if gz.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("no gzip: %v", gz.Header)
	}
}

func TestPrivateDistribution(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := t.Context()
	if _, err := e.svc.CreateRepository(ctx, "secret", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateDistribution(ctx, index.Distribution{BasePath: "team/secret", Repository: "secret"}); err != nil {
		t.Fatal(err)
	}
	e.upload("/team/secret/legacy/", adminSecret, form{filename: wheelName("hidden", "1.0"), content: makeWheel(t, "hidden", "1.0", wheelOpts{})})
	reader, _, _ := e.svc.CreateToken(ctx, "reader", index.ScopeRead, "secret")
	otherReader, _, _ := e.svc.CreateToken(ctx, "other", index.ScopeRead, "main")
	tests := []struct {
		name, path, auth string
		status           int
	}{
		{"anonymous", "/team/secret/simple/", "", 401},
		{"wrong token", "/team/secret/simple/", basic("wrong"), 401},
		{"token of another repository", "/team/secret/simple/hidden/", basic(otherReader), 403},
		{"reader", "/team/secret/simple/hidden/", basic(reader), 200},
		{"reader bearer", "/team/secret/simple/", "Authorization: Bearer " + reader, 200},
		{"admin", "/team/secret/simple/hidden/", basic(adminSecret), 200},
		{"anonymous JSON API", "/team/secret/pypi/hidden/json", "", 401},
		{"public main stays public", "/simple/", "", 200},
		{"main does not hold it", "/simple/hidden/", "", 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.auth != "" {
				hdr = append(hdr, tc.auth)
			}
			resp := e.request(http.MethodGet, tc.path, nil, hdr...)
			body := readBody(t, resp)
			if resp.StatusCode != tc.status {
				t.Fatalf("%d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.status == 401 && resp.Header.Get("WWW-Authenticate") != `Basic realm="pydepot"` {
				t.Errorf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
			}
			if tc.status == 200 && strings.Contains(tc.path, "hidden") && !strings.Contains(body, "hidden-1.0") {
				t.Errorf("page lacks the file: %s", body)
			}
			if tc.status == 200 && strings.HasPrefix(tc.path, "/team/") && !strings.HasPrefix(resp.Header.Get("Cache-Control"), "private") {
				t.Errorf("private page cached publicly: %q", resp.Header.Get("Cache-Control"))
			}
		})
	}
}

func TestPyPIJSON(t *testing.T) {
	e := populated(t)
	resp := e.request(http.MethodGet, "/pypi/demo-pkg/json", nil)
	var out struct {
		Info struct {
			Name, Version, Summary string
			RequiresPython         string `json:"requires_python"`
		} `json:"info"`
		LastSerial      int64                       `json:"last_serial"`
		Releases        map[string][]map[string]any `json:"releases"`
		URLs            []map[string]any            `json:"urls"`
		Vulnerabilities []any                       `json:"vulnerabilities"`
	}
	body := readBody(t, resp)
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if out.Info.Name != "Demo_Pkg" || out.Info.Version != "2.0" || out.Info.RequiresPython != ">=3.9" || out.LastSerial <= 0 || len(out.Releases) != 2 || len(out.URLs) != 1 || out.Vulnerabilities == nil {
		t.Fatalf("JSON API: %s", body)
	}
	u := out.URLs[0]
	if u["packagetype"] != "bdist_wheel" || u["python_version"] != "py3" || !strings.HasPrefix(u["url"].(string), "/packages/") || u["yanked"] != false {
		t.Errorf("url entry: %v", u)
	}
	resp = e.request(http.MethodGet, "/pypi/demo-pkg/1.0/json", nil)
	body = readBody(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(body, `"version": "1.0"`) && !strings.Contains(body, `"version":"1.0"`) {
		t.Fatalf("per version: %d %s", resp.StatusCode, body)
	}
	if resp := e.request(http.MethodGet, "/pypi/demo-pkg/9.9/json", nil); resp.StatusCode != 404 {
		t.Errorf("missing version: %d", resp.StatusCode)
	}
	resp = e.request(http.MethodGet, "/project/demo-pkg/", nil)
	if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, "Demo_Pkg-2.0-py3-none-any.whl") {
		t.Errorf("project page: %d %s", resp.StatusCode, body)
	}
}
