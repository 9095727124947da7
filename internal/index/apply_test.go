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

// TestApplyManyChangesMakesOneVersion: one Apply of 1,000 changes (adds, a yank, a
// remove of a file added in the same batch) makes exactly one repository version holding
// their combined effect, a status set on a project the batch adds among them; an Apply whose changes have no effect makes none.
func TestApplyManyChangesMakesOneVersion(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	name, data := synthWheel("base", "1.0")
	upload(t, s, name, data)
	before, err := s.Versions(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	var changes []index.Change
	for i := range 996 {
		fn, body := synthWheel(fmt.Sprintf("many%d", i%50), fmt.Sprintf("1.%d", i))
		p, err := s.Prepare(ctx, index.Upload{Filename: fn, Content: bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		changes = append(changes, index.Change{Kind: index.ChangeAdd, File: p})
	}
	reason := "broken"
	changes = append(changes,
		index.Change{Kind: index.ChangeYank, Project: "base", Version: "1.0", Reason: &reason},
		index.Change{Kind: index.ChangeYank, Project: "many0", Version: "1.0", Reason: &reason}, // added above
		index.Change{Kind: index.ChangeRemove, Filename: changes[1].File.File().Filename},
		index.Change{Kind: index.ChangeAttribute, Project: "many2", Status: "deprecated", StatusReason: "use many3"}, // added above
	)
	if len(changes) != 1000 {
		t.Fatalf("%d changes", len(changes))
	}
	res, err := s.Apply(ctx, "main", "import", changes)
	if err != nil {
		t.Fatal(err)
	}
	after, err := s.Versions(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before)+1 || !res.Made || res.Version != after[len(after)-1].Number {
		t.Fatalf("%d versions before, %d after (result %+v); want exactly one more", len(before), len(after), res)
	}
	last := after[len(after)-1]
	if last.Message != "import" || last.Files != 1+996-1 {
		t.Errorf("version %+v, want message import and %d files", last, 1+996-1)
	}
	d := mainDist(t, s)
	if f, err := s.File(ctx, d, name); err != nil || !f.Yanked || f.YankReason != reason {
		t.Errorf("base after the batch: %+v, %v", f, err)
	}
	if _, err := s.File(ctx, d, changes[1].File.File().Filename); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("file removed in the batch: %v", err)
	}
	if p, err := s.Project(ctx, d, "many2"); err != nil || p.Status != "deprecated" || p.StatusReason != "use many3" {
		t.Errorf("many2 after the batch: %+v, %v", p, err)
	}
	// The version before the batch reads as it did.
	pinned := &index.Distribution{Repository: "main", Pinned: &before[len(before)-1].Number}
	if f, err := s.File(ctx, pinned, name); err != nil || f.Yanked {
		t.Errorf("old version changed: %+v, %v", f, err)
	}

	// No effective change: a rollback to the latest, the same file again, a yank of a
	// release yanked with that reason already.
	res, err = s.Apply(ctx, "main", "", []index.Change{
		{Kind: index.ChangeRollback, To: last.Number},
		{Kind: index.ChangeAdd, File: changes[0].File},
		{Kind: index.ChangeYank, Project: "base", Version: "1.0", Reason: &reason},
	})
	if err != nil || res.Made || res.Version != last.Number {
		t.Fatalf("no-op Apply = %+v, %v", res, err)
	}
	for i, cr := range res.Results {
		if cr.Changed {
			t.Errorf("no-op change %d reported a change", i)
		}
	}
	if vs, _ := s.Versions(ctx, "main"); len(vs) != len(after) {
		t.Errorf("no-op Apply made a version: %d, want %d", len(vs), len(after))
	}

	// A failing change leaves everything as it was; so do malformed batches.
	fn, body := synthWheel("late", "1.0")
	p, err := s.Prepare(ctx, index.Upload{Filename: fn, Content: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	snap := takeSnapshot(t, s) // Prepare stored blobs; only the rows must not change
	for what, batch := range map[string][]index.Change{
		"missing file":      {{Kind: index.ChangeAdd, File: p}, {Kind: index.ChangeRemove, Filename: "nope-1.0.tar.gz"}},
		"late rollback":     {{Kind: index.ChangeAdd, File: p}, {Kind: index.ChangeRollback, To: 0}},
		"attribute":         {{Kind: index.ChangeAttribute}},
		"bad status":        {{Kind: index.ChangeAttribute, Project: "base", Status: "gone"}},
		"missing project":   {{Kind: index.ChangeAttribute, Project: "nope", Status: "archived"}},
		"unknown kind":      {{}},
		"yank without name": {{Kind: index.ChangeYank}},
	} {
		if _, err := s.Apply(ctx, "main", "", batch); err == nil {
			t.Errorf("%s: accepted", what)
		}
		if !takeSnapshot(t, s).equal(snap) {
			t.Errorf("%s: the failed batch changed the repository", what)
		}
	}
}
