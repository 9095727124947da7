package client

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/buildinfo"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/server/wire"
	"github.com/pydepot/pydepot/internal/testserver"
)

const admin = "client-test-admin"

// realServer runs the real stack on temp storage.
func realServer(t *testing.T) *httptest.Server {
	t.Helper()
	return testserver.Start(t, testserver.Options{Admin: admin}).Server
}

func wheelCopy(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("/usr/share/python-wheels/wheel-0.38.4-py3-none-any.whl")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "wheel-0.38.4-py3-none-any.whl")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestClientAgainstServer(t *testing.T) {
	srv := realServer(t)
	ctx := t.Context()
	c := New(srv.URL, admin, srv.Client())
	var warn bytes.Buffer
	c.Warnings = &warn

	if v, err := c.ServerVersion(ctx); err != nil || v != buildinfo.Version {
		t.Fatalf("ServerVersion: %q %v", v, err)
	}
	if _, err := c.CreateRepository(ctx, "team", "the team's packages"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRepository(ctx, "team", ""); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("duplicate repository: %v", err)
	}
	whl := wheelCopy(t)
	res, err := c.Upload(ctx, "team", whl)
	if err != nil || res.Existed || res.Project != "wheel" || res.Version != "0.38.4" || res.RepositoryVersion != 1 {
		t.Fatalf("Upload: %+v %v", res, err)
	}
	if res, err := c.Upload(ctx, "team", whl); err != nil || !res.Existed || res.RepositoryVersion != 0 {
		t.Fatalf("re-Upload: %+v %v", res, err)
	}
	if ps, err := c.Projects(ctx, "team"); err != nil || len(ps) != 1 || ps[0].Name != "wheel" {
		t.Fatalf("Projects: %+v %v", ps, err)
	}
	if _, err := c.Projects(ctx, "nope"); !IsNotFound(err) {
		t.Fatalf("Projects of a missing repository: %v", err)
	}
	// The legacy API's answer says what the upload did, in headers (twine reads none).
	if res, err := c.UploadLegacy(ctx, "", whl); err != nil || res.Existed || res.RepositoryVersion != 1 || res.Filename != filepath.Base(whl) {
		t.Fatalf("UploadLegacy: %+v %v", res, err)
	}
	if res, err := c.UploadLegacy(ctx, "", whl); err != nil || !res.Existed || res.RepositoryVersion != 0 {
		t.Fatalf("UploadLegacy again: %+v %v", res, err)
	}
	rs, err := c.Repositories(ctx)
	if err != nil || len(rs) != 2 {
		t.Fatalf("Repositories: %+v %v", rs, err)
	}
	if r, err := c.Repository(ctx, "team"); err != nil || r.Latest != 1 {
		t.Fatalf("Repository: %+v %v", r, err)
	}
	if err := c.Yank(ctx, "team", "wheel", "0.38.4", "bad"); err != nil {
		t.Fatal(err)
	}
	if err := c.Unyank(ctx, "team", "wheel", "0.38.4"); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(ctx, "team", "wheel", "0.38.4", "wheel-0.38.4-py3-none-any.whl"); err != nil {
		t.Fatal(err)
	}
	vs, err := c.Versions(ctx, "team")
	if err != nil || len(vs) != 5 {
		t.Fatalf("Versions: %+v %v", vs, err)
	}
	if v, err := c.Rollback(ctx, "team", 1); err != nil || v.Number != 5 || v.Files != 1 {
		t.Fatalf("Rollback: %+v %v", v, err)
	}
	d, err := c.CreateDistribution(ctx, wire.Distribution{BasePath: "team/dev", Repository: "team"})
	if err != nil || d.Public {
		t.Fatalf("CreateDistribution: %+v %v", d, err)
	}
	pin, public := 1, true
	if d, err := c.UpdateDistribution(ctx, "team/dev", wire.DistributionUpdate{Pinned: &pin, Public: &public}); err != nil || *d.Pinned != 1 || !d.Public {
		t.Fatalf("UpdateDistribution: %+v %v", d, err)
	}
	if d, err := c.Distribution(ctx, "team/dev"); err != nil || d.Repository != "team" {
		t.Fatalf("Distribution: %+v %v", d, err)
	}
	if ds, err := c.Distributions(ctx); err != nil || len(ds) != 2 {
		t.Fatalf("Distributions: %+v %v", ds, err)
	}
	if ic, err := c.ImportCandidates(ctx, "wheel", "team/dev"); err != nil || len(ic.Projects) != 1 || ic.Projects[0] != "wheel" {
		t.Fatalf("ImportCandidates: %+v %v", ic, err)
	}
	if err := c.DeleteDistribution(ctx, "team/dev"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Distribution(ctx, "team/dev"); !IsNotFound(err) {
		t.Fatalf("deleted distribution: %v", err)
	}
	tok, err := c.CreateToken(ctx, wire.TokenCreate{Name: "ci", Scope: "upload", Repository: "team"})
	if err != nil || tok.Token == "" || tok.Stored.Scope != "upload" {
		t.Fatalf("CreateToken: %+v %v", tok, err)
	}
	scoped := New(srv.URL, tok.Token, srv.Client())
	if _, err := scoped.Projects(ctx, "main"); !errors.Is(err, errs.ErrForbidden) {
		t.Fatalf("projects with a token for another repository: %v", err)
	}
	if _, err := scoped.Upload(ctx, "main", whl); !errors.Is(err, errs.ErrForbidden) {
		t.Fatalf("upload with a token for another repository: %v", err)
	}
	if _, err := New(srv.URL, "", nil).Repositories(ctx); !errors.Is(err, errs.ErrUnauthorized) || !strings.Contains(err.Error(), "token") {
		t.Fatalf("anonymous listing: %v", err)
	}
	ts, err := c.Tokens(ctx)
	if err != nil || len(ts) != 2 {
		t.Fatalf("Tokens: %+v %v", ts, err)
	}
	if err := c.RevokeToken(ctx, tok.Stored.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := scoped.Repositories(ctx); !errors.Is(err, errs.ErrUnauthorized) {
		t.Fatalf("revoked token still works: %v", err)
	}
	if warn.Len() != 0 {
		t.Errorf("warning with matching versions: %s", warn.String())
	}
}

func TestClientVersionMismatchWarnsOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(wire.VersionHeader) != buildinfo.Version {
			t.Errorf("client sent version %q", r.Header.Get(wire.VersionHeader))
		}
		w.Header().Set(wire.VersionHeader, "99.0.0")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"version":"99.0.0"}`))
	}))
	defer srv.Close()
	c := New(srv.URL, "", nil)
	var warn bytes.Buffer
	c.Warnings = &warn
	for range 3 {
		if _, err := c.ServerVersion(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Count(warn.String(), "warning") != 1 || !strings.Contains(warn.String(), srv.URL+"/api/client") || !strings.Contains(warn.String(), "99.0.0") {
		t.Fatalf("warning: %q", warn.String())
	}
}

func TestClientErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "plain text refusal", http.StatusRequestEntityTooLarge)
	}))
	defer srv.Close()
	err := New(srv.URL, "", nil).DeleteDistribution(t.Context(), "x")
	if !errors.Is(err, errs.ErrTooLarge) || !strings.Contains(err.Error(), "plain text refusal") {
		t.Fatalf("error: %v", err)
	}
	if _, err := New(srv.URL, "", nil).Upload(t.Context(), "main", "/nonexistent/foo-1.0.tar.gz"); err == nil {
		t.Fatal("upload of a missing file succeeded")
	}
	// A missing file is missing, whatever its name: not a file name error.
	if _, err := New(srv.URL, "", nil).Upload(t.Context(), "main", "missing.whl"); !errors.Is(err, os.ErrNotExist) || strings.Contains(err.Error(), "file name") {
		t.Fatalf("upload of a missing badly named file: %v", err)
	}
	if _, err := New(srv.URL, "", nil).Upload(t.Context(), "main", "/etc/passwd"); err == nil || !strings.Contains(err.Error(), "not a wheel or sdist") {
		t.Fatalf("upload of a non-distribution: %v", err)
	}
}
