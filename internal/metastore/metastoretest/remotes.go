package metastoretest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// testRemotes: remotes are created once per name, updated and deleted by name, and
// their sync state is kept per repository and paged in order.
func testRemotes(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	a, b := newRepo(t, s, "a"), newRepo(t, s, "b")
	r := &metastore.Remote{Name: "pypi", URL: "https://pypi.org/simple/", Config: []byte(`{"policy":"immediate"}`),
		Username: "u", Password: "secret", CreatedAt: t0, UpdatedAt: t0}
	mustTx(t, s, func(tx metastore.Tx) error { return tx.CreateRemote(ctx, r) })
	if r.ID == 0 {
		t.Fatal("CreateRemote set no ID")
	}
	err := s.InTx(ctx, func(tx metastore.Tx) error {
		return tx.CreateRemote(ctx, &metastore.Remote{Name: "pypi", URL: "x", CreatedAt: t0, UpdatedAt: t0})
	})
	if !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("second remote pypi: %v, want ErrConflict", err)
	}
	got, err := s.Remote(ctx, "pypi")
	if err != nil || got.Password != "secret" || string(got.Config) != `{"policy":"immediate"}` || !got.CreatedAt.Equal(t0) {
		t.Fatalf("Remote = %+v, %v", got, err)
	}
	got.URL, got.Token, got.Password = "https://other/simple/", "tok", ""
	mustTx(t, s, func(tx metastore.Tx) error { return tx.UpdateRemote(ctx, got) })
	if got, _ := s.Remote(ctx, "pypi"); got.URL != "https://other/simple/" || got.Token != "tok" || got.Password != "" {
		t.Fatalf("after update: %+v", got)
	}
	if err := s.InTx(ctx, func(tx metastore.Tx) error { return tx.UpdateRemote(ctx, &metastore.Remote{Name: "nope"}) }); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("update of a missing remote: %v", err)
	}

	var states []metastore.SyncState
	for i := range metastore.MaxBatch + 3 {
		states = append(states, metastore.SyncState{RemoteID: r.ID, RepositoryID: a.ID, Project: fmt.Sprintf("p%04d", i), ETag: `"e"`, Serial: int64(i), SyncedAt: t0})
	}
	states = append(states, metastore.SyncState{RemoteID: r.ID, RepositoryID: b.ID, Project: "only-b", SyncedAt: t0})
	mustTx(t, s, func(tx metastore.Tx) error { return tx.PutSyncStates(ctx, states) })
	mustTx(t, s, func(tx metastore.Tx) error {
		return tx.PutSyncStates(ctx, []metastore.SyncState{{RemoteID: r.ID, RepositoryID: a.ID, Project: "p0001", ETag: `"new"`, Serial: 99, Mirrored: true, Config: "c1", SyncedAt: t0}})
	})
	st, err := s.SyncStates(ctx, r.ID, a.ID, []string{"p0001", "only-b", "missing"})
	if err != nil || len(st) != 1 || st[0].ETag != `"new"` || st[0].Serial != 99 || !st[0].Mirrored || st[0].Config != "c1" {
		t.Fatalf("SyncStates = %+v, %v", st, err)
	}
	var seen []string
	if err := s.SyncedProjects(ctx, r.ID, a.ID, func(p string) error { seen = append(seen, p); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != metastore.MaxBatch+3 || seen[0] != "p0000" || seen[len(seen)-1] != fmt.Sprintf("p%04d", metastore.MaxBatch+2) {
		t.Fatalf("SyncedProjects gave %d projects (%v ... )", len(seen), seen[:min(3, len(seen))])
	}
	mustTx(t, s, func(tx metastore.Tx) error { return tx.DeleteSyncStates(ctx, r.ID, a.ID, "p0002") })
	if st, _ := s.SyncStates(ctx, r.ID, a.ID, []string{"p0002", "p0003"}); len(st) != 1 || st[0].Project != "p0003" {
		t.Fatalf("after deleting p0002: %+v", st)
	}
	mustTx(t, s, func(tx metastore.Tx) error { return tx.DeleteSyncStates(ctx, r.ID, 0, "") })
	if st, _ := s.SyncStates(ctx, r.ID, b.ID, []string{"only-b"}); len(st) != 0 {
		t.Fatalf("states left after forgetting every repository: %+v", st)
	}
	mustTx(t, s, func(tx metastore.Tx) error { return tx.DeleteRemote(ctx, "pypi") })
	if _, err := s.Remote(ctx, "pypi"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("deleted remote: %v", err)
	}
	if rs, err := s.Remotes(ctx); err != nil || len(rs) != 0 {
		t.Fatalf("Remotes = %v, %v", rs, err)
	}
}
