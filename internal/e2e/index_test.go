package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/pydepot/pydepot/internal/server/wire"

	"github.com/pydepot/pydepot/internal/testdist"
)

// corpus is the set of real distributions the index tests upload: wheels rebuilt from the
// pip-installed jinja2 and markupsafe (Metadata-Version 2.4, real Requires-Dist), Debian's own
// wheels, and projects built with `python3 -m build`: app-one, which depends on jinja2, and
// the chain app-two -> lib-two (Metadata 2.1, which every client here reads, poetry 1.3 too).
type corpus struct {
	files  []string // every file, uploaded with today's twine
	modern []string // the Metadata-Version 2.3+ files, which Debian's twine 4 (pkginfo 1.8) rejects
	app    string   // the built wheel of app-one
	sdist  string   // its sdist
}

// upload sends the whole corpus with twine 7, which reads Metadata 2.4.
func (c corpus) upload(t *testing.T, s *server) {
	t.Helper()
	if out, err := twineUpload(t, s, s.Token, c.files...); err != nil {
		t.Fatalf("twine upload: %v\n%s", err, out)
	}
}

// pydepotUpload uploads files with `pydepot upload`.
func pydepotUpload(t *testing.T, s *server, files ...string) {
	t.Helper()
	if len(files) == 0 {
		return
	}
	run(t, "", []string{"PYDEPOT_URL=" + s.URL, "PYDEPOT_TOKEN=" + s.Token}, pydepotBin(t), append([]string{"upload"}, files...)...)
}

var (
	corpusOnce sync.Once
	corpusVal  corpus
	corpusErr  error
)

// buildCorpus builds the corpus once per test process, in the shared folder.
func buildCorpus(t *testing.T) corpus {
	t.Helper()
	corpusOnce.Do(func() { corpusVal, corpusErr = makeCorpus(filepath.Join(shared, "corpus")) })
	if corpusErr != nil {
		t.Fatal(corpusErr)
	}
	return corpusVal
}

func makeCorpus(dir string) (corpus, error) {
	var c corpus
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return c, err
	}
	site, err := testdist.FindSitePackages()
	if err != nil {
		return c, err
	}
	for _, name := range []string{"Jinja2", "MarkupSafe"} {
		di, err := testdist.FindDistInfo(site, name)
		if err != nil {
			return c, err
		}
		whl, err := testdist.Rebuild(di, dir)
		if err != nil {
			return c, err
		}
		c.modern = append(c.modern, whl)
	}
	debs, _ := filepath.Glob(filepath.Join(testdist.DebianWheels, "*.whl"))
	if len(debs) == 0 {
		return c, fmt.Errorf("no wheels in %s", testdist.DebianWheels)
	}
	projects := []map[string]string{
		testdist.SimpleProject("app-one", "1.0", "jinja2>=3"),
		testdist.SimpleProject("lib-two", "2.0"),
		testdist.SimpleProject("app-two", "1.0", "lib-two>=2"),
	}
	built, err := buildProjects(dir, projects...)
	if err != nil {
		return c, err
	}
	c.app, c.sdist = built[0][0], built[0][1]
	c.files = append(append(c.files, c.modern...), debs...)
	for _, b := range built {
		c.files = append(c.files, b[0], b[1])
	}
	return c, nil
}

// buildProjects builds the projects at once with `python3 -m build` and returns the wheel
// and sdist of each, in order.
func buildProjects(dir string, projects ...map[string]string) ([][2]string, error) {
	out := make([][2]string, len(projects))
	var g errgroup.Group
	for i, p := range projects {
		g.Go(func() error {
			whl, sdist, err := testdist.BuildProject(dir, p)
			out[i] = [2]string{whl, sdist}
			return err
		})
	}
	return out, g.Wait()
}

// twineUpload uploads files with today's twine (7), the token as password.
func twineUpload(t *testing.T, s *server, token string, files ...string) (string, error) {
	env, _ := clientEnv(t)
	args := append([]string{"upload", "--non-interactive", "--disable-progress-bar", "--repository-url", s.URL + "/legacy/", "-u", "__token__", "-p", token}, files...)
	return runErr("", env, testdist.Tool(t, "twine"), args...)
}

// TestTwineReusedFilename: twine 7 shows a reused filename refused with "File already
// exists", which it reads from the status line (the body it prints only with --verbose),
// and the stored file stays the first one. (twine 6 and later accept --skip-existing for PyPI only; the
// old-clients test checks it with twine 4, and the publish matrix uv publish --check-url.)
func TestTwineReusedFilename(t *testing.T) {
	t.Parallel()
	needTools(t)
	s := startServer(t)
	proj := testdist.SimpleProject("clash", "1.0")
	other := testdist.SimpleProject("clash", "1.0")
	other["clash/extra.py"] = "X = 2\n"
	built, err := buildProjects(t.TempDir(), proj, other)
	if err != nil {
		t.Fatal(err)
	}
	whl1, whl2 := built[0][0], built[1][0]
	if out, err := twineUpload(t, s, s.Token, whl1); err != nil {
		t.Fatalf("upload: %v\n%s", err, out)
	}
	// Without --verbose twine 7 prints the status code with its standard phrase, then the
	// reason phrase of the status line, where PyPI puts "File already exists".
	out, err := twineUpload(t, s, s.Token, whl2)
	if err == nil || !strings.Contains(out, "400 Bad Request") || !strings.Contains(out, "File already exists") {
		t.Fatalf("same filename with other content: want twine to show 400 File already exists, got err=%v\n%s", err, out)
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

// TestPipDownloadRequireHashes: today's pip downloads the uploaded bytes under
// --require-hashes and refuses a wrong hash.
func TestPipDownloadRequireHashes(t *testing.T) {
	t.Parallel()
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
	env, _ := clientEnv(t)
	pip := testdist.Tool(t, "pip")
	dest := filepath.Join(dir, "dl")
	run(t, "", env, pip, "download", "--no-deps", "--only-binary=:all:", "--require-hashes", "-r", req, "-d", dest, "--index-url", s.URL+"/simple/")
	if fileSHA(t, filepath.Join(dest, filepath.Base(c.app))) != fileSHA(t, c.app) {
		t.Fatal("downloaded bytes differ from the uploaded wheel")
	}
	// A wrong hash is refused by pip.
	bad := "app-one==1.0 --hash=sha256:" + strings.Repeat("0", 64) + "\n"
	if err := os.WriteFile(req, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runErr("", env, pip, "download", "--no-deps", "--require-hashes", "-r", req, "-d", t.TempDir(), "--index-url", s.URL+"/simple/"); err == nil {
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
	return repoLatest(t, s, "main")
}

// repoLatest returns the latest version number of repository name.
func repoLatest(t *testing.T, s *server, name string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL+"/api/repositories/"+name, nil)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var repo wire.Repository
	if err := json.NewDecoder(resp.Body).Decode(&repo); err != nil {
		t.Fatalf("decode /api/repositories/%s: %v", name, err)
	}
	if repo.Name != name {
		t.Fatalf("/api/repositories/%s answered %+v", name, repo)
	}
	return repo.Latest
}
