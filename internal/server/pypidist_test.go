package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/testdist"
)

// TestDistRouteWords: the first segment of every route below a base path is a word
// index.IsDistributionRoute knows, and it knows no other: the base-path check reserves
// those words and the routing of the distribution "pypi" reads them.
func TestDistRouteWords(t *testing.T) {
	var words []string
	for _, rt := range (&server{}).distRouteTable() {
		p := rt.pattern
		if _, after, ok := strings.Cut(p, " "); ok {
			p = after
		}
		w, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
		if !index.IsDistributionRoute(w) {
			t.Errorf("route %q: %q is not an index.IsDistributionRoute word", rt.pattern, w)
		}
		if !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	for _, w := range []string{"", "api", "doc", "json", "static", "main", "simple-ish", "Simple"} {
		if index.IsDistributionRoute(w) && !slices.Contains(words, w) {
			t.Errorf("index.IsDistributionRoute(%q) but no route starts with it", w)
		}
	}
	for _, w := range words {
		if err := index.CheckBasePath("a/" + w); err == nil {
			t.Errorf("CheckBasePath(a/%s) accepted a route word", w)
		}
	}
}

// xmlrpcNames posts list_packages_with_serial to path and returns the project names.
func (e *testEnv) xmlrpcNames(path string) (int, []string) {
	e.t.Helper()
	resp := e.request(http.MethodPost, path, strings.NewReader(xmlrpcCallBody("list_packages_with_serial")), "Content-Type: text/xml")
	raw := readBody(e.t, resp)
	if resp.StatusCode != 200 {
		return resp.StatusCode, nil
	}
	var out struct {
		Names []string `xml:"params>param>value>struct>member>name"`
	}
	if err := xml.Unmarshal([]byte(raw), &out); err != nil {
		e.t.Fatalf("%v: %s", err, raw)
	}
	return resp.StatusCode, out.Names
}

// pypiCase is one request of TestPyPIDistribution: the status wanted, and strings the
// body (or the Location of a redirect) must and must not hold.
type pypiCase struct {
	method, path, accept string
	want                 int
	has, hasNot          []string
}

func (e *testEnv) checkCases(t *testing.T, label string, cases []pypiCase) {
	t.Helper()
	for _, c := range cases {
		var hdr []string
		if c.accept != "" {
			hdr = append(hdr, "Accept: "+c.accept)
		}
		resp := e.request(c.method, c.path, nil, hdr...)
		body := readBody(t, resp)
		if loc := resp.Header.Get("Location"); loc != "" {
			body = "Location: " + loc + "\n" + body
		}
		if resp.StatusCode != c.want {
			t.Errorf("%s: %s %s: %d, want %d: %s", label, c.method, c.path, resp.StatusCode, c.want, body)
			continue
		}
		for _, s := range c.has {
			if !strings.Contains(body, s) {
				t.Errorf("%s: %s %s: no %q in %s", label, c.method, c.path, s, body)
			}
		}
		for _, s := range c.hasNot {
			if strings.Contains(body, s) {
				t.Errorf("%s: %s %s: %q in %s", label, c.method, c.path, s, body)
			}
		}
	}
}

// TestPyPIDistribution: a distribution named exactly pypi answers every distribution route
// below /pypi/ (/pypi/simple/, /pypi/files/, /pypi/packages/, its JSON API at
// /pypi/pypi/PROJECT/json, its XML-RPC at POST /pypi/pypi, /pypi/project/, /pypi/legacy/),
// while the root distribution keeps /pypi/PROJECT/json, /pypi/PROJECT/VERSION/json and
// POST /pypi, with the pypi distribution present and absent. The one shadowed case (the
// root's JSON API of a project named like a route word) stays reachable under /main/.
func TestPyPIDistribution(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := t.Context()
	rootWhl := makeWheel(t, "rootpkg", "1.0", wheelOpts{})
	e.mustUpload(wheelName("rootpkg", "1.0"), rootWhl)
	e.mustUpload(wheelName("simple", "1.0"), makeWheel(t, "simple", "1.0", wheelOpts{}))
	if _, err := e.svc.CreateRepository(ctx, "proxied", ""); err != nil {
		t.Fatal(err)
	}
	pypiWhl := makeWheel(t, "pypipkg", "1.0", wheelOpts{})
	sum := sha256.Sum256(pypiWhl)
	pypiSHA, pypiName := hex.EncodeToString(sum[:]), wheelName("pypipkg", "1.0")
	sum = sha256.Sum256(rootWhl)
	rootSHA, rootName := hex.EncodeToString(sum[:]), wheelName("rootpkg", "1.0")

	// The root distribution's routes, whether or not a pypi distribution exists.
	root := []pypiCase{
		{"GET", "/pypi/rootpkg/json", "", 200, []string{rootName, `"/packages/` + rootSHA}, []string{"pypipkg", "/pypi/packages/"}},
		{"GET", "/pypi/rootpkg/1.0/json", "", 200, []string{rootName}, []string{"pypipkg"}},
		{"GET", "/pypi/pypipkg/json", "", 404, nil, nil},
		{"GET", "/main/pypi/simple/json", "", 200, []string{wheelName("simple", "1.0")}, nil},
		{"GET", "/simple/", "", 200, []string{"rootpkg"}, []string{"pypipkg"}},
		{"GET", "/simple/rootpkg/", "", 200, []string{rootName}, nil},
		{"GET", "/files/" + rootSHA + "/" + rootName, "", 200, nil, nil},
		{"GET", "/packages/" + rootSHA + "/" + rootName, "", 200, nil, nil},
		{"GET", "/files/" + pypiSHA + "/" + pypiName, "", 404, nil, nil},
		{"GET", "/project/rootpkg/", "", 200, []string{"rootpkg"}, nil},
	}
	checkXMLRPC := func(label, path string, want ...string) {
		t.Helper()
		code, names := e.xmlrpcNames(path)
		slices.Sort(names)
		if code != 200 || !slices.Equal(names, want) {
			t.Errorf("%s: POST %s list_packages_with_serial: %d %v, want %v", label, path, code, names, want)
		}
	}

	// Absent: /pypi/... is all the root distribution's.
	e.checkCases(t, "absent", append(root, []pypiCase{
		{"GET", "/pypi/simple/", "", 404, nil, nil},
		{"GET", "/pypi/simple/json", "", 200, []string{wheelName("simple", "1.0")}, nil}, // root's JSON API of project "simple"
		{"GET", "/pypi/files/" + rootSHA + "/" + rootName, "", 404, nil, nil},
		{"GET", "/pypi/project/rootpkg/", "", 404, nil, nil},
	}...))
	checkXMLRPC("absent", "/pypi", "rootpkg", "simple")
	if code, body := e.upload("/pypi/legacy/", adminSecret, form{filename: pypiName, content: pypiWhl}); code != 404 {
		t.Errorf("absent: upload to /pypi/legacy/: %d %s", code, body)
	}

	if _, err := e.svc.CreateDistribution(ctx, index.Distribution{BasePath: "pypi", Repository: "proxied", Public: true}); err != nil {
		t.Fatal(err)
	}
	if code, body := e.upload("/pypi/legacy/", adminSecret, form{filename: pypiName, content: pypiWhl}); code != 200 {
		t.Fatalf("upload to /pypi/legacy/: %d %s", code, body)
	}
	if st := e.state("proxied"); len(st.files) != 1 {
		t.Fatalf("the upload to /pypi/legacy/ did not land in proxied: %s", st)
	}
	e.checkCases(t, "present", append(root, []pypiCase{
		{"GET", "/pypi/simple/", "", 200, []string{"pypipkg"}, []string{"rootpkg"}},
		{"GET", "/pypi/simple/", mediaJSONv1, 200, []string{`"pypipkg"`}, []string{"rootpkg"}},
		{"GET", "/pypi/simple", "", 301, []string{"Location: /pypi/simple/\n"}, nil},
		{"GET", "/pypi/simple/pypipkg/", "", 200, []string{pypiName, "../../files/" + pypiSHA}, nil},
		{"GET", "/pypi/simple/pypipkg/", mediaJSONv1, 200, []string{pypiName}, nil},
		{"GET", "/pypi/simple/pypipkg", "", 301, []string{"Location: /pypi/simple/pypipkg/\n"}, nil},
		{"GET", "/pypi/simple/rootpkg/", "", 404, nil, nil},
		{"GET", "/pypi/files/" + pypiSHA + "/" + pypiName, "", 200, nil, nil},
		{"GET", "/pypi/packages/" + pypiSHA + "/" + pypiName, "", 200, nil, nil},
		{"GET", "/pypi/files/" + rootSHA + "/" + rootName, "", 404, nil, nil},
		{"GET", "/pypi/pypi/pypipkg/json", "", 200, []string{pypiName, `"/pypi/packages/` + pypiSHA}, []string{"rootpkg"}},
		{"GET", "/pypi/pypi/pypipkg/1.0/json", "", 200, []string{pypiName}, nil},
		{"GET", "/pypi/pypi/rootpkg/json", "", 404, nil, nil},
		{"GET", "/pypi/project/pypipkg/", "", 200, []string{"pypipkg"}, nil},
		{"GET", "/pypi/project/pypipkg", "", 301, []string{"Location: /pypi/project/pypipkg/\n"}, nil},
		{"GET", "/pypi/project/pypipkg/1.0/", "", 200, []string{"pypipkg"}, nil},
		{"GET", "/pypi/project/pypipkg/1.0", "", 301, []string{"Location: /pypi/project/pypipkg/1.0/\n"}, nil},
		{"GET", "/pypi/legacy", "", 308, []string{"Location: /pypi/legacy/\n"}, nil},
		// The shadowed case: "simple" is a route word, so this is the pypi distribution's
		// page of a project "json", not the root's JSON API of "simple" (still at /main/).
		{"GET", "/pypi/simple/json", "", 301, []string{"Location: /pypi/simple/json/\n"}, nil},
		{"GET", "/pypi/", "", 404, nil, nil},
	}...))
	checkXMLRPC("present, root", "/pypi", "rootpkg", "simple")
	checkXMLRPC("present, pypi", "/pypi/pypi", "pypipkg")

	// A private pypi distribution wants a token for its routes, never for the root's.
	if _, err := e.svc.UpdateDistribution(ctx, "pypi", index.Distribution{Public: false}); err != nil {
		t.Fatal(err)
	}
	e.checkCases(t, "private", []pypiCase{
		{"GET", "/pypi/simple/", "", 401, nil, nil},
		{"GET", "/pypi/pypi/pypipkg/json", "", 401, nil, nil},
		{"GET", "/pypi/rootpkg/json", "", 200, []string{rootName}, nil},
	})
}

// pipInstall installs project with the pinned pip from indexURL into a new folder, which
// it returns with pip's output.
func pipInstall(t *testing.T, indexURL, project string) (string, string, error) {
	t.Helper()
	target := t.TempDir()
	cmd := exec.Command(testdist.Tool(t, "pip"), "install", "--no-cache-dir", "--no-deps", "--disable-pip-version-check",
		"--index-url", indexURL, "--target", target, project)
	cmd.Env = append(os.Environ(), "PIP_CONFIG_FILE=/dev/null", "PIP_FIND_LINKS=", "PIP_NO_INPUT=1")
	out, err := cmd.CombinedOutput()
	return target, string(out), err
}

// TestPyPIDistributionClients: the real pip installs through /pypi/simple/ and the real
// twine uploads to /pypi/legacy/ once a distribution pypi exists (and both fail before),
// while pip through /simple/ still gets the root distribution's projects only.
func TestPyPIDistributionClients(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := t.Context()
	e.mustUpload(wheelName("rootpkg", "1.0"), makeWheel(t, "rootpkg", "1.0", wheelOpts{}))
	if _, err := e.svc.CreateRepository(ctx, "proxied", ""); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	whl := filepath.Join(dir, wheelName("pypipkg", "1.0"))
	if err := os.WriteFile(whl, makeWheel(t, "pypipkg", "1.0", wheelOpts{}), 0o644); err != nil {
		t.Fatal(err)
	}
	twineUpload := func() (string, error) {
		cmd := exec.Command(testdist.Tool(t, "twine"), "upload", "--non-interactive", "--disable-progress-bar",
			"--repository-url", e.srv.URL+"/pypi/legacy/", "-u", "__token__", "-p", adminSecret, whl)
		cmd.Env = append(os.Environ(), "HOME="+dir, "TWINE_CERT=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := twineUpload(); err == nil {
		t.Fatalf("twine upload to /pypi/legacy/ without a pypi distribution succeeded:\n%s", out)
	}
	if _, out, err := pipInstall(t, e.srv.URL+"/pypi/simple/", "rootpkg"); err == nil {
		t.Fatalf("pip through /pypi/simple/ without a pypi distribution succeeded:\n%s", out)
	}

	if _, err := e.svc.CreateDistribution(ctx, index.Distribution{BasePath: "pypi", Repository: "proxied", Public: true}); err != nil {
		t.Fatal(err)
	}
	if out, err := twineUpload(); err != nil {
		t.Fatalf("twine upload to /pypi/legacy/: %v\n%s", err, out)
	}
	if st := e.state("proxied"); len(st.files) != 1 {
		t.Fatalf("after twine upload to /pypi/legacy/: %s", st)
	}
	target, out, err := pipInstall(t, e.srv.URL+"/pypi/simple/", "pypipkg")
	if err != nil {
		t.Fatalf("pip install through /pypi/simple/: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(target, "pypipkg-1.0.dist-info")); err != nil {
		t.Fatalf("pip did not install pypipkg 1.0:\n%s", out)
	}
	if _, out, err := pipInstall(t, e.srv.URL+"/pypi/simple/", "rootpkg"); err == nil {
		t.Errorf("pip got the root distribution's rootpkg through /pypi/simple/:\n%s", out)
	}
	target, out, err = pipInstall(t, e.srv.URL+"/simple/", "rootpkg")
	if err != nil {
		t.Fatalf("pip install through /simple/: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(target, "rootpkg-1.0.dist-info")); err != nil {
		t.Fatalf("pip did not install rootpkg 1.0:\n%s", out)
	}
}
