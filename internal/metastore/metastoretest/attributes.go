package metastoretest

import (
	"context"
	"errors"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// attrs reads project's attributes in version n through both readers (Project and
// Projects must agree); ok is false when the version does not hold the project.
func attrs(t *testing.T, s metastore.Store, repoID int64, n int, project string) (metastore.ProjectAttributes, int64, bool) {
	t.Helper()
	ctx := context.Background()
	p, err := s.Project(ctx, repoID, n, project)
	if errors.Is(err, errs.ErrNotFound) {
		return metastore.ProjectAttributes{}, 0, false
	}
	if err != nil {
		t.Fatal(err)
	}
	ps, _, err := s.Projects(ctx, repoID, n)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range ps {
		if q.Name == project && (q.ProjectAttributes != p.ProjectAttributes || q.Serial != p.Serial) {
			t.Errorf("version %d: Projects has %+v, Project %+v", n, q, p)
		}
	}
	return p.ProjectAttributes, p.Serial, true
}

func named(f *metastore.File, display string) *metastore.File {
	f.ProjectName = display
	return f
}

func setAttrs(t *testing.T, s metastore.Store, repoID int64, project string, a metastore.ProjectAttributes) (int, bool) {
	t.Helper()
	var changed bool
	n := change(t, s, repoID, "attributes", func(tx metastore.Tx, n int) (err error) {
		changed, err = tx.SetProjectAttributes(context.Background(), repoID, n, project, a)
		return err
	})
	return n, changed
}

// testAttributesPerRepository: the display name an upload brings is the repository's
// own; an upload of the project to another repository changes none of this one's
// versions.
func testAttributesPerRepository(t *testing.T, s metastore.Store) {
	a, b := newRepo(t, s, "a"), newRepo(t, s, "b")
	add(t, s, a.ID, named(file(a.ID, "foo", "1.0", ".tar.gz"), "Foo"))                                                           // a@1
	add(t, s, a.ID, named(file(a.ID, "foo", "2.0", ".tar.gz"), "FOO"))                                                           // a@2
	add(t, s, b.ID, named(file(b.ID, "foo", "1.0", ".tar.gz"), "foo"))                                                           // b@1
	setAttrs(t, s, b.ID, "foo", metastore.ProjectAttributes{DisplayName: "foo", Status: "quarantined", StatusReason: "malware"}) // b@2
	want := map[int]string{1: "Foo", 2: "FOO"}
	for n, name := range want {
		got, _, ok := attrs(t, s, a.ID, n, "foo")
		if !ok || got != (metastore.ProjectAttributes{DisplayName: name, Status: "active"}) {
			t.Errorf("a@%d: %+v (held %v), want %s, active", n, got, ok, name)
		}
	}
	if got, _, _ := attrs(t, s, b.ID, 1, "foo"); got != (metastore.ProjectAttributes{DisplayName: "foo", Status: "active"}) {
		t.Errorf("b@1: %+v", got)
	}
	if got, _, _ := attrs(t, s, b.ID, 2, "foo"); got.Status != "quarantined" || got.StatusReason != "malware" {
		t.Errorf("b@2: %+v", got)
	}
	// A project b never held has no attributes to set there.
	err := s.InTx(context.Background(), func(tx metastore.Tx) error {
		_, err := tx.SetProjectAttributes(context.Background(), b.ID, 3, "nope", metastore.ProjectAttributes{DisplayName: "nope"})
		return err
	})
	if !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("attributes of an unknown project: %v, want ErrNotFound", err)
	}
}

