package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/testdist"
)

func (e *testEnv) uploadTo(repo, filename string, data []byte) *index.File {
	e.t.Helper()
	f, _, err := e.svc.Upload(context.Background(), index.Upload{Repository: repo, Filename: filename, Content: bytes.NewReader(data)})
	if err != nil {
		e.t.Fatalf("uploading %s to %s: %v", filename, repo, err)
	}
	return f
}

// guardEnv: hosted holds the internal acme-utils 1.0, mirror the public acme-utils 99.0
// and other-pkg 1.0; distribution "team", made over the API, serves hosted then mirror.
func guardEnv(t *testing.T) (*testEnv, *index.File) {
	e := newEnv(t, Config{})
	for _, r := range []string{"hosted", "mirror"} {
		if _, err := e.svc.CreateRepository(t.Context(), r, ""); err != nil {
			t.Fatal(err)
		}
	}
	e.uploadTo("hosted", wheelName("acme-utils", "1.0"), makeWheel(t, "acme-utils", "1.0", wheelOpts{}))
	public := e.uploadTo("mirror", wheelName("acme-utils", "99.0"), makeWheel(t, "acme-utils", "99.0", wheelOpts{}))
	e.uploadTo("mirror", wheelName("other-pkg", "1.0"), makeWheel(t, "other-pkg", "1.0", wheelOpts{}))
	resp := e.request("POST", "/api/distributions", strings.NewReader(
		`{"base_path":"team","public":true,"sources":[{"repository":"hosted"},{"repository":"mirror"}]}`), adminAuth)
	if body := readBody(t, resp); resp.StatusCode != http.StatusCreated || !strings.Contains(body, `"sources"`) {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	return e, public
}

const adminAuth = "Authorization: Bearer " + adminSecret

func (e *testEnv) get(path string, headers ...string) (int, string, http.Header) {
	e.t.Helper()
	var hs []string
	for _, h := range headers {
		if h != "" {
			hs = append(hs, h)
		}
	}
	resp := e.request("GET", path, nil, hs...)
	return resp.StatusCode, readBody(e.t, resp), resp.Header
}

// TestMergedViewGuardHTTP: the internal acme-utils 1.0 hides the public 99.0 in every
// form a client reads (simple HTML and JSON, project list, PyPI JSON, the file itself),
// and a real pip install through the merged distribution gets 1.0.
func TestMergedViewGuardHTTP(t *testing.T) {
	e, public := guardEnv(t)
	const jsonAccept = "Accept: application/vnd.pypi.simple.v1+json"
	for _, c := range []struct{ path, accept string }{
		{"/team/simple/acme-utils/", ""},
		{"/team/simple/acme-utils/", jsonAccept},
		{"/team/pypi/acme-utils/json", ""},
	} {
		status, body, _ := e.get(c.path, c.accept)
		if status != 200 || !strings.Contains(body, "acme_utils-1.0-") || strings.Contains(body, "99.0") {
			t.Errorf("%s %s: %d, lists 1.0: %v, lists 99.0: %v", c.path, c.accept, status, strings.Contains(body, "acme_utils-1.0-"), strings.Contains(body, "99.0"))
		}
	}
	for _, accept := range []string{"", jsonAccept} {
		status, body, _ := e.get("/team/simple/", accept)
		if status != 200 || !strings.Contains(body, "acme-utils") || !strings.Contains(body, "other-pkg") {
			t.Errorf("project list (%s): %d %s", accept, status, body)
		}
	}
	if status, _, _ := e.get("/team/files/" + public.SHA256 + "/" + public.Filename); status != 404 {
		t.Errorf("the hidden public file: %d", status)
	}
	if status, _, _ := e.get("/team/simple/other-pkg/"); status != 200 {
		t.Errorf("a project only the mirror has: %d", status)
	}

	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal(err)
	}
	target := t.TempDir()
	cmd := exec.Command(py, "-m", "pip", "install", "--no-cache-dir", "--no-deps", "--disable-pip-version-check",
		"--index-url", e.srv.URL+"/team/simple/", "--target", target, "acme-utils")
	cmd.Env = append(os.Environ(), "PIP_CONFIG_FILE=/dev/null", "PIP_FIND_LINKS=", "PIP_NO_INPUT=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pip install: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(target, "acme_utils-1.0.dist-info")); err != nil {
		got, _ := filepath.Glob(filepath.Join(target, "*.dist-info"))
		t.Fatalf("pip installed %v, want acme_utils 1.0\n%s", got, out)
	}
	// And uv.
	target = t.TempDir()
	cmd = exec.Command(testdist.Tool(t, "uv"), "pip", "install", "--no-deps", "--no-config", "--python", py,
		"--index-url", e.srv.URL+"/team/simple/", "--target", target, "acme-utils")
	cmd.Env = append(os.Environ(), "UV_CACHE_DIR="+t.TempDir(), "UV_NO_CONFIG=1")
	out, err = cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("uv pip install: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(target, "acme_utils-1.0.dist-info")); err != nil {
		got, _ := filepath.Glob(filepath.Join(target, "*.dist-info"))
		t.Fatalf("uv installed %v, want acme_utils 1.0\n%s", got, out)
	}
}

