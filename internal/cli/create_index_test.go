package cli

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pydepot/pydepot/internal/buildinfo"
)

// otherVersion answers as a server of another pydepot version would.
type otherVersion struct{ http.ResponseWriter }

func (w otherVersion) WriteHeader(code int) {
	w.Header().Set(buildinfo.VersionHeader, "99.0.0")
	w.ResponseWriter.WriteHeader(code)
}

func (w otherVersion) Write(p []byte) (int, error) {
	w.Header().Set(buildinfo.VersionHeader, "99.0.0")
	return w.ResponseWriter.Write(p)
}

// runCreate runs 'pydepot create' with PATH (to find python3) and a temporary cache.
func runCreate(t *testing.T, url string, args ...string) (int, string, string) {
	t.Helper()
	env, out, errb := testEnv(map[string]string{
		"PYDEPOT_URL": url, "PATH": os.Getenv("PATH"), "HOME": t.TempDir(), "XDG_CACHE_HOME": t.TempDir(),
	})
	code := Main(t.Context(), append([]string{"create"}, args...), env)
	return code, out.String(), errb.String()
}

// TestCreateSendsVersionAndWarns: create's index requests carry pydepot's version as the
// other commands' do, and an index of another version is warned about as they warn.
func TestCreateSendsVersionAndWarns(t *testing.T) {
	var mu sync.Mutex
	var sent []string
	url := startServerWrapped(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			sent = append(sent, r.Header.Get(buildinfo.VersionHeader))
			mu.Unlock()
			next.ServeHTTP(otherVersion{w}, r)
		})
	})
	dir := t.TempDir()
	spec := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(spec, []byte("no-such-project-anywhere\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	code, _, errb := runCreate(t, url, spec, "env")
	if code == 0 {
		t.Fatalf("create of a missing project succeeded: %s", errb)
	}
	mu.Lock()
	got := append([]string(nil), sent...)
	mu.Unlock()
	if len(got) == 0 {
		t.Fatalf("create asked the index nothing: %s", errb)
	}
	for _, v := range got {
		if v != buildinfo.Version {
			t.Errorf("create sent version %q, want %q", v, buildinfo.Version)
		}
	}
	if strings.Count(errb, "warning: this client is version "+buildinfo.Version+" but the server at "+url+" runs 99.0.0") != 1 ||
		!strings.Contains(errb, url+"/api/client") {
		t.Errorf("no single version warning:\n%s", errb)
	}
}

// TestCreateChecksPydepotURL: create refuses a PYDEPOT_URL that is an index URL, with the
// message the other commands give, before building anything.
func TestCreateChecksPydepotURL(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(spec, []byte("wheel\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	code, _, errb := runCreate(t, "http://127.0.0.1:8080/simple/", spec, "env")
	if code == 0 || !strings.Contains(errb, "set PYDEPOT_URL to the server's root URL, such as http://127.0.0.1:8080") {
		t.Fatalf("create with PYDEPOT_URL=.../simple/: exit %d: %s", code, errb)
	}
}
