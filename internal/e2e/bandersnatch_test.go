package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// bandersnatchRun runs one `bandersnatch mirror` into dir from master, trusting the CA
// through SSL_CERT_FILE, with the api-method given; it returns its log.
func bandersnatchRun(t *testing.T, tool, dir, master, ca, method string) string {
	t.Helper()
	conf := filepath.Join(dir, "bandersnatch.conf")
	body := fmt.Sprintf(`[mirror]
directory = %s
master = %s
api-method = %s
json = false
release-files = true
workers = 2
timeout = 20
global-timeout = 300
stop-on-error = true
hash-index = false
`, filepath.Join(dir, "mirror"), master, method)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return run(t, dir, []string{"SSL_CERT_FILE=" + ca}, tool, "-c", conf, "mirror")
}

// mirroredFiles maps the file names under the mirror's web/packages to their sha256.
func mirroredFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	root := filepath.Join(dir, "mirror", "web", "packages")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[d.Name()] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

var fetchedRE = regexp.MustCompile(`Fetching metadata for package: (\S+)`)

// fetched lists the projects whose metadata a bandersnatch log says it fetched.
func fetched(log string) []string {
	var out []string
	for _, m := range fetchedRE.FindAllStringSubmatch(log, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestBandersnatchDownstream: bandersnatch (pinned from PyPI) mirrors from pydepot over
// https with the test's own CA, once with the PEP 691 simple API (api-method = simple)
// and once with its default XML-RPC changelog. The first runs bring every file with its
// sha256; after a new version of one project, the second runs fetch only that project
// and bring only its new files.
func TestBandersnatchDownstream(t *testing.T) {
	t.Parallel()
	tool := testdist.Tool(t, "bandersnatch")
	s, ca := startTLSServer(t)
	bin := pydepotBin(t)
	admin := append(s.adminEnv(), "SSL_CERT_FILE="+ca.CA)
	built, err := buildProjects(t.TempDir(),
		testdist.SimpleProject("snatch-alpha", "1.0"),
		testdist.SimpleProject("snatch-beta", "1.0"),
		testdist.SimpleProject("snatch-beta", "2.0"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, b := range built[:2] {
		run(t, "", admin, bin, "upload", b[0], b[1])
		want[filepath.Base(b[0])], want[filepath.Base(b[1])] = sha256File(t, b[0]), sha256File(t, b[1])
	}
	methods := []string{"simple", "xmlrpc"}
	dirs := map[string]string{}
	for _, m := range methods {
		dirs[m] = t.TempDir()
		log := bandersnatchRun(t, tool, dirs[m], s.URL, ca.CA, m)
		if got := mirroredFiles(t, dirs[m]); !maps.Equal(got, want) {
			t.Fatalf("%s: first run mirrored %v, want %v\n%s", m, got, want, log)
		}
		if f := fetched(log); !slices.Equal(f, []string{"snatch-alpha", "snatch-beta"}) {
			t.Errorf("%s: first run fetched %v", m, f)
		}
		if !strings.Contains(log, "Syncing all packages.") {
			t.Errorf("%s: first run did not sync everything:\n%s", m, log)
		}
	}
	run(t, "", admin, bin, "upload", built[2][0], built[2][1])
	want[filepath.Base(built[2][0])], want[filepath.Base(built[2][1])] = sha256File(t, built[2][0]), sha256File(t, built[2][1])
	for _, m := range methods {
		log := bandersnatchRun(t, tool, dirs[m], s.URL, ca.CA, m)
		if f := fetched(log); !slices.Equal(f, []string{"snatch-beta"}) || !strings.Contains(log, "Syncing based on changelog.") || !strings.Contains(log, "1 packages to sync.") {
			t.Errorf("%s: second run fetched %v, want snatch-beta only:\n%s", m, f, log)
		}
		if got := mirroredFiles(t, dirs[m]); !maps.Equal(got, want) {
			t.Errorf("%s: after the second run the mirror holds %v, want %v", m, got, want)
		}
		downloads := strings.Count(log, "Downloading: ")
		if downloads != 2 {
			t.Errorf("%s: second run downloaded %d files, want the 2 new ones:\n%s", m, downloads, log)
		}
	}
}
