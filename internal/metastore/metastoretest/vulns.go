package metastoretest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

func testVulns(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	put := func(v metastore.Vuln) (added, changed bool) {
		t.Helper()
		mustTx(t, s, func(tx metastore.Tx) (err error) {
			added, changed, err = tx.PutVuln(ctx, &v)
			return err
		})
		return added, changed
	}
	ids := func(project string) []string {
		t.Helper()
		vs, err := s.ProjectVulns(ctx, project)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range vs {
			out = append(out, v.ID)
		}
		return out
	}
	a := metastore.Vuln{ID: "PYSEC-1", Modified: t0, Projects: []string{"foo", "foo-bar"}, Record: []byte(`{"id":"PYSEC-1"}`)}
	if added, changed := put(a); !added || !changed {
		t.Errorf("first put: added %v changed %v, want both", added, changed)
	}
	if added, changed := put(a); added || changed {
		t.Errorf("same record again: added %v changed %v, want neither", added, changed)
	}
	put(metastore.Vuln{ID: "GHSA-2", Modified: t0, Projects: []string{"foo"}, Record: []byte(`{"id":"GHSA-2"}`)})
	if got := ids("foo"); !slices.Equal(got, []string{"GHSA-2", "PYSEC-1"}) {
		t.Errorf("foo: %v", got)
	}
	if vs, err := s.ProjectVulns(ctx, "foo-bar"); err != nil || len(vs) != 1 || !slices.Equal(vs[0].Projects, []string{"foo", "foo-bar"}) ||
		string(vs[0].Record) != string(a.Record) || !vs[0].Modified.Equal(t0) || vs[0].Withdrawn != nil {
		t.Errorf("ProjectVulns(foo-bar) = %+v, %v", vs, err)
	}
	// The foo versus foo-bar prefix trap, and a project no record names.
	if got := ids("foo-bar"); !slices.Equal(got, []string{"PYSEC-1"}) {
		t.Errorf("foo-bar: %v", got)
	}
	if got := ids("fo"); len(got) != 0 {
		t.Errorf("fo: %v", got)
	}
	// A modified record replaces the old one, projects included; withdrawn is kept.
	w := t0.Add(time.Hour)
	b := metastore.Vuln{ID: "PYSEC-1", Modified: w, Withdrawn: &w, Projects: []string{"baz"}, Record: []byte(`{"id":"PYSEC-1","v":2}`)}
	if added, changed := put(b); added || !changed {
		t.Errorf("modified put: added %v changed %v, want changed only", added, changed)
	}
	if got := ids("foo-bar"); len(got) != 0 {
		t.Errorf("foo-bar still indexed after the record dropped it: %v", got)
	}
	got, err := s.Vuln(ctx, "PYSEC-1")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Record) != string(b.Record) || got.Withdrawn == nil || !got.Withdrawn.Equal(w) || !got.Modified.Equal(w) ||
		!slices.Equal(got.Projects, []string{"baz"}) {
		t.Errorf("read back %+v", got)
	}
	if n, err := s.VulnCount(ctx); err != nil || n != 2 {
		t.Errorf("VulnCount = %d, %v; want 2", n, err)
	}
	if _, err := s.Vuln(ctx, "PYSEC-404"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("missing id: %v, want ErrNotFound", err)
	}
	err = s.InTx(ctx, func(tx metastore.Tx) error {
		_, _, err := tx.PutVuln(ctx, &metastore.Vuln{ID: "X"})
		return err
	})
	if !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("empty record: %v, want ErrInvalid", err)
	}
	// A transaction that fails leaves nothing of its records.
	boom := errors.New("boom")
	err = s.InTx(ctx, func(tx metastore.Tx) error {
		if _, _, err := tx.PutVuln(ctx, &metastore.Vuln{ID: "PYSEC-9", Modified: t0, Projects: []string{"qux"}, Record: []byte(`{}`)}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got := ids("qux"); len(got) != 0 {
		t.Errorf("rolled back record is indexed: %v", got)
	}
}
