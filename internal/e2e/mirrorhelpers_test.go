package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/blobstore"
)

// cli runs the pydepot CLI against s with the admin token and returns its output.
func (s *server) cli(t *testing.T, args ...string) string {
	t.Helper()
	return run(t, "", s.adminEnv(), pydepotBin(t), args...)
}

// mirrorRepo creates the repository name and the public distribution name serving it, and
// returns that distribution's simple URL.
func (s *server) mirrorRepo(t *testing.T, name string) string {
	t.Helper()
	s.cli(t, "repo", "create", name)
	s.cli(t, "distribution", "create", name, "--repository", name)
	return s.URL + "/" + name + "/simple/"
}

// syncFrom creates the remote name for u with the remote flags given, a repository and
// distribution of the same name, and syncs it (waiting for the task); it returns the
// distribution's simple URL.
func (s *server) syncFrom(t *testing.T, name string, u *upstream, flags ...string) string {
	t.Helper()
	s.cli(t, append([]string{"remote", "create", name, "--url", u.Simple}, flags...)...)
	simple := s.mirrorRepo(t, name)
	s.cli(t, "sync", name, "--remote", name)
	return simple
}

// blobStoreAt opens the file blob store rooted at root as pydepot does (its files and
// its packs of small blobs), while the server that owns it runs; closed at the test's end.
func blobStoreAt(t *testing.T, root string) *blobstore.Store {
	t.Helper()
	d, err := backends.OpenDriver(t.Context(), "file://"+root)
	if err != nil {
		t.Fatal(err)
	}
	s := blobstore.NewStore(d)
	t.Cleanup(func() { s.Close() })
	return s
}

// blobIn reports whether the file blob store rooted at root holds the blob sha.
func blobIn(t *testing.T, root, sha string) bool {
	t.Helper()
	ok, err := blobStoreAt(t, root).Exists(t.Context(), sha)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// blobStore is s's blob store (DATA/blobs), opened once for the test.
func (s *server) blobStore(t *testing.T) *blobstore.Store {
	t.Helper()
	if s.store == nil {
		s.store = blobStoreAt(t, filepath.Join(s.Data, "blobs"))
	}
	return s.store
}

// blobStored reports whether s's blob store holds the blob sha.
func (s *server) blobStored(t *testing.T, sha string) bool {
	t.Helper()
	ok, err := s.blobStore(t).Exists(t.Context(), sha)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// blobs lists the digests of every blob in s's blob store.
func (s *server) blobs(t *testing.T) []string {
	t.Helper()
	var out []string
	err := s.blobStore(t).Walk(t.Context(), func(sha string, _ int64) error {
		out = append(out, sha)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// blobIsMetadata reports whether the blob sha is a core metadata file (it starts with the
// Metadata-Version field).
func (s *server) blobIsMetadata(t *testing.T, sha string) bool {
	t.Helper()
	f, _, err := s.blobStore(t).Open(t.Context(), sha)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := make([]byte, len("Metadata-Version:"))
	_, err = io.ReadFull(f, head)
	return err == nil && string(head) == "Metadata-Version:"
}

// jsonPage is a PEP 691 project page, decoded loosely so that every field is compared.
type jsonPage struct {
	Name     string           `json:"name"`
	Versions []string         `json:"versions"`
	Files    []map[string]any `json:"files"`
}

// getJSON GETs u asking for PEP 691 JSON and returns the status and body.
func getJSON(t *testing.T, u string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.pypi.simple.v1+json")
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// projectPage returns project's JSON page under simple (nil on 404).
func projectPage(t *testing.T, simple, project string) *jsonPage {
	t.Helper()
	status, body := getJSON(t, simple+project+"/")
	if status == http.StatusNotFound {
		return nil
	}
	if status != http.StatusOK {
		t.Fatalf("GET %s%s/: %d\n%s", simple, project, status, body)
	}
	var p jsonPage
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("GET %s%s/: %v\n%s", simple, project, err, body)
	}
	return &p
}

// projectNames returns the names the JSON root page under simple lists.
func projectNames(t *testing.T, simple string) []string {
	t.Helper()
	status, body := getJSON(t, simple)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", simple, status, body)
	}
	var root struct {
		Projects []struct {
			Name string `json:"name"`
		} `json:"projects"`
	}
	if err := json.Unmarshal(body, &root); err != nil {
		t.Fatalf("GET %s: %v", simple, err)
	}
	var out []string
	for _, p := range root.Projects {
		out = append(out, p.Name)
	}
	sort.Strings(out)
	return out
}

// file returns the page's entry for filename, or nil.
func (p *jsonPage) file(filename string) map[string]any {
	for _, f := range p.Files {
		if f["filename"] == filename {
			return f
		}
	}
	return nil
}

// sha is an entry's sha256.
func entrySHA(f map[string]any) string {
	h, _ := f["hashes"].(map[string]any)
	s, _ := h["sha256"].(string)
	return s
}

// fields is the page without what names the server it came from (each file's url), to
// compare two servers' pages of the same files.
func (p *jsonPage) fields() map[string]any {
	files := map[string]any{}
	for _, f := range p.Files {
		c := map[string]any{}
		for k, v := range f {
			if k != "url" {
				c[k] = v
			}
		}
		files[fmt.Sprint(f["filename"])] = c
	}
	return map[string]any{"name": p.Name, "versions": p.Versions, "files": files}
}

// samePages fails unless simple pages a and b of project carry the same fields.
func samePages(t *testing.T, project string, a, b *jsonPage) {
	t.Helper()
	if a == nil || b == nil {
		t.Errorf("%s: served by one side only (%v, %v)", project, a != nil, b != nil)
		return
	}
	if fa, fb := a.fields(), b.fields(); !reflect.DeepEqual(fa, fb) {
		ja, _ := json.MarshalIndent(fa, "", " ")
		jb, _ := json.MarshalIndent(fb, "", " ")
		t.Errorf("%s: pages differ:\n%s\nand\n%s", project, ja, jb)
	}
}

// fetch GETs the file entry f of a page read from pageURL (its url is relative to the
// page) and returns the status and body; suffix is appended to the file's URL (".metadata").
func fetch(t *testing.T, pageURL string, f map[string]any, suffix string) (int, []byte) {
	t.Helper()
	base, err := url.Parse(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := url.Parse(fmt.Sprint(f["url"]))
	if err != nil {
		t.Fatal(err)
	}
	u := base.ResolveReference(ref)
	u.Fragment = ""
	u.Path += suffix
	client := &http.Client{Timeout: time.Minute}
	resp, err := client.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// wantInstalled fails unless the environment of py has exactly the distributions want
// (normalized names) besides pip, setuptools and wheel, per `python -m pip`-free listing.
func wantInstalled(t *testing.T, py string, want ...string) {
	t.Helper()
	out := run(t, "", nil, py, "-c", `import importlib.metadata as m
print("\n".join(sorted({d.metadata["Name"].lower().replace("_", "-") for d in m.distributions()})))`)
	var got []string
	for _, n := range strings.Fields(out) {
		if n != "pip" && n != "setuptools" && n != "wheel" {
			got = append(got, n)
		}
	}
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s has %v installed, want %v", py, got, want)
	}
}
