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

// testDistributionSources: a merged distribution's sources and allow-shadow list round
// trip in order, are replaced by an update, and go with the distribution.
func testDistributionSources(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	a, b := newRepo(t, s, "hosted"), newRepo(t, s, "mirror")
	pin := 0
	d := &metastore.Distribution{BasePath: "team", RepositoryID: a.ID, Public: true, CreatedAt: t0,
		Sources: []metastore.DistributionSource{
			{RepositoryID: a.ID},
			{RepositoryID: b.ID, Pinned: &pin, PullRemote: "pypi", PullTTL: 10 * time.Minute},
		},
		AllowShadow: []string{"zeta", "alpha"},
	}
	plain := &metastore.Distribution{BasePath: "plain", RepositoryID: b.ID, CreatedAt: t0}
	mustTx(t, s, func(tx metastore.Tx) error {
		if err := tx.CreateDistribution(ctx, d); err != nil {
			return err
		}
		return tx.CreateDistribution(ctx, plain)
	})
	got, err := s.Distribution(ctx, "team")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Sources) != 2 || got.Sources[0].Repository != "hosted" || got.Sources[1].Repository != "mirror" ||
		got.Sources[1].Pinned == nil || *got.Sources[1].Pinned != 0 || got.Sources[0].Pinned != nil ||
		got.Sources[1].PullRemote != "pypi" || got.Sources[1].PullTTL != 10*time.Minute {
		t.Errorf("sources = %+v", got.Sources)
	}
	if !slices.Equal(got.AllowShadow, []string{"alpha", "zeta"}) {
		t.Errorf("allow-shadow = %v", got.AllowShadow)
	}
	ds, _ := s.Distributions(ctx)
	if len(ds) != 2 || ds[0].BasePath != "plain" || ds[0].Sources != nil || ds[0].AllowShadow != nil || len(ds[1].Sources) != 2 {
		t.Errorf("Distributions = %+v", ds)
	}
	d.Sources = []metastore.DistributionSource{{RepositoryID: b.ID}, {RepositoryID: a.ID}}
	d.AllowShadow = nil
	mustTx(t, s, func(tx metastore.Tx) error { return tx.UpdateDistribution(ctx, d) })
	got, _ = s.Distribution(ctx, "team")
	if len(got.Sources) != 2 || got.Sources[0].Repository != "mirror" || got.Sources[1].Repository != "hosted" || got.AllowShadow != nil {
		t.Errorf("after update %+v", got)
	}
	mustTx(t, s, func(tx metastore.Tx) error { return tx.DeleteDistribution(ctx, "team") })
	mustTx(t, s, func(tx metastore.Tx) error {
		return tx.CreateDistribution(ctx, &metastore.Distribution{BasePath: "team", RepositoryID: a.ID, CreatedAt: t0})
	})
	if got, _ := s.Distribution(ctx, "team"); got.Sources != nil {
		t.Errorf("a deleted distribution's sources came back: %+v", got.Sources)
	}
}

// testProjectKnown: a project keeps its serial (stays known) to a repository after its files are removed,
// from the version that first held it on, and not before; KnownProjects lists it.
func testProjectKnown(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	other := newRepo(t, s, "other")
	add(t, s, other.ID, file(other.ID, "bar", "1.0", ".tar.gz"))
	v1 := add(t, s, r.ID, file(r.ID, "foo", "1.0", ".tar.gz"))
	v2 := change(t, s, r.ID, "rm", func(tx metastore.Tx, n int) error {
		_, err := tx.RemoveFiles(ctx, r.ID, n, "foo", "1.0", "")
		return err
	})
	for _, c := range []struct {
		v    int
		name string
		want bool
	}{{0, "foo", false}, {v1, "foo", true}, {v2, "foo", true}, {v2, "bar", false}, {v2, "fo", false}} {
		if got, err := s.ProjectSerial(ctx, r.ID, c.v, c.name); err != nil || (got > 0) != c.want {
			t.Errorf("ProjectSerial(v%d, %s) = %v, %v; want known %v", c.v, c.name, got, err, c.want)
		}
	}
	s1, _ := s.ProjectSerial(ctx, r.ID, v1, "foo")
	s2, _ := s.ProjectSerial(ctx, r.ID, v2, "foo")
	if s2 <= s1 {
		t.Errorf("removing the files did not raise the serial: %d then %d", s1, s2)
	}
	if got, err := s.KnownProjects(ctx, r.ID, v2); err != nil || len(got) != 1 || got[0].Name != "foo" || got[0].Serial != s2 {
		t.Errorf("KnownProjects = %+v, %v", got, err)
	}
	if got, _ := s.KnownProjects(ctx, r.ID, 0); len(got) != 0 {
		t.Errorf("KnownProjects(v0) = %v", got)
	}
}

