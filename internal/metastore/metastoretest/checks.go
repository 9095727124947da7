package metastoretest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// testChecks: check reports are kept per file, newest first; the latest one is the
// file's verdict (PassedFiles, CheckVerdict), per repository (the foo / foo-bar trap:
// a project's name is compared whole); raw rows count as blob references; the
// repository and distribution check settings are stored.
func testChecks(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r, other := newRepo(t, s, "main"), newRepo(t, s, "other")
	const raw = "c0ffee0000000000000000000000000000000000000000000000000000000000"
	add := func(repo *metastore.Repository, filename, project, verdict string, raws ...metastore.CheckRaw) *metastore.CheckReport {
		t.Helper()
		c := &metastore.CheckReport{RepositoryID: repo.ID, Filename: filename, Project: project, TaskID: 7, Attempt: 1,
			Verdict: verdict, Report: []byte(`{"verdict":"` + verdict + `"}`), CreatedAt: t0, Raw: raws}
		mustTx(t, s, func(tx metastore.Tx) error { return tx.AddCheckReport(ctx, c) })
		return c
	}
	first := add(r, "foo-1.0.tar.gz", "foo", "pass", metastore.CheckRaw{Name: "install.trace", Task: "install", SHA256: raw, Size: 3})
	add(r, "foo-2.0.tar.gz", "foo", "fail")
	add(r, "foo_bar-1.0.tar.gz", "foo-bar", "pass")
	add(other, "foo-3.0.tar.gz", "foo", "pass")
	if got, err := s.PassedFiles(ctx, r.ID, "foo"); err != nil || !slices.Equal(got, []string{"foo-1.0.tar.gz"}) {
		t.Errorf("PassedFiles = %v, %v", got, err)
	}
	// The latest report wins: foo-1.0 fails its second check.
	latest := add(r, "foo-1.0.tar.gz", "foo", "warn")
	if got, _ := s.PassedFiles(ctx, r.ID, "foo"); len(got) != 0 {
		t.Errorf("PassedFiles after a warn = %v", got)
	}
	if v, err := s.CheckVerdict(ctx, r.ID, "foo-1.0.tar.gz"); v != "warn" || err != nil {
		t.Errorf("CheckVerdict = %q, %v", v, err)
	}
	if v, err := s.CheckVerdict(ctx, r.ID, "never-1.0.tar.gz"); v != "" || err != nil {
		t.Errorf("CheckVerdict of a file never checked = %q, %v", v, err)
	}
	got, err := s.LatestCheckReport(ctx, r.ID, "foo-1.0.tar.gz")
	if err != nil || got.ID != latest.ID || string(got.Report) != `{"verdict":"warn"}` || got.Repository != "main" {
		t.Errorf("LatestCheckReport = %+v, %v", got, err)
	}
	if _, err := s.LatestCheckReport(ctx, other.ID, "foo-1.0.tar.gz"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("LatestCheckReport of another repository: %v", err)
	}
	one, err := s.CheckReport(ctx, first.ID)
	if err != nil || len(one.Raw) != 1 || one.Raw[0] != (metastore.CheckRaw{Name: "install.trace", Task: "install", SHA256: raw, Size: 3}) || one.TaskID != 7 || one.Attempt != 1 {
		t.Errorf("CheckReport = %+v, %v", one, err)
	}
	if _, err := s.CheckReport(ctx, 9999); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("CheckReport(9999): %v", err)
	}
	list, err := s.CheckReports(ctx, r.ID, "foo-1.0.tar.gz", 0, 0)
	if err != nil || len(list) != 2 || list[0].ID != latest.ID || list[1].ID != first.ID || list[0].Report != nil {
		t.Errorf("CheckReports = %+v, %v", list, err)
	}
	if all, _ := s.CheckReports(ctx, r.ID, "", 2, 0); len(all) != 2 || all[0].ID != latest.ID {
		t.Errorf("CheckReports limit 2 = %+v", all)
	}
	if older, _ := s.CheckReports(ctx, r.ID, "", 0, latest.ID); len(older) != 3 {
		t.Errorf("CheckReports before = %+v", older)
	}
	if used, err := s.BlobReferenced(ctx, raw); !used || err != nil {
		t.Errorf("a raw blob is not referenced: %v, %v", used, err)
	}
	// A superseded attempt that still finishes after the retry (its process was thought
	// dead) is kept in the history but does not replace the retry's report.
	retry := &metastore.CheckReport{RepositoryID: r.ID, Filename: "late-1.0.tar.gz", Project: "late", TaskID: 9, Attempt: 2,
		Verdict: "pass", Report: []byte(`{"verdict":"pass"}`), CreatedAt: t0}
	mustTx(t, s, func(tx metastore.Tx) error { return tx.AddCheckReport(ctx, retry) })
	stale := &metastore.CheckReport{RepositoryID: r.ID, Filename: "late-1.0.tar.gz", Project: "late", TaskID: 9, Attempt: 1,
		Verdict: "fail", Report: []byte(`{"verdict":"fail"}`), CreatedAt: t0}
	mustTx(t, s, func(tx metastore.Tx) error { return tx.AddCheckReport(ctx, stale) })
	if got, err := s.LatestCheckReport(ctx, r.ID, "late-1.0.tar.gz"); err != nil || got.ID != retry.ID {
		t.Errorf("after a stale attempt, LatestCheckReport = %+v, %v; want the retry's report %d", got, err, retry.ID)
	}
	if v, _ := s.CheckVerdict(ctx, r.ID, "late-1.0.tar.gz"); v != "pass" {
		t.Errorf("after a stale attempt, CheckVerdict = %q, want pass", v)
	}
	// A raw name twice in one report is refused, and nothing of that report is stored.
	err = s.InTx(ctx, func(tx metastore.Tx) error {
		return tx.AddCheckReport(ctx, &metastore.CheckReport{RepositoryID: r.ID, Filename: "x-1.0.tar.gz", Project: "x", Verdict: "pass",
			Report: []byte("{}"), CreatedAt: t0, Raw: []metastore.CheckRaw{{Name: "a", SHA256: raw}, {Name: "a", SHA256: raw}}})
	})
	if !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("a raw name twice: %v", err)
	}
	if v, _ := s.CheckVerdict(ctx, r.ID, "x-1.0.tar.gz"); v != "" {
		t.Errorf("half a report stored: %q", v)
	}

	// Settings.
	mustTx(t, s, func(tx metastore.Tx) error { return tx.SetCheckOnUpload(ctx, r.ID, true) })
	if got, _ := s.Repository(ctx, "main"); !got.CheckOnUpload {
		t.Error("check_on_upload not stored")
	}
	if got, _ := s.Repository(ctx, "other"); got.CheckOnUpload {
		t.Error("check_on_upload set on another repository")
	}
	if err := s.InTx(ctx, func(tx metastore.Tx) error { return tx.SetCheckOnUpload(ctx, 9999, true) }); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("SetCheckOnUpload(9999): %v", err)
	}
	d := &metastore.Distribution{BasePath: "strict", RepositoryID: r.ID, Public: true, RequireChecks: true, CreatedAt: t0}
	mustTx(t, s, func(tx metastore.Tx) error { return tx.CreateDistribution(ctx, d) })
	if got, err := s.Distribution(ctx, "strict"); err != nil || !got.RequireChecks {
		t.Errorf("require_checks on create: %+v, %v", got, err)
	}
	d.RequireChecks = false
	mustTx(t, s, func(tx metastore.Tx) error { return tx.UpdateDistribution(ctx, d) })
	if got, _ := s.Distributions(ctx); len(got) != 1 || got[0].RequireChecks {
		t.Errorf("require_checks after update: %+v", got)
	}
}
