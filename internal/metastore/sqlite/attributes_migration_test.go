package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/metastore"
)

// oldDB writes a database as pydepot wrote it before migration 0004: the schema of the
// migrations 0001 and 0002 only, filled by the statements the old store ran (one global
// projects row whose display name every upload overwrote, and a global status).
type oldDB struct {
	t  *testing.T
	db *sql.DB
}

func newOldDB(t *testing.T, path string) *oldDB { return oldDBAt(t, path, 2) }

// oldDBAt writes a database at schema version n: the first n migrations applied and
// recorded, as the store of that time left it.
func oldDBAt(t *testing.T, path string, n int) *oldDB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	o := &oldDB{t: t, db: db}
	o.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
	names, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(names) < n {
		t.Fatalf("%d migrations (%v), want at least %d", len(names), err, n)
	}
	slices.Sort(names)
	for i, name := range names[:n] {
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		o.exec(string(body))
		o.exec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, i+1, filepath.Base(name))
	}
	return o
}

func (o *oldDB) exec(q string, args ...any) {
	o.t.Helper()
	if _, err := o.db.Exec(q, args...); err != nil {
		o.t.Fatalf("%s: %v", q, err)
	}
}

func (o *oldDB) id(q string, args ...any) int64 {
	o.t.Helper()
	var id int64
	if err := o.db.QueryRow(q, args...).Scan(&id); err != nil {
		o.t.Fatalf("%s: %v", q, err)
	}
	return id
}

func (o *oldDB) repo(name string) int64 {
	id := o.id(`INSERT INTO repositories (name, latest, created_at) VALUES (?, 0, 1) RETURNING id`, name)
	o.exec(`INSERT INTO repository_versions (repository_id, number, created_at, message, files) VALUES (?, 0, 1, 'create', 0)`, id)
	return id
}

// version runs the old BeginVersion, fn, then the old FinishVersion.
func (o *oldDB) version(repo int64, fn func(n int)) {
	n := int(o.id(`UPDATE repositories SET latest = latest + 1 WHERE id = ? RETURNING latest`, repo))
	o.exec(`INSERT INTO repository_versions (repository_id, number, created_at, message, files)
		SELECT repository_id, ?, 2, 'change', files FROM repository_versions WHERE repository_id = ? AND number = ?`, n, repo, n-1)
	fn(n)
	o.exec(`INSERT INTO serials (repository_id, version, project_id, created_at)
		SELECT ?, ?, project_id, 2 FROM (
			SELECT project_id FROM repository_content WHERE repository_id = ? AND version_added = ?
			UNION SELECT project_id FROM repository_content WHERE repository_id = ? AND version_removed = ?
		) ORDER BY project_id`, repo, n, repo, n, repo, n)
	o.exec(`UPDATE repository_versions SET files = files
		+ (SELECT COUNT(*) FROM repository_content WHERE repository_id = ? AND version_added = ? AND version_removed IS NULL)
		- (SELECT COUNT(*) FROM repository_content WHERE repository_id = ? AND version_removed = ? AND version_added < ?)
		WHERE repository_id = ? AND number = ?`, repo, n, repo, n, n, repo, n)
}

// add is the old AddFile: the upload's name overwrites the global display name.
func (o *oldDB) add(repo int64, n int, display, version string) {
	norm := strings.ToLower(strings.ReplaceAll(display, "_", "-"))
	pid := o.id(`INSERT INTO projects (name, display_name) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET display_name = excluded.display_name RETURNING id`, norm, display)
	fn := fmt.Sprintf("%s-%s.tar.gz", strings.ReplaceAll(norm, "-", "_"), version)
	fid := o.id(`INSERT INTO files (repository_id, project_id, filename, project_name, version, kind, sha256, size, upload_time)
		VALUES (?, ?, ?, ?, ?, 'sdist', ?, 10, 3) RETURNING id`, repo, pid, fn, display, version, fmt.Sprintf("%064x", len(fn)*31+int(repo)))
	o.exec(`INSERT INTO repository_content (repository_id, project_id, file_id, version_added) VALUES (?, ?, ?, ?)`, repo, pid, fid, n)
}

func (o *oldDB) contentRow(repo int64, filename string) int64 {
	return o.id(`SELECT rc.id FROM repository_content rc JOIN files f ON f.id = rc.file_id
		WHERE rc.repository_id = ? AND f.filename = ? AND rc.version_removed IS NULL`, repo, filename)
}

