package index_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/index"
)

// mixedBatch is a batch of adds (two of one project's releases, a file of a project an
// earlier upload made), the same file twice, a second file of a release (refused), a
// taken filename with other bytes (refused), a remove of a file added just before, its
// restore, a yank between adds, and adds after them; one service's own Prepared.
func mixedBatch(t *testing.T, s *index.Service) []index.Change {
	aName, aData := synthWheel("mix-a", "1.0")
	a2Name, a2Data := synthWheel("mix-a", "1.0.0")
	bName, bData := synthWheel("mix-b", "1.0")
	b2Name, b2Data := synthWheel("mix-b", "2.0")
	b3Name, b3Data := synthWheel("mix-b", "3.0")
	cName, cData := synthWheel("mix-c", "1.0")
	heldName, heldData := synthWheel("mix-held", "2.0")
	return []index.Change{
		prepared(t, s, aName, aData),
		prepared(t, s, aName, aData),   // the same file again: no change
		prepared(t, s, a2Name, a2Data), // 1.0.0 == 1.0, same tags: refused
		prepared(t, s, bName, bData),
		prepared(t, s, aName, withComment(t, aData, "other bytes")), // taken just before: refused
		prepared(t, s, heldName, heldData),
		{Kind: index.ChangeRemove, Filename: aName},
		prepared(t, s, aName, aData), // restored
		prepared(t, s, b2Name, b2Data),
		{Kind: index.ChangeYank, Project: "mix-b", Version: "1.0"},
		prepared(t, s, cName, cData),
		prepared(t, s, b3Name, b3Data),
	}
}

// TestQueuedAddsAsWrittenOneByOne: a batch whose adds are queued and written together
// (the default, and two at a time, which flushes on a full queue) gives the results,
// versions and files of the same batch written add by add.
func TestQueuedAddsAsWrittenOneByOne(t *testing.T) {
	ctx := context.Background()
	type outcome struct{ results, state string }
	run := func(addBatch int, staged bool) outcome {
		s := newService(t)
		index.SetAddBatch(s, addBatch)
		name, data := synthWheel("mix-held", "1.0")
		upload(t, s, name, data)
		var res []index.ChangeResult
		changes := mixedBatch(t, s)
		if staged {
			v, err := s.OpenVersion(ctx, "main", "sync")
			if err != nil {
				t.Fatal(err)
			}
			if res, err = v.Apply(ctx, changes); err != nil {
				t.Fatal(err)
			}
			if _, err := v.Publish(ctx); err != nil {
				t.Fatal(err)
			}
		} else {
			// Apply fails a whole batch on a refusal: without the refused adds.
			changes = append(changes[:2:2], append(changes[3:4:4], changes[5:]...)...)
			ar, err := s.Apply(ctx, "main", "mixed", changes)
			if err != nil {
				t.Fatal(err)
			}
			res = ar.Results
		}
		var out outcome
		for i, r := range res {
			f := ""
			if r.File != nil {
				c := *r.File
				c.UploadTime = time.Time{}
				f = fmt.Sprintf("%+v", c)
			}
			out.results += fmt.Sprintf("%d: changed %v restored %v matched %d files %d reason %q err %v file %s\n",
				i, r.Changed, r.Restored, r.Matched, r.Files, r.Reason, r.Err, f)
		}
		vs, err := s.Versions(ctx, "main")
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			out.state += fmt.Sprintf("version %d %q %d files\n", v.Number, v.Message, v.Files)
		}
		d := mainDist(t, s)
		for _, p := range []string{"mix-a", "mix-b", "mix-c", "mix-held"} {
			pr, err := s.Project(ctx, d, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range pr.Files {
				out.state += fmt.Sprintf("%s %s %s yanked %v %q origin %s presence %s meta %s\n",
					p, f.Filename, f.SHA256, f.Yanked, f.YankReason, f.Origin, f.Presence, f.MetadataSHA256)
			}
		}
		return out
	}
	for _, staged := range []bool{true, false} {
		want := run(1, staged)
		if staged && (!strings.Contains(want.results, "2: changed false") || !strings.Contains(want.results, "restored true")) {
			t.Fatalf("the batch written add by add:\n%s", want.results)
		}
		for _, n := range []int{0, 2} {
			if got := run(n, staged); got != want {
				t.Errorf("staged %v, adds written %d at a time:\n%s%s\nwant, add by add:\n%s%s", staged, n, got.results, got.state, want.results, want.state)
			}
		}
	}
}
