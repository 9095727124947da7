package metastoretest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// lifecycleRepo makes versions 1 a, 2 b, 3 b removed, 4 a yanked of repository name.
func lifecycleRepo(t *testing.T, s metastore.Store, name string) (*metastore.Repository, *metastore.File, *metastore.File) {
	t.Helper()
	ctx := context.Background()
	r := newRepo(t, s, name)
	a, b := file(r.ID, "a", "1.0", ".tar.gz"), file(r.ID, "b", "1.0", ".tar.gz")
	add(t, s, r.ID, a)
	add(t, s, r.ID, b)
	change(t, s, r.ID, "remove b", func(tx metastore.Tx, n int) error {
		_, err := tx.RemoveFiles(ctx, r.ID, n, "b", "1.0", "")
		return err
	})
	change(t, s, r.ID, "yank a", func(tx metastore.Tx, n int) error {
		_, err := tx.SetYanked(ctx, r.ID, n, "a", "1.0", true, "bad")
		return err
	})
	return r, a, b
}

// testReclaim: ReclaimVersions deletes the versions asked, the rows only they held and
// the file rows nothing holds, keeps what another repository references, and leaves the
// kept versions reading as before.
func testReclaim(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r, a, b := lifecycleRepo(t, s, "r")
	other := newRepo(t, s, "other")
	shared := file(other.ID, "c", "1.0", ".zip")
	shared.SHA256 = b.SHA256 // the same bytes in another repository
	add(t, s, other.ID, shared)
	mustTx(t, s, func(tx metastore.Tx) error { return tx.PutParsedMetadata(ctx, a.MetadataSHA256, []byte(`{}`)) })
	before, serial, err := s.Projects(ctx, r.ID, 4)
	if err != nil {
		t.Fatal(err)
	}
	mustTx(t, s, func(tx metastore.Tx) error {
		if _, err := tx.ReclaimVersions(ctx, r.ID, 5, nil); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("keep from version 5 of 4: %v, want ErrInvalid", err)
		}
		return nil
	})
	var got *metastore.Reclaimed
	mustTx(t, s, func(tx metastore.Tx) (err error) {
		got, err = tx.ReclaimVersions(ctx, r.ID, 4, []int{0})
		return err
	})
	if !slices.Equal(got.Versions, []int{1, 2, 3}) || len(got.Files) != 1 || got.Files[0].Filename != b.Filename || got.ParsedMetadata != 0 {
		t.Fatalf("reclaimed %+v, want versions 1-3 and the file %s only", got, b.Filename)
	}
	vs, _ := s.Versions(ctx, r.ID)
	var nums []int
	for _, v := range vs {
		nums = append(nums, v.Number)
	}
	if !slices.Equal(nums, []int{0, 4}) {
		t.Errorf("versions left %v, want 0 4", nums)
	}
	after, serial2, err := s.Projects(ctx, r.ID, 4)
	if err != nil || !slices.Equal(before, after) || serial != serial2 {
		t.Errorf("version 4 reads %v (%d), was %v (%d): %v", after, serial2, before, serial, err)
	}
	if f, err := s.FileAt(ctx, r.ID, 4, a.Filename); err != nil || !f.Yanked || f.YankReason != "bad" {
		t.Errorf("a in version 4: %+v %v", f, err)
	}
	if _, err := s.FileByFilename(ctx, r.ID, b.Filename); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("b's row after reclaiming: %v, want ErrNotFound", err)
	}
	used, _ := s.ReferencedBlobs(ctx, []string{b.SHA256, a.MetadataSHA256})
	if len(used) != 2 {
		t.Errorf("referenced after reclaiming: %v; b's bytes are another repository's too, a's metadata is a's", used)
	}
	if got := filenames(t, s, other.ID, 1, "c"); len(got) != 1 {
		t.Errorf("the other repository lost its file: %v", got)
	}
	mustTx(t, s, func(tx metastore.Tx) (err error) {
		got, err = tx.ReclaimVersions(ctx, r.ID, 4, []int{0})
		return err
	})
	if len(got.Versions)+len(got.Files)+got.ContentRows != 0 {
		t.Errorf("a second reclaim did %+v", got)
	}
}

// testDelta: ContentDelta and AttributeDelta list the rows that differ between two
// versions; ChangedSince the projects with serials above a serial.
func testDelta(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r, a, b := lifecycleRepo(t, s, "r")
	gone, came, err := s.ContentDelta(ctx, r.ID, 1, 4, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(gone) != 1 || gone[0].Filename != a.Filename || gone[0].Yanked || len(came) != 1 || came[0].ID != gone[0].ID || !came[0].Yanked {
		t.Errorf("1→4: gone %+v came %+v, want a unyanked then yanked", gone, came)
	}
	if gone, came, _ = s.ContentDelta(ctx, r.ID, 2, 3, 10); len(gone) != 1 || gone[0].Filename != b.Filename || len(came) != 0 {
		t.Errorf("2→3: gone %+v came %+v, want b gone", gone, came)
	}
	if _, _, err := s.ContentDelta(ctx, r.ID, 0, 4, 1); err != nil {
		t.Errorf("0→4 with limit 1: %v", err)
	}
	add(t, s, r.ID, file(r.ID, "d", "1.0", ".zip"), file(r.ID, "e", "1.0", ".zip")) // version 5
	if _, _, err := s.ContentDelta(ctx, r.ID, 4, 5, 1); !errors.Is(err, errs.ErrTooLarge) {
		t.Errorf("4→5 with limit 1: %v, want ErrTooLarge", err)
	}
	if _, came, err := s.AttributeDelta(ctx, r.ID, 4, 5, 10); err != nil || len(came) != 2 || came[0].Project != "d" {
		t.Errorf("attributes 4→5: %+v %v", came, err)
	}
	ch, err := s.ChangedSince(ctx, r.ID, 5, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, c := range ch {
		order = append(order, c.Project)
		if c.Held == (c.Project == "b") {
			t.Errorf("%s held %v", c.Project, c.Held)
		}
	}
	if !slices.Equal(order, []string{"b", "a", "d", "e"}) {
		t.Errorf("changed since 0: %v, want b a d e (by latest serial)", order)
	}
	if ch, _ := s.ChangedSince(ctx, r.ID, 3, 0, 1); len(ch) != 1 || ch[0].Project != "a" {
		t.Errorf("version 3, limit 1: %+v, want the oldest, a", ch)
	}
}
