package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/server/wire"
)

// TestLifecycleAPI: diff answers readers with the files that changed, bad version
// numbers are 400 and reclaimed or missing ones 404; retain is for admins only and its dry
// run changes nothing; a pinned distribution moved to another repository without a new
// pin is refused.
func TestLifecycleAPI(t *testing.T) {
	e := populated(t) // main: versions 1 to 3
	ctx := t.Context()
	uploader, _, _ := e.svc.CreateToken(ctx, "uploader", index.ScopeUpload, "main")
	admin := "Authorization: Bearer " + adminSecret
	resp := e.request(http.MethodGet, "/api/repositories/main/diff?from=1&to=3", nil, admin)
	var d wire.VersionDiff
	if err := json.Unmarshal([]byte(readBody(t, resp)), &d); err != nil || resp.StatusCode != 200 ||
		len(d.Added) != 2 || d.Added[0].Filename != wheelName("Demo_Pkg", "2.0") || d.Removed == nil {
		t.Fatalf("diff 1 3: %d %+v %v", resp.StatusCode, d, err)
	}
	for _, tc := range []struct {
		query string
		code  int
	}{{"from=1", 400}, {"from=x&to=1", 400}, {"from=-1&to=1", 400}, {"from=1&to=9", 404}} {
		if resp := e.request(http.MethodGet, "/api/repositories/main/diff?"+tc.query, nil, admin); resp.StatusCode != tc.code {
			t.Errorf("diff?%s: %d, want %d", tc.query, resp.StatusCode, tc.code)
		}
	}
	retain := func(auth, body string) (int, wire.RetainReport) {
		resp := e.request(http.MethodPost, "/api/repositories/main/retain", strings.NewReader(body), auth, "Content-Type: application/json")
		var rep wire.RetainReport
		raw := readBody(t, resp)
		if resp.StatusCode == 200 {
			if err := json.Unmarshal([]byte(raw), &rep); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, rep
	}
	if code, _ := retain("Authorization: Bearer "+uploader, `{"keep": 1}`); code != http.StatusForbidden {
		t.Errorf("retain with an upload token: %d", code)
	}
	if code, _ := retain(admin, `{"keep": 0}`); code != http.StatusBadRequest {
		t.Errorf("retain keep 0: %d", code)
	}
	if code, rep := retain(admin, `{"keep": 1, "dry_run": true}`); code != 200 || !rep.DryRun || len(rep.Removed) != 2 {
		t.Errorf("dry run: %d %+v", code, rep)
	}
	if code, rep := retain(admin, `{"keep": 2}`); code != 200 || len(rep.Removed) != 1 || rep.Removed[0] != 1 || rep.Files != 0 {
		t.Errorf("retain keep 2: %d %+v", code, rep)
	}
	if resp := e.request(http.MethodGet, "/api/repositories/main/diff?from=1&to=3", nil, admin); resp.StatusCode != 404 {
		t.Errorf("diff with reclaimed version 1: %d", resp.StatusCode)
	}

	two := 2
	if _, err := e.svc.CreateRepository(ctx, "staging", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateDistribution(ctx, index.Distribution{BasePath: "prod", Repository: "main", Pinned: &two, Public: true}); err != nil {
		t.Fatal(err)
	}
	patch := func(body string) int {
		resp := e.request(http.MethodPatch, "/api/distributions/prod", strings.NewReader(body), admin, "Content-Type: application/json")
		readBody(t, resp)
		return resp.StatusCode
	}
	if code := patch(`{"repository": "staging"}`); code != http.StatusBadRequest {
		t.Errorf("moving pinned prod to staging without a pin: %d, want 400", code)
	}
	if code := patch(`{"repository": "staging", "pinned_version": 0}`); code != 200 {
		t.Errorf("promoting staging 0 to prod: %d", code)
	}
}
