package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/buildinfo"
	"github.com/pydepot/pydepot/internal/index"
)

func TestAPIAccess(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := t.Context()
	e.mustUpload(wheelName("demo", "1.0"), makeWheel(t, "demo", "1.0", wheelOpts{}))
	if _, err := e.svc.CreateRepository(ctx, "other", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateDistribution(ctx, index.Distribution{BasePath: "hidden", Repository: "other"}); err != nil {
		t.Fatal(err)
	}
	reader, _, _ := e.svc.CreateToken(ctx, "reader", index.ScopeRead, "main")
	uploader, _, _ := e.svc.CreateToken(ctx, "uploader", index.ScopeUpload, "main")
	repoAdmin, _, _ := e.svc.CreateToken(ctx, "repo-admin", index.ScopeAdmin, "main")
	bearer := func(tok string) string { return "Authorization: Bearer " + tok }
	tests := []struct {
		name, method, path, body, auth string
		status                         int
		contains                       string
	}{
		{"version anonymous", "GET", "/api/version", "", "", 200, `"version": "` + buildinfo.Version + `"`},
		{"repositories need a token", "GET", "/api/repositories", "", "", 401, "token"},
		{"repositories filtered by scope", "GET", "/api/repositories", "", bearer(reader), 200, `"name": "main"`},
		{"repository of another scope", "GET", "/api/repositories/other", "", bearer(reader), 403, "does not grant read"},
		{"missing repository", "GET", "/api/repositories/nope", "", bearer(adminSecret), 404, "nope"},
		{"create repository needs admin", "POST", "/api/repositories", `{"name":"x"}`, bearer(repoAdmin), 403, ""},
		{"create repository", "POST", "/api/repositories", `{"name":"made","description":"d"}`, bearer(adminSecret), 201, `"name": "made"`},
		{"create repository twice", "POST", "/api/repositories", `{"name":"made"}`, bearer(adminSecret), 409, ""},
		{"bad JSON", "POST", "/api/repositories", `{"name":`, bearer(adminSecret), 400, "JSON"},
		{"unknown field", "POST", "/api/repositories", `{"nom":"x"}`, bearer(adminSecret), 400, "nom"},
		{"versions", "GET", "/api/repositories/main/versions", "", bearer(reader), 200, `"number": 1`},
		{"yank needs upload", "POST", "/api/repositories/main/projects/demo/versions/1.0/yank", `{"reason":"x"}`, bearer(reader), 403, ""},
		{"yank", "POST", "/api/repositories/main/projects/Demo/versions/1.0/yank", `{"reason":"broken"}`, bearer(uploader), 200, `"changed": 1`},
		{"unyank", "POST", "/api/repositories/main/projects/demo/versions/1.0/unyank", "", bearer(uploader), 200, `"yanked": false`},
		{"yank missing", "POST", "/api/repositories/main/projects/demo/versions/9.0/yank", "", bearer(uploader), 404, ""},
		{"remove needs admin", "DELETE", "/api/repositories/main/projects/demo/versions/1.0", "", bearer(uploader), 403, ""},
		{"rollback needs admin", "POST", "/api/repositories/main/rollback", `{"to":1}`, bearer(uploader), 403, ""},
		{"rollback by repository admin", "POST", "/api/repositories/main/rollback", `{"to":1}`, bearer(repoAdmin), 200, `"number": 4`},
		{"distributions anonymous: public only", "GET", "/api/distributions", "", "", 200, `"base_path": "main"`},
		{"private distribution anonymous", "GET", "/api/distributions/hidden", "", "", 401, ""},
		{"private distribution other token", "GET", "/api/distributions/hidden", "", bearer(reader), 404, ""},
		{"private distribution admin", "GET", "/api/distributions/hidden", "", bearer(adminSecret), 200, `"public": false`},
		{"create nested distribution", "POST", "/api/distributions", `{"base_path":"team/dev","repository":"main","public":true}`, bearer(repoAdmin), 201, `"base_path": "team/dev"`},
		{"create distribution on other repo", "POST", "/api/distributions", `{"base_path":"o","repository":"other","public":true}`, bearer(repoAdmin), 403, ""},
		{"reserved base path", "POST", "/api/distributions", `{"base_path":"simple","repository":"main","public":true}`, bearer(adminSecret), 400, ""},
		{"pin nested distribution", "PATCH", "/api/distributions/team/dev", `{"pinned_version":1}`, bearer(repoAdmin), 200, `"pinned_version": 1`},
		{"repoint needs admin on target", "PATCH", "/api/distributions/team/dev", `{"repository":"other"}`, bearer(repoAdmin), 403, ""},
		{"pin and unpin", "PATCH", "/api/distributions/team/dev", `{"pinned_version":1,"unpin":true}`, bearer(repoAdmin), 400, ""},
		{"tokens need global admin", "GET", "/api/tokens", "", bearer(repoAdmin), 403, ""},
		{"tokens", "GET", "/api/tokens", "", bearer(adminSecret), 200, `"name": "reader"`},
		{"token bad scope", "POST", "/api/tokens", `{"name":"x","scope":"root"}`, bearer(adminSecret), 400, "scope"},
		{"token revoke bad id", "DELETE", "/api/tokens/abc", "", bearer(adminSecret), 400, ""},
		{"imports", "GET", "/api/imports/demo", "", "", 200, `"demo"`},
		{"imports private anonymous", "GET", "/api/imports/demo?distribution=hidden", "", "", 401, ""},
		{"unknown endpoint", "GET", "/api/nothing", "", "", 404, "no such API endpoint"},
		{"delete distribution", "DELETE", "/api/distributions/team/dev", "", bearer(repoAdmin), 204, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hdr := []string{"Content-Type: application/json"}
			if tc.auth != "" {
				hdr = append(hdr, tc.auth)
			}
			resp := e.request(tc.method, tc.path, strings.NewReader(tc.body), hdr...)
			body := readBody(t, resp)
			if resp.StatusCode != tc.status {
				t.Fatalf("%d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if !strings.Contains(body, tc.contains) {
				t.Errorf("body lacks %q: %s", tc.contains, body)
			}
			if resp.Header.Get("X-Pydepot-Version") != buildinfo.Version {
				t.Errorf("X-Pydepot-Version %q", resp.Header.Get("X-Pydepot-Version"))
			}
			if resp.StatusCode >= 400 {
				var we struct{ Status int }
				if json.Unmarshal([]byte(body), &we) != nil || we.Status != tc.status {
					t.Errorf("error body is not JSON with the status: %s", body)
				}
			}
		})
	}
	// The repository listing of a scoped token shows its repository only.
	resp := e.request("GET", "/api/repositories", nil, bearer(reader))
	if body := readBody(t, resp); strings.Contains(body, `"other"`) {
		t.Errorf("reader of main sees other: %s", body)
	}
}

func TestNestedDistributionRouting(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := t.Context()
	e.mustUpload(wheelName("demo", "1.0"), makeWheel(t, "demo", "1.0", wheelOpts{}))
	one := 1
	for _, d := range []index.Distribution{
		{BasePath: "team", Repository: "main", Public: true, Pinned: &one},
		{BasePath: "team/dev", Repository: "main", Public: true},
	} {
		if _, err := e.svc.CreateDistribution(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	e.mustUpload(wheelName("demo", "2.0"), makeWheel(t, "demo", "2.0", wheelOpts{}))
	for path, want := range map[string]string{
		"/team/dev/simple/demo/": "demo-2.0", // latest
		"/team/simple/demo/":     "demo-1.0", // pinned at version 1
		"/simple/demo/":          "demo-2.0",
	} {
		resp := e.request("GET", path, nil)
		body := readBody(t, resp)
		if resp.StatusCode != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, want %s: %s", path, resp.StatusCode, want, body)
		}
		if path == "/team/simple/demo/" && strings.Contains(body, "demo-2.0") {
			t.Errorf("pinned distribution shows a later file: %s", body)
		}
	}
	if resp := e.request("GET", "/team/dev/nothing", nil); resp.StatusCode != 404 {
		t.Errorf("unknown page: %d", resp.StatusCode)
	}
	resp := e.request("GET", "/", nil)
	if body := readBody(t, resp); !strings.Contains(body, "/team/dev/simple/") {
		t.Errorf("landing page: %s", body)
	}
}
