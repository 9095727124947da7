package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/server/wire"
	"github.com/pydepot/pydepot/internal/testdist"
)

// TestPromoteAndRetain: staging gets promo-lib 1.0 to 4.0 (versions 1 to 4);
// `distribution update prod --repository staging --version 3` promotes version 3, and
// pip installing from prod gets 3.0, not the newer 4.0. `repo diff` says what 3 → 4 adds;
// then 5.0 is uploaded (version 5) and removed (6), and `repo retain --keep 1` keeps 0,
// 3 (prod pins it) and 6; `gc --grace 0` frees exactly 5.0's blobs (body and metadata
// file), and pip from prod still gets 3.0.
func TestPromoteAndRetain(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	bin := pydepotBin(t)
	admin := s.adminEnv()
	var projects []map[string]string
	for _, v := range []string{"1.0", "2.0", "3.0", "4.0", "5.0"} {
		projects = append(projects, testdist.SimpleProject("promo-lib", v))
	}
	dir := t.TempDir()
	built, err := buildProjects(dir, projects...)
	if err != nil {
		t.Fatal(err)
	}
	run(t, "", admin, bin, "repo", "create", "staging")
	for _, b := range built[:4] {
		run(t, "", admin, bin, "upload", "-r", "staging", b[0])
	}
	run(t, "", admin, bin, "distribution", "create", "prod", "--repository", "main")
	out := run(t, "", admin, bin, "distribution", "update", "prod", "--repository", "staging", "--version", "3")
	if !strings.Contains(out, "serves repository staging at version 3") {
		t.Fatalf("promotion said: %s", out)
	}
	pipInstalls := func(want string) {
		t.Helper()
		py := filepath.Join(venv(t), "python")
		run(t, "", pipEnv(t), py, "-m", "pip", "install", "--no-cache-dir", "--index-url", s.URL+"/prod/simple/", "promo-lib")
		got := strings.TrimSpace(run(t, "", nil, py, "-c", "import importlib.metadata as m; print(m.version('promo-lib'))"))
		if got != want {
			t.Fatalf("pip from prod installed promo-lib %s, want %s", got, want)
		}
	}
	pipInstalls("3.0")

	var d wire.VersionDiff
	if err := json.Unmarshal([]byte(run(t, "", admin, bin, "repo", "diff", "staging", "3", "4", "--json")), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Added) != 1 || d.Added[0].Filename != filepath.Base(built[3][0]) || len(d.Removed)+len(d.Yanks)+len(d.Attributes) != 0 {
		t.Fatalf("diff 3 4: %+v", d)
	}
	if text := run(t, "", admin, bin, "repo", "diff", "staging", "4", "3"); !strings.Contains(text, "- "+filepath.Base(built[3][0])) {
		t.Fatalf("diff 4 3 says:\n%s", text)
	}

	run(t, "", admin, bin, "upload", "-r", "staging", built[4][0])
	run(t, "", admin, bin, "remove", "-r", "staging", "promo-lib", "5.0")
	dry := run(t, "", admin, bin, "repo", "retain", "staging", "--keep", "1", "--dry-run")
	if !strings.Contains(dry, "would reclaim 4 version(s) of staging: 1-2, 4-5; kept 0, 3 (pinned), 6") {
		t.Fatalf("retain --dry-run said:\n%s", dry)
	}
	gcOut := run(t, "", nil, bin, "gc", "--data", s.Data, "--grace", "0", "--dry-run")
	if !strings.Contains(gcOut, "would remove 0 unreferenced") {
		t.Fatalf("gc before retain: %s", gcOut)
	}
	var rep wire.RetainReport
	if err := json.Unmarshal([]byte(run(t, "", admin, bin, "repo", "retain", "staging", "--keep", "1", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	// Versions 1 to 3 are cumulative and 6 holds 1.0 to 4.0: only 5.0 is forgotten.
	if !slices.Equal(rep.Removed, []int{1, 2, 4, 5}) || !slices.Equal(rep.Kept, []int{0, 3, 6}) || rep.Files != 1 ||
		!slices.Equal(rep.Examples, []string{filepath.Base(built[4][0])}) || rep.Blobs != 2 {
		t.Fatalf("retain: %+v", rep)
	}
	st, err := os.Stat(built[4][0])
	if err != nil {
		t.Fatal(err)
	}
	gcOut = run(t, "", nil, bin, "gc", "--data", s.Data, "--grace", "0")
	if !strings.Contains(gcOut, "removed 2 unreferenced blob(s)") || rep.BlobBytes != st.Size() {
		t.Fatalf("gc after retain (5.0 is %d bytes, retain counted %d): %s", st.Size(), rep.BlobBytes, gcOut)
	}
	pipInstalls("3.0")
	if out, err := runErr("", admin, bin, "repo", "rollback", "staging", "2"); err == nil || !strings.Contains(out, "reclaimed") {
		t.Fatalf("rollback to a reclaimed version: %v\n%s", err, out)
	}
}