// TestMergedViewShadowHTTP: allowing the name over the API merges the files; the page's
// serial rises when the later source changes.
func TestMergedViewShadowHTTP(t *testing.T) {
	e, _ := guardEnv(t)
	resp := e.request("PATCH", "/api/distributions/team", strings.NewReader(`{"allow_shadow":["acme-utils"]}`), adminAuth)
	if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, `"acme-utils"`) || !strings.Contains(body, `"mirror"`) {
		t.Fatalf("patch: %d %s", resp.StatusCode, body)
	}
	status, body, h := e.get("/team/simple/acme-utils/")
	if status != 200 || !strings.Contains(body, "acme_utils-1.0-") || !strings.Contains(body, "acme_utils-99.0-") {
		t.Fatalf("merged page: %d %s", status, body)
	}
	serial, _ := strconv.ParseInt(h.Get("X-Pypi-Last-Serial"), 10, 64)
	e.uploadTo("mirror", wheelName("acme-utils", "100.0"), makeWheel(t, "acme-utils", "100.0", wheelOpts{}))
	_, body, h = e.get("/team/simple/acme-utils/")
	serial2, _ := strconv.ParseInt(h.Get("X-Pypi-Last-Serial"), 10, 64)
	if !strings.Contains(body, "acme_utils-100.0-") || serial2 <= serial {
		t.Errorf("after a change in the mirror: serial %d -> %d, page %s", serial, serial2, body)
	}
	var idx struct {
		Meta struct {
			LastSerial int64 `json:"_last-serial"`
		} `json:"meta"`
	}
	_, body, _ = e.get("/team/simple/", "Accept: application/vnd.pypi.simple.v1+json")
	if err := json.Unmarshal([]byte(body), &idx); err != nil || idx.Meta.LastSerial < serial2 {
		t.Errorf("list serial %d (%v), page serial %d", idx.Meta.LastSerial, err, serial2)
	}
	// Back to one repository.
	resp = e.request("PATCH", "/api/distributions/team", strings.NewReader(`{"sources":[]}`), adminAuth)
	if body := readBody(t, resp); resp.StatusCode != 200 || strings.Contains(body, `"sources"`) {
		t.Fatalf("patch to plain: %d %s", resp.StatusCode, body)
	}
	if _, body, _ := e.get("/team/simple/acme-utils/"); strings.Contains(body, "99.0") {
		t.Errorf("plain hosted distribution lists the mirror: %s", body)
	}
}

// TestBlocklistUpload: a blocked upload over the legacy API is 403, its status line and
// body naming the rule (twine prints the status line), and nothing is added.
func TestBlocklistUpload(t *testing.T) {
	e := newEnv(t, Config{})
	resp := e.request("POST", "/api/repositories/main/blocklist", strings.NewReader(`{"rule":"Evil_Pkg==1.0"}`), adminAuth)
	if body := readBody(t, resp); resp.StatusCode != 201 || !strings.Contains(body, `"evil-pkg==1.0"`) {
		t.Fatalf("block: %d %s", resp.StatusCode, body)
	}
	before := e.state("main")
	b, ct := form{filename: wheelName("evil-pkg", "1.0"), content: makeWheel(t, "evil-pkg", "1.0", wheelOpts{})}.body()
	resp = e.request("POST", "/legacy/", b, "Content-Type: "+ct, basic(adminSecret))
	body := readBody(t, resp)
	if resp.StatusCode != 403 || !strings.Contains(resp.Status, `rule "evil-pkg==1.0"`) || !strings.Contains(body, `rule "evil-pkg==1.0"`) {
		t.Errorf("blocked upload: %s %s", resp.Status, body)
	}
	if after := e.state("main"); after.String() != before.String() {
		t.Errorf("a blocked upload changed the repository: %s -> %s", before, after)
	}
	if code, _ := e.upload("/legacy/", adminSecret, form{filename: wheelName("evil-pkg", "1.1"), content: makeWheel(t, "evil-pkg", "1.1", wheelOpts{})}); code != 200 {
		t.Errorf("another release: %d", code)
	}
	reader, _, _ := e.svc.CreateToken(t.Context(), "reader", index.ScopeRead, "main")
	if resp := e.request("POST", "/api/repositories/main/blocklist", strings.NewReader(`{"rule":"x"}`), "Authorization: Bearer "+reader); resp.StatusCode != 403 {
		t.Errorf("a read token adds a rule: %d", resp.StatusCode)
	}
	if status, body, _ := e.get("/api/repositories/main/blocklist", "Authorization: Bearer "+reader); status != 200 || !strings.Contains(body, "evil-pkg==1.0") {
		t.Errorf("list: %d %s", status, body)
	}
	if resp := e.request("DELETE", "/api/repositories/main/blocklist?rule=evil-pkg%3D%3D1.0.0", nil, adminAuth); resp.StatusCode != 204 {
		t.Errorf("unblock in another spelling: %d %s", resp.StatusCode, readBody(t, resp))
	}
}

// TestBlocklistTwine: the real twine, without --verbose, shows the rule that refused the
// upload (it prints the status line's reason phrase).
func TestBlocklistTwine(t *testing.T) {
	tw := twine(t)
	e := newEnv(t, Config{})
	if _, err := e.svc.Block(t.Context(), "main", "wheel==0.38.4"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	whl := filepath.Join(dir, "wheel-0.38.4-py3-none-any.whl")
	if err := os.WriteFile(whl, readFile(t, "/usr/share/python-wheels/wheel-0.38.4-py3-none-any.whl"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tw, "upload", "--non-interactive", "--disable-progress-bar", "--repository-url", e.srv.URL+"/legacy/", "-u", "__token__", "-p", adminSecret, whl)
	cmd.Env = append(os.Environ(), "HOME="+dir, "TWINE_CERT=")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "403") || !strings.Contains(string(out), `rule "wheel==0.38.4"`) {
		t.Fatalf("twine upload of a blocked file: %v\n%s", err, out)
	}
}
