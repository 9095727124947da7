package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/server/wire"

	"github.com/pydepot/pydepot/internal/testdist"
)

// corpus is the set of real distributions the index tests upload: Debian's own wheels,
// wheels rebuilt from the pip-installed jinja2 and markupsafe (real Requires-Dist), and a
// project built with `python3 -m build` that depends on jinja2.
type corpus struct {
	files  []string // files that Debian's twine can upload
	modern []string // files with Metadata-Version 2.3+, which Debian's twine 4.0 (pkginfo 1.8) rejects: uploaded with `pydepot upload`
	app    string   // the built wheel of app-one
	sdist  string   // its sdist
}

// upload sends the corpus: twine for what it can read, pydepot's own client for the rest.
func (c corpus) upload(t *testing.T, s *server) {
	t.Helper()
	if out, err := twineUpload(t, s, s.Token, c.files...); err != nil {
		t.Fatalf("twine upload: %v\n%s", err, out)
	}
	pydepotUpload(t, s, c.modern...)
}

// pydepotUpload uploads files with `pydepot upload`.
func pydepotUpload(t *testing.T, s *server, files ...string) {
	t.Helper()
	if len(files) == 0 {
		return
	}
	run(t, "", []string{"PYDEPOT_URL=" + s.URL, "PYDEPOT_TOKEN=" + s.Token}, pydepotBin(t), append([]string{"upload"}, files...)...)
}

func buildCorpus(t *testing.T) corpus {
	t.Helper()
	dir := t.TempDir()
	var c corpus
	for _, name := range []string{"Jinja2", "MarkupSafe"} {
		di, err := testdist.FindDistInfo(testdist.SitePackages, name)
		if err != nil {
			t.Fatal(err)
		}
		whl, err := testdist.Rebuild(di, dir)
		if err != nil {
			t.Fatal(err)
		}
		c.modern = append(c.modern, whl)
	}
	debs, _ := filepath.Glob(filepath.Join(testdist.DebianWheels, "*.whl"))
	if len(debs) == 0 {
		t.Fatalf("no wheels in %s", testdist.DebianWheels)
	}
	c.files = append(c.files, debs...)
	whl, sdist, err := testdist.BuildProject(dir, testdist.SimpleProject("app-one", "1.0", "jinja2>=3"))
	if err != nil {
		t.Fatal(err)
	}
	c.app, c.sdist = whl, sdist
	c.files = append(c.files, whl, sdist)
	// A chain whose metadata (2.1, from Debian's setuptools) every client here can read.
	for _, p := range []map[string]string{
		testdist.SimpleProject("lib-two", "2.0"),
		testdist.SimpleProject("app-two", "1.0", "lib-two>=2"),
	} {
		whl, sdist, err := testdist.BuildProject(dir, p)
		if err != nil {
			t.Fatal(err)
		}
		c.files = append(c.files, whl, sdist)
	}
	return c
}

func twineUpload(t *testing.T, s *server, token string, files ...string) (string, error) {
	args := append([]string{"upload", "--non-interactive", "--disable-progress-bar", "--repository-url", s.URL + "/legacy/", "-u", "__token__", "-p", token}, files...)
	return runErr("", []string{"HOME=" + t.TempDir()}, "twine", args...)
}

func TestTwineUploadThenPipInstallWithDependencies(t *testing.T) {
	needTools(t)
	s := startServer(t)
	c := buildCorpus(t)
	c.upload(t, s)

	bin := venv(t)
	out := run(t, "", pipEnv(t), filepath.Join(bin, "pip"), "install", "--index-url", s.URL+"/simple/", "app-one")
	for _, want := range []string{"app-one", "Jinja2", "MarkupSafe"} {
		if !strings.Contains(strings.ToLower(out), strings.ToLower(want)) {
			t.Errorf("pip output does not mention %s:\n%s", want, out)
		}
	}
	got := run(t, "", nil, filepath.Join(bin, "app-one-hello"))
	if strings.TrimSpace(got) != "app-one 1.0" {
		t.Fatalf("entry point printed %q", got)
	}
	run(t, "", nil, filepath.Join(bin, "python"), "-c", "import jinja2, markupsafe; print(jinja2.Template('{{x}}').render(x=1))")

	// Re-uploading identical files answers 200 and changes nothing.
	before := repoVersions(t, s)
	if out, err := twineUpload(t, s, s.Token, c.app); err != nil {
		t.Fatalf("identical re-upload failed: %v\n%s", err, out)
	}
	if after := repoVersions(t, s); after != before {
		t.Fatalf("identical re-upload made a new version: %d -> %d", before, after)
	}
}

