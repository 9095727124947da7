package testserver

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// A started server has the defaults and the admin token, serves what Setup uploaded,
// and passes its requests through Wrap.
func TestStart(t *testing.T) {
	const whl = "/usr/share/python-wheels/wheel-0.38.4-py3-none-any.whl"
	wrapped := 0
	srv := Start(t, Options{Setup: UploadFiles("main", whl), Wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { wrapped++; h.ServeHTTP(w, r) })
	}})
	if srv.Admin == "" {
		t.Fatal("no admin token")
	}
	resp, err := srv.Client().Get(srv.URL + "/simple/wheel/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "wheel-0.38.4-py3-none-any.whl") || wrapped != 1 {
		t.Errorf("GET /simple/wheel/: %d, wrapped %d\n%s", resp.StatusCode, wrapped, body)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/tokens", nil)
	req.Header.Set("Authorization", "Bearer "+srv.Admin)
	resp, err = srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api/tokens as admin: %d", resp.StatusCode)
	}
}
