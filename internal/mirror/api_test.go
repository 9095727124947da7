package mirror_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/httpclient"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/testserver"
)

// TestRemotesAPI: the remotes endpoints want a server admin, never send a secret back,
// and answer bad settings with 400; the sync endpoint wants admin on the repository.
func TestRemotesAPI(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t, testserver.Options{})
	repoAdmin, _, err := srv.Service.CreateToken(ctx, "repo-admin", index.ScopeAdmin, "main")
	if err != nil {
		t.Fatal(err)
	}
	uploader, _, err := srv.Service.CreateToken(ctx, "uploader", index.ScopeUpload, "")
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, token, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, method, srv.URL+path, strings.NewReader(body))
		if token != "" {
			req.SetBasicAuth("__token__", token)
		}
		resp, err := httpclient.New(time.Minute).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	create := `{"name": "up", "url": "https://pypi.example/simple", "username": "me", "password": "s3cret-pass", "ca_cert": null}`
	for _, tc := range []struct {
		method, path, token, body string
		status                    int
		want                      string
	}{
		{"POST", "/api/remotes", "", create, 401, "token"},
		{"POST", "/api/remotes", repoAdmin, create, 403, ""},
		{"POST", "/api/remotes", srv.Admin, `{"name": "up"}`, 400, "URL"},
		{"POST", "/api/remotes", srv.Admin, `{"name": "up", "url": "https://x/simple/", "policy": "never"}`, 400, "policy"},
		{"POST", "/api/remotes", srv.Admin, `{"name": "up", "url": "https://x/simple/", "bogus": 1}`, 400, "bogus"},
		{"POST", "/api/remotes", srv.Admin, create, 201, `"has_password": true`},
		{"POST", "/api/remotes", srv.Admin, create, 409, "exists"},
		{"GET", "/api/remotes/up", srv.Admin, "", 200, `"url": "https://pypi.example/simple/"`},
		{"GET", "/api/remotes", repoAdmin, "", 403, ""},
		{"PATCH", "/api/remotes/up", srv.Admin, `{"token": "tok-123", "username": ""}`, 200, `"has_token": true`},
		{"PATCH", "/api/remotes/nope", srv.Admin, `{"policy": "on_demand"}`, 404, ""},
		{"POST", "/api/repositories/main/sync", uploader, `{"remote": "up"}`, 403, ""},
		{"POST", "/api/repositories/main/sync", srv.Admin, `{"remote": "nope"}`, 404, "nope"},
		{"POST", "/api/repositories/none/sync", srv.Admin, `{"remote": "up"}`, 404, ""},
		{"DELETE", "/api/remotes/up", repoAdmin, "", 403, ""},
		{"DELETE", "/api/remotes/up", srv.Admin, "", 204, ""},
		{"GET", "/api/remotes/up", srv.Admin, "", 404, ""},
	} {
		status, body := call(tc.method, tc.path, tc.token, tc.body)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s %s: %d %s\nwant %d with %q", tc.method, tc.path, status, body, tc.status, tc.want)
		}
		if strings.Contains(body, "s3cret-pass") || strings.Contains(body, "tok-123") {
			t.Errorf("%s %s sent a secret back: %s", tc.method, tc.path, body)
		}
	}
}
