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

// syncedBatch prepares n synced wheels of project in a SyncBatch and commits their blobs.
func syncedBatch(t testing.TB, s *index.Service, project string, from, n int) []index.Change {
	t.Helper()
	ctx := context.Background()
	b := s.NewSyncBatch()
	var out []index.Change
	for i := from; i < from+n; i++ {
		name, data := synthWheel(project, fmt.Sprintf("1.%d", i))
		p, err := b.Synced(ctx, index.SyncedFile{Filename: name, SHA256: hexSum(data), Size: int64(len(data)), Remote: "up"}, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, index.Change{Kind: index.ChangeAdd, File: p})
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOpenVersion: a version filled in several batches is ONE version, published at
// once: readers see nothing of it before, other writers are refused while it is open,
// and a rule's refusal skips that add only.
func TestOpenVersion(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	d := mainDist(t, s)
	v, err := s.OpenVersion(ctx, "main", "sync up")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		res, err := v.Apply(ctx, syncedBatch(t, s, "demo", 2*i, 2))
		if err != nil || len(res) != 2 || !res[0].Changed || !res[1].Changed {
			t.Fatalf("batch %d: %+v, %v", i, res, err)
		}
		if ps, _, err := s.Projects(ctx, d); err != nil || len(ps) != 0 {
			t.Fatalf("a reader sees the staged version: %+v, %v", ps, err)
		}
	}
	name, data := synthWheel("other", "1.0")
	if _, _, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: name, Content: bytes.NewReader(data)}); !errors.Is(err, index.ErrVersionOpen) || !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("upload while a version is open: %v", err)
	}
	if _, err := s.OpenVersionNow(ctx, "main", "refresh"); !errors.Is(err, index.ErrVersionOpen) {
		t.Fatalf("a second version now: %v", err)
	}
	// The same file again changes nothing; a second file of a release for the same tags
	// is refused, alone.
	again := syncedBatch(t, s, "demo", 0, 1)
	res, err := v.Apply(ctx, again)
	if err != nil || res[0].Changed || res[0].Err != nil {
		t.Fatalf("the same file again: %+v, %v", res, err)
	}
	if v.Changes() != 6 {
		t.Fatalf("changes %d", v.Changes())
	}
	ar, err := v.Publish(ctx)
	if err != nil || !ar.Made || ar.Version != 1 {
		t.Fatalf("publish: %+v, %v", ar, err)
	}
	vs, err := s.Versions(ctx, "main")
	if err != nil || len(vs) != 2 || vs[1].Files != 6 {
		t.Fatalf("versions %+v, %v", vs, err)
	}
	p, err := s.Project(ctx, d, "demo")
	if err != nil || len(p.Files) != 6 || p.Serial == 0 {
		t.Fatalf("project after publish: %+v, %v", p, err)
	}
	upload(t, s, name, data) // writers are back
}

