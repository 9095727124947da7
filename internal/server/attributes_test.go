package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/index"
)

// TestPinnedDistributionKeepsAttributes: a distribution pinned to a version of main
// serves the same simple pages (HTML and JSON, index and project), byte for byte, after
// the project is uploaded to repository b under another spelling and quarantined there;
// b serves its own name and status.
func TestPinnedDistributionKeepsAttributes(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := t.Context()
	e.mustUpload(wheelName("Attr_Demo", "1.0"), makeWheel(t, "Attr_Demo", "1.0", wheelOpts{}))
	admin := "Authorization: Bearer " + adminSecret
	put := func(path, body string) (int, string) {
		resp := e.request(http.MethodPut, path, strings.NewReader(body), admin, "Content-Type: application/json")
		return resp.StatusCode, readBody(t, resp)
	}
	if code, body := put("/api/repositories/main/projects/Attr_Demo/status", `{"status":"deprecated","reason":"use <other>"}`); code != 200 {
		t.Fatalf("setting the status: %d %s", code, body)
	}
	r, _ := e.svc.Repository(ctx, "main")
	pin := r.Latest
	if _, err := e.svc.CreateDistribution(ctx, index.Distribution{BasePath: "pinned", Repository: "main", Pinned: &pin}); err != nil {
		t.Fatal(err)
	}
	pages := []struct{ path, accept string }{
		{"/pinned/simple/", "text/html"},
		{"/pinned/simple/", "application/vnd.pypi.simple.v1+json"},
		{"/pinned/simple/attr-demo/", "text/html"},
		{"/pinned/simple/attr-demo/", "application/vnd.pypi.simple.v1+json"},
		{"/main/simple/attr-demo/", "text/html"},
	}
	get := func(path, accept string) string {
		resp := e.request(http.MethodGet, path, nil, admin, "Accept: "+accept)
		body := readBody(t, resp)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		return body
	}
	before := map[string]string{}
	for _, p := range pages {
		before[p.path+" "+p.accept] = get(p.path, p.accept)
	}
	for _, want := range []string{"Links for Attr_Demo", `content="deprecated"`, `name="pypi:project-status-reason" content="use &lt;other&gt;"`} {
		if !strings.Contains(before["/pinned/simple/attr-demo/ text/html"], want) {
			t.Errorf("pinned page lacks %s:\n%s", want, before["/pinned/simple/attr-demo/ text/html"])
		}
	}
	if j := before["/pinned/simple/attr-demo/ application/vnd.pypi.simple.v1+json"]; !strings.Contains(j, `"project-status":{"status":"deprecated","reason":"use \u003cother\u003e"}`) {
		t.Errorf("pinned JSON page: %s", j)
	}

	if _, err := e.svc.CreateRepository(ctx, "b", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateDistribution(ctx, index.Distribution{BasePath: "b", Repository: "b"}); err != nil {
		t.Fatal(err)
	}
	fn := wheelName("ATTR_DEMO", "2.0")
	if code, body := e.upload("/b/legacy/", adminSecret, form{filename: fn, content: makeWheel(t, "ATTR_DEMO", "2.0", wheelOpts{})}); code != 200 {
		t.Fatalf("upload to b: %d %s", code, body)
	}
	if code, body := put("/api/repositories/b/projects/attr-demo/status", `{"status":"quarantined","reason":"malware"}`); code != 200 || !strings.Contains(body, `"changed": true`) {
		t.Fatalf("quarantining in b: %d %s", code, body)
	}
	for _, p := range pages {
		if got := get(p.path, p.accept); got != before[p.path+" "+p.accept] {
			t.Errorf("GET %s (%s) changed with b's changes:\n%s\nwas:\n%s", p.path, p.accept, got, before[p.path+" "+p.accept])
		}
	}
	bPage := get("/b/simple/attr-demo/", "text/html")
	if !strings.Contains(bPage, "Links for ATTR_DEMO") || !strings.Contains(bPage, `content="quarantined"`) || strings.Contains(bPage, fn) {
		t.Errorf("b's page:\n%s", bPage)
	}
}

// TestSetStatusAPI: the status endpoint needs an admin token of the repository, refuses
// statuses PEP 792 does not define, and makes no version when nothing changes.
func TestSetStatusAPI(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := t.Context()
	e.mustUpload(wheelName("demo", "1.0"), makeWheel(t, "demo", "1.0", wheelOpts{}))
	uploader, _, _ := e.svc.CreateToken(ctx, "uploader", index.ScopeUpload, "main")
	bearer := func(tok string) string { return "Authorization: Bearer " + tok }
	tests := []struct {
		name, path, body, auth string
		status                 int
		contains               string
	}{
		{"no token", "/api/repositories/main/projects/demo/status", `{"status":"archived"}`, "", 401, ""},
		{"upload scope", "/api/repositories/main/projects/demo/status", `{"status":"archived"}`, bearer(uploader), 403, ""},
		{"unknown status", "/api/repositories/main/projects/demo/status", `{"status":"retired"}`, bearer(adminSecret), 400, "PEP 792"},
		{"unknown field", "/api/repositories/main/projects/demo/status", `{"state":"archived"}`, bearer(adminSecret), 400, "state"},
		{"unknown project", "/api/repositories/main/projects/nope/status", `{"status":"archived"}`, bearer(adminSecret), 404, ""},
		{"unknown repository", "/api/repositories/nope/projects/demo/status", `{"status":"archived"}`, bearer(adminSecret), 404, ""},
		{"archive", "/api/repositories/main/projects/demo/status", `{"status":"archived"}`, bearer(adminSecret), 200, `"changed": true`},
		{"archive again", "/api/repositories/main/projects/demo/status", `{"status":"archived"}`, bearer(adminSecret), 200, `"changed": false`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hdr := []string{"Content-Type: application/json"}
			if tc.auth != "" {
				hdr = append(hdr, tc.auth)
			}
			resp := e.request(http.MethodPut, tc.path, strings.NewReader(tc.body), hdr...)
			body := readBody(t, resp)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.contains) {
				t.Errorf("%d %s, want %d containing %q", resp.StatusCode, body, tc.status, tc.contains)
			}
		})
	}
	vs, _ := e.svc.Versions(ctx, "main")
	if len(vs) != 3 {
		t.Errorf("%d versions, want 3 (create, upload, archive): %s", len(vs), fmt.Sprint(vs))
	}
	resp := e.request(http.MethodGet, "/main/simple/demo/", nil, bearer(adminSecret), "Accept: application/vnd.pypi.simple.v1+json")
	if body := readBody(t, resp); !strings.Contains(body, `"project-status":{"status":"archived"}`) {
		t.Errorf("page after archiving: %s", body)
	}
	// PEP 792: no new files for an archived project (400, as PyPI answers).
	code, body := e.upload("/legacy/", adminSecret, form{filename: wheelName("demo", "2.0"), content: makeWheel(t, "demo", "2.0", wheelOpts{})})
	if code != http.StatusBadRequest || !strings.Contains(body, "archived") {
		t.Errorf("upload to an archived project: %d %s", code, body)
	}
}