// yank is the old setRowYanked on an older row: close it, reopen it yanked.
func (o *oldDB) yank(repo int64, n int, filename, reason string) {
	id := o.contentRow(repo, filename)
	o.exec(`INSERT INTO repository_content (repository_id, project_id, file_id, yanked, yank_reason, version_added)
		SELECT repository_id, project_id, file_id, 1, ?, ? FROM repository_content WHERE id = ?`, reason, n, id)
	o.exec(`UPDATE repository_content SET version_removed = ? WHERE id = ?`, n, id)
}

func (o *oldDB) remove(repo int64, n int, filename string) {
	o.exec(`UPDATE repository_content SET version_removed = ? WHERE id = ?`, n, o.contentRow(repo, filename))
}

// rollback is the old RestoreContent.
func (o *oldDB) rollback(repo int64, n, to int) {
	o.exec(`INSERT INTO repository_content (repository_id, project_id, file_id, yanked, yank_reason, version_added)
		SELECT repository_id, project_id, file_id, yanked, yank_reason, ? FROM repository_content
		WHERE repository_id = ? AND version_added <= ? AND version_removed IS NOT NULL AND version_removed > ? AND version_removed < ?
		ORDER BY id`, n, repo, to, to, n)
	o.exec(`UPDATE repository_content SET version_removed = ?
		WHERE repository_id = ? AND version_removed IS NULL AND version_added > ? AND version_added < ?`, n, repo, to, n)
}

// oldReads is what the old readers served for every version of every repository: per
// version, the project list (name, display name, status, serial) and each project's
// files with their yank state, as one comparable text.
func (o *oldDB) reads() map[string]string {
	o.t.Helper()
	out := map[string]string{}
	rows, err := o.db.Query(`SELECT r.id, r.name, v.number FROM repositories r JOIN repository_versions v ON v.repository_id = r.id`)
	if err != nil {
		o.t.Fatal(err)
	}
	type rv struct {
		id   int64
		name string
		n    int
	}
	var all []rv
	for rows.Next() {
		var x rv
		if err := rows.Scan(&x.id, &x.name, &x.n); err != nil {
			o.t.Fatal(err)
		}
		all = append(all, x)
	}
	rows.Close()
	for _, x := range all {
		var b strings.Builder
		prows, err := o.db.Query(`SELECT p.name, p.display_name, p.status,
			(SELECT MAX(s.serial) FROM serials s WHERE s.repository_id = ? AND s.project_id = p.id AND s.version <= ?)
			FROM projects p WHERE EXISTS (SELECT 1 FROM repository_content rc WHERE rc.repository_id = ? AND rc.project_id = p.id
				AND rc.version_added <= ? AND (rc.version_removed IS NULL OR rc.version_removed > ?))
			ORDER BY p.name`, x.id, x.n, x.id, x.n, x.n)
		if err != nil {
			o.t.Fatal(err)
		}
		for prows.Next() {
			var name, display, status string
			var serial int64
			if err := prows.Scan(&name, &display, &status, &serial); err != nil {
				o.t.Fatal(err)
			}
			fmt.Fprintf(&b, "project %s %q %s serial %d\n", name, display, status, serial)
		}
		prows.Close()
		frows, err := o.db.Query(`SELECT p.name, f.filename, f.sha256, rc.yanked, rc.yank_reason
			FROM repository_content rc JOIN files f ON f.id = rc.file_id JOIN projects p ON p.id = rc.project_id
			WHERE rc.repository_id = ? AND rc.version_added <= ? AND (rc.version_removed IS NULL OR rc.version_removed > ?)
			ORDER BY p.name, f.filename`, x.id, x.n, x.n)
		if err != nil {
			o.t.Fatal(err)
		}
		for frows.Next() {
			var project, fn, sha, reason string
			var yanked bool
			if err := frows.Scan(&project, &fn, &sha, &yanked, &reason); err != nil {
				o.t.Fatal(err)
			}
			fmt.Fprintf(&b, "file %s %s %s yanked=%v %q\n", project, fn, sha, yanked, reason)
		}
		frows.Close()
		out[fmt.Sprintf("%s@%d", x.name, x.n)] = b.String()
	}
	return out
}

// storeReads is reads() through the migrated store's readers.
func storeReads(t *testing.T, s metastore.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	repos, err := s.Repositories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range repos {
		for n := 0; n <= r.Latest; n++ {
			var b strings.Builder
			ps, _, err := s.Projects(ctx, r.ID, n)
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			for _, p := range ps {
				one, err := s.Project(ctx, r.ID, n, p.Name)
				if err != nil {
					t.Fatal(err)
				}
				if one.ProjectAttributes != p.ProjectAttributes || one.Serial != p.Serial {
					t.Errorf("%s@%d: Project(%s) = %+v, Projects has %+v", r.Name, n, p.Name, one, p)
				}
				fmt.Fprintf(&b, "project %s %q %s serial %d\n", p.Name, p.DisplayName, p.Status, p.Serial)
				fs, err := s.ProjectFiles(ctx, r.ID, n, p.Name)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range fs {
					files = append(files, fmt.Sprintf("file %s %s %s yanked=%v %q\n", p.Name, f.Filename, f.SHA256, f.Yanked, f.YankReason))
				}
			}
			slices.Sort(files)
			b.WriteString(strings.Join(files, ""))
			out[fmt.Sprintf("%s@%d", r.Name, n)] = b.String()
		}
	}
	return out
}