// TestOpenVersionAbandoned: what a sync staged when its process died (no Publish, no
// Discard) is never seen, and the next writer of the repository undoes it: its file rows
// go, and its blobs are left unreferenced, for gc (which kept them while staged). A
// version the repository moved past cannot go on.
func TestOpenVersionAbandoned(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := newServiceAt(t, dir)
	v, err := s.OpenVersion(ctx, "main", "sync up")
	if err != nil {
		t.Fatal(err)
	}
	changes := syncedBatch(t, s, "demo", 0, 3)
	if _, err := v.Apply(ctx, changes); err != nil {
		t.Fatal(err)
	}
	// The process "dies": another Service over the same data knows nothing of it.
	after := newServiceAt(t, dir)
	if ps, _, err := after.Projects(ctx, mainDist(t, after)); err != nil || len(ps) != 0 {
		t.Fatalf("the abandoned version is visible: %+v, %v", ps, err)
	}
	rep, err := after.GC(ctx, index.GCOptions{DryRun: true})
	if err != nil || rep.Unreferenced != 0 {
		t.Fatalf("gc while staged: %+v, %v", rep, err)
	}
	staged := changes[0].File.File().Filename
	r, err := after.Store().Repository(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := after.Store().FileByFilename(ctx, r.ID, staged); err != nil {
		t.Fatalf("the staged row: %v", err)
	}
	name, data := synthWheel("other", "1.0")
	upload(t, after, name, data)
	if _, err := after.Store().FileByFilename(ctx, r.ID, staged); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("the abandoned row after the next write: %v", err)
	}
	rep, err = after.GC(ctx, index.GCOptions{DryRun: true})
	if err != nil || rep.Unreferenced != 3 { // 3 wheels (their metadata files are in them: derivedmeta.go)
		t.Fatalf("gc after: %+v, %v", rep, err)
	}
	// Had the first process lived on, its version could not go on over the new one: its
	// next batch and its Publish are refused, and nothing of it shows.
	if _, err := v.Apply(ctx, syncedBatch(t, s, "late", 0, 1)); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("a batch of a version the repository moved past: %v, want ErrConflict", err)
	}
	if _, err := v.Publish(ctx); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("publishing a version the repository moved past: %v, want ErrConflict", err)
	}
	if err := v.Discard(ctx); err != nil {
		t.Fatal(err)
	}
	if ps, _, err := after.Projects(ctx, mainDist(t, after)); err != nil || len(ps) != 1 || ps[0].Name != "other" {
		t.Fatalf("projects after the refused batch: %+v, %v", ps, err)
	}
	vs, err := after.Versions(ctx, "main")
	if err != nil || len(vs) != 2 || vs[1].Files != 1 {
		t.Fatalf("versions %+v, %v", vs, err)
	}
	// A sync of the same files now starts afresh and publishes them.
	v2, err := after.OpenVersion(ctx, "main", "sync up")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v2.Apply(ctx, syncedBatch(t, after, "demo", 0, 3)); err != nil {
		t.Fatal(err)
	}
	if ar, err := v2.Publish(ctx); err != nil || ar.Version != 2 {
		t.Fatalf("publish: %+v, %v", ar, err)
	}
}

// TestOpenVersionDiscard: Discard leaves the repository as it was, and a refused add is
// reported in its result without failing the batch.
func TestOpenVersionDiscard(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	first := syncedBatch(t, s, "demo", 0, 1)
	if _, err := s.Apply(ctx, "main", "", first); err != nil {
		t.Fatal(err)
	}
	before := takeSnapshot(t, s)
	v, err := s.OpenVersion(ctx, "main", "sync up")
	if err != nil {
		t.Fatal(err)
	}
	more := syncedBatch(t, s, "demo", 1, 1)
	res, err := v.Apply(ctx, append(more, index.Change{Kind: index.ChangeYank, Project: "demo", Version: "1.0"}))
	if err != nil || !res[0].Changed || !res[1].Changed {
		t.Fatalf("apply: %+v, %v", res, err)
	}
	if err := v.Discard(ctx); err != nil {
		t.Fatal(err)
	}
	after := takeSnapshot(t, s)
	after.blobs = before.blobs // the staged file's blobs stay, for gc
	if !before.equal(after) {
		t.Fatalf("discard changed the repository:\n%+v\n%+v", before, after)
	}
	p, err := s.Project(ctx, mainDist(t, s), "demo")
	if err != nil || len(p.Files) != 1 || p.Files[0].Yanked {
		t.Fatalf("after discard: %+v, %v", p, err)
	}
	if _, err := v.Apply(ctx, more); err == nil {
		t.Fatal("apply after discard")
	}
	// A second file of a release for the same tags is refused alone: demo 1.0.0 is
	// demo 1.0.
	v, err = s.OpenVersion(ctx, "main", "sync up")
	if err != nil {
		t.Fatal(err)
	}
	name, data := synthWheel("demo", "1.0.0")
	dup := index.SyncedFile{Filename: name, SHA256: hexSum(data), Size: int64(len(data)), Remote: "up"}
	b := s.NewSyncBatch()
	pd, err := b.Synced(ctx, dup, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	res, err = v.Apply(ctx, append([]index.Change{{Kind: index.ChangeAdd, File: pd}}, syncedBatch(t, s, "demo", 2, 1)...))
	if err != nil || !errors.Is(res[0].Err, index.ErrDuplicateFile) || res[0].Changed || !res[1].Changed {
		t.Fatalf("refused add: %+v, %v", res, err)
	}
	if _, err := v.Publish(ctx); err != nil {
		t.Fatal(err)
	}
}
