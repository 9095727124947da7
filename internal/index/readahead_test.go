package index_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

// prepared prepares a file for Apply.
func prepared(t *testing.T, s *index.Service, name string, data []byte) index.Change {
	t.Helper()
	p, err := s.Prepare(context.Background(), index.Upload{Filename: name, Content: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	return index.Change{Kind: index.ChangeAdd, File: p}
}

// TestBatchRulesWithinOneApply: the adds of one batch read what their rules need ahead
// of them, together; every rule still holds between the adds of one batch (a second file
// of a release added just before, a filename taken just before with other bytes, a
// status set just before) and against the repository (a blocked project, an archived
// one, a filename used by a removed file, a release the repository holds), with the
// same refusal in each add's result as when each add read the repository alone.
func TestBatchRulesWithinOneApply(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	heldName, heldData := synthWheel("held", "1.0")
	upload(t, s, heldName, heldData)
	frozenName, frozenData := synthWheel("frozen", "1.0")
	upload(t, s, frozenName, frozenData)
	if _, err := s.SetProjectStatus(ctx, "main", "frozen", index.StatusArchived, ""); err != nil {
		t.Fatal(err)
	}
	goneName, goneData := synthWheel("gone", "1.0")
	upload(t, s, goneName, goneData)
	if err := s.Remove(ctx, "main", "", "", goneName); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Block(ctx, "main", "blocked-pkg"); err != nil {
		t.Fatal(err)
	}

	dupName, dupData := synthWheel("dup", "1.2")
	dup2Name, dup2Data := synthWheel("dup", "1.2.0")
	blockedName, blockedData := synthWheel("blocked-pkg", "1.0")
	frozen2Name, frozen2Data := synthWheel("frozen", "2.0")
	held2Name, held2Data := synthWheel("held", "1.0.0")
	later1Name, later1Data := synthWheel("later", "1.0")
	later2Name, later2Data := synthWheel("later", "2.0")
	fineName, fineData := synthWheel("fine", "1.0")
	changes := []index.Change{
		prepared(t, s, dupName, dupData),
		prepared(t, s, dup2Name, dup2Data),                                // 1.2.0 == 1.2, same tags, added just before
		prepared(t, s, blockedName, blockedData),                          // the blocklist
		prepared(t, s, frozen2Name, frozen2Data),                          // archived
		prepared(t, s, goneName, withComment(t, goneData, "other bytes")), // a removed file's filename
		prepared(t, s, dupName, withComment(t, dupData, "other bytes")),   // taken just before
		prepared(t, s, dupName, dupData),                                  // the same bytes again: no change
		prepared(t, s, held2Name, held2Data),                              // the repository holds held 1.0
		prepared(t, s, later1Name, later1Data),
		{Kind: index.ChangeAttribute, Project: "later", Status: index.StatusQuarantined},
		prepared(t, s, later2Name, later2Data), // quarantined just before
		prepared(t, s, fineName, fineData),
	}
	want := []error{nil, index.ErrDuplicateFile, index.ErrBlocked, index.ErrStatusRefusesUpload, index.ErrFilenameReused,
		errs.ErrConflict, nil, index.ErrDuplicateFile, nil, nil, index.ErrStatusRefusesUpload, nil}
	changed := []bool{true, false, false, false, false, false, false, false, true, true, false, true}

	v, err := s.OpenVersion(ctx, "main", "sync")
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Apply(ctx, changes)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if want[i] == nil && r.Err != nil || want[i] != nil && !errors.Is(r.Err, want[i]) || r.Changed != changed[i] {
			t.Errorf("change %d: changed %v, err %v; want changed %v, err %v", i, r.Changed, r.Err, changed[i], want[i])
		}
	}
	if res[6].File == nil || res[6].File.Filename != dupName {
		t.Errorf("the same bytes again: file %+v", res[6].File)
	}
	if _, err := v.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	d := mainDist(t, s)
	for project, files := range map[string]int{"dup": 1, "later": 1, "fine": 1, "held": 1, "frozen": 1} {
		p, err := s.Project(ctx, d, project)
		if err != nil || len(p.Files) != files {
			t.Errorf("project %s: %+v, %v; want %d files", project, p, err, files)
		}
	}
	if _, err := s.Project(ctx, d, "blocked-pkg"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("blocked project: %v", err)
	}

	// Apply, which fails a whole batch on a refusal, refuses the second file of a
	// release added by the same batch, and makes no version.
	before, err := s.Versions(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	aName, aData := synthWheel("pair", "3.0")
	bName, bData := synthWheel("pair", "3")
	if _, err := s.Apply(ctx, "main", "", []index.Change{prepared(t, s, aName, aData), prepared(t, s, bName, bData)}); !errors.Is(err, index.ErrDuplicateFile) {
		t.Fatalf("two files of one release in one Apply: %v", err)
	}
	if after, err := s.Versions(ctx, "main"); err != nil || len(after) != len(before) {
		t.Fatalf("versions %d, then %d, %v", len(before), len(after), err)
	}
}

// TestBatchRulesBeyondOneRead: a batch of more adds than one read ahead takes
// (metastore.MaxBatch) still refuses a second file of a release whose first file came
// in an earlier read of the same batch.
func TestBatchRulesBeyondOneRead(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	var changes []index.Change
	for i := range 600 {
		name, data := synthWheel(fmt.Sprintf("wide%d", i%7), fmt.Sprintf("1.%d", i))
		changes = append(changes, prepared(t, s, name, data))
	}
	name, data := synthWheel("wide0", "1.0.0") // wide0 1.0, the first add
	changes = append(changes, prepared(t, s, name, data))
	v, err := s.OpenVersion(ctx, "main", "sync")
	if err != nil {
		t.Fatal(err)
	}
	defer v.Discard(ctx)
	res, err := v.Apply(ctx, changes)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res[:600] {
		if !r.Changed || r.Err != nil {
			t.Fatalf("add %d: %+v", i, r)
		}
	}
	if last := res[600]; last.Changed || !errors.Is(last.Err, index.ErrDuplicateFile) {
		t.Fatalf("the second file of wide0 1.0: %+v", last)
	}
}