// TestMigrationProjectAttributes: a database filled under the old schema (several
// repositories and versions, a project whose display name the last upload to another
// repository set, a global status, yanks, removals, a rollback) reads the same in every
// version of every repository after migration 0004; and an upload to one repository
// then leaves every version of the others as it was.
func TestMigrationProjectAttributes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pydepot.db")
	o := newOldDB(t, path)
	a, b := o.repo("a"), o.repo("b")
	o.repo("empty")
	o.version(a, func(n int) { o.add(a, n, "Foo_Bar", "1.0"); o.add(a, n, "baz", "1.0") }) // a@1
	o.version(b, func(n int) { o.add(b, n, "foo-bar", "2.0") })                            // b@1: renames foo-bar for a too
	o.version(a, func(n int) { o.yank(a, n, "foo_bar-1.0.tar.gz", "broken") })             // a@2
	o.version(a, func(n int) { o.add(a, n, "Baz", "2.0") })                                // a@3
	o.version(a, func(n int) { o.remove(a, n, "baz-1.0.tar.gz") })                         // a@4
	o.version(b, func(n int) { o.add(b, n, "qux", "1.0") })                                // b@2
	o.version(a, func(n int) { o.rollback(a, n, 2) })                                      // a@5
	o.version(b, func(n int) { o.remove(b, n, "qux-1.0.tar.gz") })                         // b@3: qux gone from b
	o.exec(`UPDATE projects SET status = 'archived' WHERE name = 'baz'`)
	o.exec(`UPDATE projects SET status = 'quarantined' WHERE name = 'qux'`)
	before := o.reads()
	// The fixture is what it claims: the old global row shows b's name in a's versions.
	if !strings.Contains(before["a@1"], `project foo-bar "foo-bar"`) || !strings.Contains(before["a@5"], `"Baz" archived`) {
		t.Fatalf("fixture reads:\n%s\n%s", before["a@1"], before["a@5"])
	}
	o.db.Close()

	s := open(t, path)
	defer s.Close()
	if v, err := s.SchemaVersion(ctx); err != nil || v < 4 {
		t.Fatalf("SchemaVersion = %d, %v", v, err)
	}
	after := storeReads(t, s)
	if len(after) != len(before) {
		t.Errorf("%d repository versions after the migration, %d before", len(after), len(before))
	}
	for k, want := range before {
		if after[k] != want {
			t.Errorf("%s reads differently after the migration:\n%s\nwas:\n%s", k, after[k], want)
		}
	}

	// New changes go by repository: renaming and archiving foo-bar in b leaves a alone.
	rb, err := s.Repository(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.InTx(ctx, func(tx metastore.Tx) error {
		n, err := tx.BeginVersion(ctx, rb.ID, "upload", t0())
		if err != nil {
			return err
		}
		f := &metastore.File{RepositoryID: rb.ID, Filename: "foo_bar-3.0.tar.gz", Project: "foo-bar", ProjectName: "FOO.bar",
			Version: "3.0", Kind: "sdist", SHA256: fmt.Sprintf("%064x", 99), UploadTime: t0()}
		if _, err := tx.AddFile(ctx, f, n); err != nil {
			return err
		}
		if _, err := tx.SetProjectAttributes(ctx, rb.ID, n, "foo-bar", metastore.ProjectAttributes{DisplayName: "FOO.bar", Status: "archived"}); err != nil {
			return err
		}
		return tx.FinishVersion(ctx, rb.ID, n, t0())
	}); err != nil {
		t.Fatal(err)
	}
	later := storeReads(t, s)
	for k, want := range before {
		if strings.HasPrefix(k, "b@") {
			continue
		}
		if later[k] != want {
			t.Errorf("%s changed with an upload to b:\n%s\nwas:\n%s", k, later[k], want)
		}
	}
	if got := later["b@4"]; !strings.Contains(got, `project foo-bar "FOO.bar" archived`) {
		t.Errorf("b@4 does not show b's change:\n%s", got)
	}
	if later["b@3"] != before["b@3"] {
		t.Errorf("b@3 changed:\n%s\nwas:\n%s", later["b@3"], before["b@3"])
	}
}