// testAttributesVersioned: a change of attributes is new in the version that makes it,
// gives the project a serial, and leaves older versions; setting the same attributes
// writes nothing; an upload changes the display name and keeps the status.
func testAttributesVersioned(t *testing.T, s metastore.Store) {
	r := newRepo(t, s, "main")
	add(t, s, r.ID, named(file(r.ID, "foo", "1.0", ".tar.gz"), "Foo")) // 1
	_, serial1, _ := attrs(t, s, r.ID, 1, "foo")
	arch := metastore.ProjectAttributes{DisplayName: "Foo", Status: "archived", StatusReason: "done"}
	n, changed := setAttrs(t, s, r.ID, "foo", arch) // 2
	if !changed {
		t.Error("SetProjectAttributes reported no change")
	}
	got, serial2, _ := attrs(t, s, r.ID, n, "foo")
	if got != arch || serial2 <= serial1 {
		t.Errorf("version %d: %+v serial %d (was %d), want %+v and a new serial", n, got, serial2, serial1, arch)
	}
	if got, s1, _ := attrs(t, s, r.ID, 1, "foo"); got.Status != "active" || s1 != serial1 {
		t.Errorf("version 1 changed: %+v serial %d", got, s1)
	}
	if v, _ := s.Version(context.Background(), r.ID, n); v.Files != 1 {
		t.Errorf("an attribute change counts %d files", v.Files)
	}
	n3, changed := setAttrs(t, s, r.ID, "foo", arch) // 3, a no-op inside it
	if changed {
		t.Error("setting the same attributes reported a change")
	}
	if _, s3, _ := attrs(t, s, r.ID, n3, "foo"); s3 != serial2 {
		t.Errorf("a no-op gave serial %d (was %d)", s3, serial2)
	}
	n4 := add(t, s, r.ID, named(file(r.ID, "foo", "2.0", ".tar.gz"), "FOO")) // 4
	if got, _, _ := attrs(t, s, r.ID, n4, "foo"); got != (metastore.ProjectAttributes{DisplayName: "FOO", Status: "archived", StatusReason: "done"}) {
		t.Errorf("after an upload: %+v, want the new name and the kept status", got)
	}
	if got, _, _ := attrs(t, s, r.ID, n, "foo"); got != arch {
		t.Errorf("the upload changed version %d: %+v", n, got)
	}
	// Two changes in one version: the last one is what the version holds.
	n5 := change(t, s, r.ID, "twice", func(tx metastore.Tx, n int) error {
		ctx := context.Background()
		if _, err := tx.SetProjectAttributes(ctx, r.ID, n, "foo", metastore.ProjectAttributes{DisplayName: "FOO", Status: "deprecated"}); err != nil {
			return err
		}
		_, err := tx.SetProjectAttributes(ctx, r.ID, n, "foo", metastore.ProjectAttributes{DisplayName: "FOO", Status: "quarantined"})
		return err
	})
	if got, _, _ := attrs(t, s, r.ID, n5, "foo"); got.Status != "quarantined" {
		t.Errorf("version %d: %+v", n5, got)
	}
	if got, _, _ := attrs(t, s, r.ID, n4, "foo"); got.Status != "archived" {
		t.Errorf("version %d changed: %+v", n4, got)
	}
}

// testAttributesRollback: a rollback restores the attributes of the version rolled back
// to; a file restored after a rollback to before its project existed brings its name.
func testAttributesRollback(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	add(t, s, r.ID, named(file(r.ID, "foo", "1.0", ".tar.gz"), "Foo"))                                 // 1
	setAttrs(t, s, r.ID, "foo", metastore.ProjectAttributes{DisplayName: "Foo", Status: "deprecated"}) // 2
	add(t, s, r.ID, named(file(r.ID, "foo", "2.0", ".tar.gz"), "FOO"))                                 // 3
	n4 := change(t, s, r.ID, "rollback", func(tx metastore.Tx, n int) error { return tx.RestoreContent(ctx, r.ID, n, 1) })
	if got, _, _ := attrs(t, s, r.ID, n4, "foo"); got != (metastore.ProjectAttributes{DisplayName: "Foo", Status: "active"}) {
		t.Errorf("after rolling back to 1: %+v", got)
	}
	if got, _, _ := attrs(t, s, r.ID, 3, "foo"); got.DisplayName != "FOO" || got.Status != "deprecated" {
		t.Errorf("the rollback changed version 3: %+v", got)
	}
	n5 := change(t, s, r.ID, "rollback", func(tx metastore.Tx, n int) error { return tx.RestoreContent(ctx, r.ID, n, 3) })
	if got, _, _ := attrs(t, s, r.ID, n5, "foo"); got.DisplayName != "FOO" || got.Status != "deprecated" {
		t.Errorf("after rolling back to 3: %+v", got)
	}
	n6 := change(t, s, r.ID, "rollback", func(tx metastore.Tx, n int) error { return tx.RestoreContent(ctx, r.ID, n, 0) })
	if _, _, ok := attrs(t, s, r.ID, n6, "foo"); ok {
		t.Errorf("version %d holds foo after rolling back to 0", n6)
	}
	row, err := s.FileByFilename(ctx, r.ID, "foo-2.0.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	n7 := change(t, s, r.ID, "restore", func(tx metastore.Tx, n int) error { return tx.RestoreFile(ctx, r.ID, n, row.ID) })
	if got, _, ok := attrs(t, s, r.ID, n7, "foo"); !ok || got != (metastore.ProjectAttributes{DisplayName: "FOO", Status: "active"}) {
		t.Errorf("restored file: %+v (held %v)", got, ok)
	}
}
