package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// TestOldClients: the clients Debian 12 ships still work, one test each against one server
// holding the corpus: twine 4 uploads (Metadata 2.1; it cannot read 2.3+) and skips an
// existing file with --skip-existing, pip 23 (in a
// `python3 -m venv` of Debian's Python) installs with dependencies, and poetry 1.3, which
// knows `default = true` but not `priority`, locks.
func TestOldClients(t *testing.T) {
	t.Parallel()
	needTools(t)
	s := startServer(t)
	c := buildCorpus(t)
	c.upload(t, s)
	index := s.URL + "/simple/"

	t.Run("twine4", func(t *testing.T) {
		t.Parallel()
		twine := testdist.DebianTool(t, "twine", "4")
		other := testdist.SimpleProject("old-twine", "1.0")
		other["old_twine/extra.py"] = "X = 2\n"
		built, err := buildProjects(t.TempDir(), testdist.SimpleProject("old-twine", "1.0"), other)
		if err != nil {
			t.Fatal(err)
		}
		env, _ := clientEnv(t)
		upload := func(args ...string) {
			t.Helper()
			args = append([]string{"upload", "--non-interactive", "--disable-progress-bar", "--repository-url", s.URL + "/legacy/", "-u", "__token__", "-p", s.Token}, args...)
			run(t, "", env, twine, args...)
		}
		upload(built[0][0], built[0][1])
		wantServed(t, index, "old-twine", "", built[0][0], built[0][1])
		// Re-uploading identical files answers 200 and makes no new version.
		before := repoVersions(t, s)
		upload(built[0][0])
		if after := repoVersions(t, s); after != before {
			t.Fatalf("identical re-upload made a new version: %d -> %d", before, after)
		}
		// twine 4 still takes --skip-existing for any index: the reused filename's refusal
		// says "File already exists", so the other bytes are skipped and the first kept.
		upload("--skip-existing", built[1][0])
		wantServed(t, index, "old-twine", "", built[0][0])
	})
	t.Run("pip23", func(t *testing.T) {
		t.Parallel()
		env := pipEnv(t)
		bin := venv(t)
		pip := filepath.Join(bin, "pip")
		if out := run(t, "", env, pip, "--version"); !strings.HasPrefix(out, "pip 23.") {
			t.Fatalf("Debian's venv has %s, not pip 23", strings.TrimSpace(out))
		}
		out := run(t, "", env, pip, "install", "--index-url", index, "app-one")
		for _, want := range []string{"app-one", "Jinja2", "MarkupSafe"} {
			if !strings.Contains(strings.ToLower(out), strings.ToLower(want)) {
				t.Errorf("pip output does not mention %s:\n%s", want, out)
			}
		}
		if got := run(t, "", nil, filepath.Join(bin, "app-one-hello")); strings.TrimSpace(got) != "app-one 1.0" {
			t.Fatalf("entry point printed %q", got)
		}
		wantImports(t, filepath.Join(bin, "python"))
	})
	t.Run("poetry13", func(t *testing.T) {
		t.Parallel()
		poetry := testdist.DebianTool(t, "poetry", "1.3")
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"pyproject.toml": fmt.Sprintf(`[tool.poetry]
name = "consumer"
version = "0.1.0"
description = "uses the index"
authors = ["Test <test@example.com>"]

[tool.poetry.dependencies]
python = "^3.11"
app-one = "1.0"
app-two = "1.0"

[[tool.poetry.source]]
name = "pydepot"
url = %q
default = true

[build-system]
requires = ["poetry-core"]
build-backend = "poetry.core.masonry.api"
`, index)})
		env, _ := clientEnv(t)
		run(t, dir, env, poetry, "lock", "--no-update")
		// Poetry 1.3 reads dependencies with pkginfo 1.8, which does not know
		// Metadata-Version 2.3+: jinja2's own dependency on markupsafe is invisible to it, so
		// the transitive check uses app-two -> lib-two, whose metadata is 2.1.
		wantLock(t, filepath.Join(dir, "poetry.lock"), index,
			`name = "app-one"`, `name = "jinja2"`, `name = "app-two"`, `name = "lib-two"`, `lib-two = ">=2"`)
	})
}