func TestTwineSkipExistingAndConflict(t *testing.T) {
	needTools(t)
	s := startServer(t)
	dir := t.TempDir()
	whl1, _, err := testdist.BuildProject(dir, testdist.SimpleProject("clash", "1.0"))
	if err != nil {
		t.Fatal(err)
	}
	proj := testdist.SimpleProject("clash", "1.0")
	proj["clash/extra.py"] = "X = 2\n"
	whl2, _, err := testdist.BuildProject(dir, proj)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := twineUpload(t, s, s.Token, whl1); err != nil {
		t.Fatalf("upload: %v\n%s", err, out)
	}
	// --verbose makes twine print the response body, where the text --skip-existing reads is.
	out, err := twineUpload(t, s, s.Token, "--verbose", whl2)
	if err == nil || !strings.Contains(out, "400") || !strings.Contains(out, "File already exists") {
		t.Fatalf("same filename with other content: want 400 File already exists, got err=%v\n%s", err, out)
	}
	args := []string{"upload", "--skip-existing", "--non-interactive", "--disable-progress-bar", "--repository-url", s.URL + "/legacy/", "-u", "__token__", "-p", s.Token, whl2}
	if out, err := runErr("", []string{"HOME=" + t.TempDir()}, "twine", args...); err != nil {
		t.Fatalf("--skip-existing should pass: %v\n%s", err, out)
	}
	// The stored file is still the first one.
	resp, err := http.Get(s.URL + "/simple/clash/?format=application/vnd.pypi.simple.v1+json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Files []struct {
			Filename string            `json:"filename"`
			Hashes   map[string]string `json:"hashes"`
		} `json:"files"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	if len(page.Files) != 1 || page.Files[0].Hashes["sha256"] != fileSHA(t, whl1) {
		t.Fatalf("stored file changed: %+v", page.Files)
	}
	// No token, a wrong token: refused.
	if out, err := twineUpload(t, s, "pyd_wrong", whl1); err == nil {
		t.Fatalf("upload with a wrong token succeeded:\n%s", out)
	}
}

func TestPipDownloadRequireHashes(t *testing.T) {
	needTools(t)
	s := startServer(t)
	c := buildCorpus(t)
	c.upload(t, s)
	dir := t.TempDir()
	req := filepath.Join(dir, "requirements.txt")
	content := "app-one==1.0 --hash=sha256:" + fileSHA(t, c.app) + "\n"
	if err := os.WriteFile(req, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := venv(t)
	dest := filepath.Join(dir, "dl")
	run(t, "", pipEnv(t), filepath.Join(bin, "pip"), "download", "--no-deps", "--only-binary=:all:", "--require-hashes", "-r", req, "-d", dest, "--index-url", s.URL+"/simple/")
	if fileSHA(t, filepath.Join(dest, filepath.Base(c.app))) != fileSHA(t, c.app) {
		t.Fatal("downloaded bytes differ from the uploaded wheel")
	}
	// A wrong hash is refused by pip.
	bad := "app-one==1.0 --hash=sha256:" + strings.Repeat("0", 64) + "\n"
	if err := os.WriteFile(req, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runErr("", pipEnv(t), filepath.Join(bin, "pip"), "download", "--no-deps", "--require-hashes", "-r", req, "-d", t.TempDir(), "--index-url", s.URL+"/simple/"); err == nil {
		t.Fatalf("pip accepted a wrong hash:\n%s", out)
	}
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// repoVersions returns the latest version number of repository main.
func repoVersions(t *testing.T, s *server) int {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL+"/api/repositories/main", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var repo wire.Repository
	if err := json.NewDecoder(resp.Body).Decode(&repo); err != nil {
		t.Fatalf("decode /api/repositories/main: %v", err)
	}
	if repo.Name != "main" {
		t.Fatalf("/api/repositories/main answered %+v", repo)
	}
	return repo.Latest
}