// testBlockRules: rules are kept per repository, sorted, unique, and deleted by text.
func testBlockRules(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r, other := newRepo(t, s, "main"), newRepo(t, s, "other")
	mustTx(t, s, func(tx metastore.Tx) error {
		for _, br := range []metastore.BlockRule{
			{RepositoryID: r.ID, Rule: "foo==1.0", Project: "foo", Version: "1.0"},
			{RepositoryID: r.ID, Rule: "bar", Project: "bar"},
			{RepositoryID: other.ID, Rule: "x-1.0.tar.gz", Filename: "x-1.0.tar.gz"},
		} {
			br.CreatedAt = t0
			if err := tx.AddBlockRule(ctx, &br); err != nil {
				return err
			}
		}
		return nil
	})
	err := s.InTx(ctx, func(tx metastore.Tx) error {
		return tx.AddBlockRule(ctx, &metastore.BlockRule{RepositoryID: r.ID, Rule: "bar", Project: "bar", CreatedAt: t0})
	})
	if !errors.Is(err, errs.ErrConflict) {
		t.Errorf("duplicate rule: %v", err)
	}
	got, err := s.BlockRules(ctx, r.ID)
	if err != nil || len(got) != 2 || got[0].Rule != "bar" || got[1].Version != "1.0" || !got[1].CreatedAt.Equal(t0) {
		t.Errorf("BlockRules = %+v, %v", got, err)
	}
	mustTx(t, s, func(tx metastore.Tx) error { return tx.DeleteBlockRule(ctx, r.ID, "bar") })
	if err := s.InTx(ctx, func(tx metastore.Tx) error { return tx.DeleteBlockRule(ctx, r.ID, "bar") }); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	if got, _ := s.BlockRules(ctx, other.ID); len(got) != 1 {
		t.Errorf("other repository's rules: %+v", got)
	}
}

// testFilePresence: flipping a row's presence makes no version and shows in every
// version that holds the file.
func testFilePresence(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "main")
	f := file(r.ID, "foo", "1.0", ".tar.gz")
	f.Presence, f.Origin, f.OriginRemote = metastore.PresenceRemote, metastore.OriginSync, "up"
	v := add(t, s, r.ID, f)
	row, err := s.FileAt(ctx, r.ID, v, f.Filename)
	if err != nil || row.Presence != metastore.PresenceRemote {
		t.Fatalf("row %+v, %v", row, err)
	}
	mustTx(t, s, func(tx metastore.Tx) error { return tx.SetFilePresence(ctx, row.ID, metastore.PresenceStored) })
	row, _ = s.FileAt(ctx, r.ID, v, f.Filename)
	if row.Presence != metastore.PresenceStored {
		t.Errorf("presence %q", row.Presence)
	}
	if repo, _ := s.Repository(ctx, "main"); repo.Latest != v {
		t.Errorf("presence made a version: latest %d, want %d", repo.Latest, v)
	}
	if err := s.InTx(ctx, func(tx metastore.Tx) error { return tx.SetFilePresence(ctx, row.ID+100, metastore.PresenceStored) }); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("unknown row: %v", err)
	}
	if err := s.InTx(ctx, func(tx metastore.Tx) error { return tx.SetFilePresence(ctx, row.ID, "maybe") }); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("bad presence: %v", err)
	}
}
