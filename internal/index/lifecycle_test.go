package index_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

// versionView is everything a reader sees of one repository version.
func versionView(t *testing.T, s *index.Service, n int) string {
	t.Helper()
	ctx := context.Background()
	d := &index.Distribution{Repository: "main", Pinned: &n}
	ps, serial, err := s.Projects(ctx, d)
	if err != nil {
		t.Fatalf("version %d: %v", n, err)
	}
	out := fmt.Sprintf("serial %d\n", serial)
	for _, p := range ps {
		pr, err := s.Project(ctx, d, p.Name)
		if err != nil {
			t.Fatalf("version %d, %s: %v", n, p.Name, err)
		}
		out += fmt.Sprintf("%+v %s %d %s %s\n", p, pr.DisplayName, pr.Serial, pr.Status, pr.StatusReason)
		for _, f := range pr.Files {
			f.RepositoryVersion = 0
			out += fmt.Sprintf("  %+v\n", f)
		}
	}
	return out
}

// lifecycleRepo makes main's versions 1..5: alpha, beta, beta removed, alpha yanked,
// gamma; and the distribution prod pinned at version 3.
func lifecycleRepo(t *testing.T, s *index.Service) (beta *index.File) {
	t.Helper()
	ctx := context.Background()
	an, ad := synthWheel("alpha", "1.0")
	bn, bd := synthWheel("beta", "1.0")
	gn, gd := synthWheel("gamma", "1.0")
	upload(t, s, an, ad)
	beta = upload(t, s, bn, bd)
	if err := s.Remove(ctx, "main", "beta", "1.0", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Yank(ctx, "main", "alpha", "1.0", "broken"); err != nil {
		t.Fatal(err)
	}
	upload(t, s, gn, gd)
	three := 3
	if _, err := s.CreateDistribution(ctx, index.Distribution{BasePath: "prod", Repository: "main", Pinned: &three, Public: true}); err != nil {
		t.Fatal(err)
	}
	return beta
}

// TestRetain: upload, upload, remove, yank, upload; prod pins version 3. retain --keep 1
// keeps versions 0, 3 (pinned) and 5 (latest), each reading exactly as before; the
// dry run before it changes nothing; afterwards gc frees exactly the blobs of the file
// only the reclaimed versions held (its body and metadata file), and the reclaimed
// versions can be neither rolled back to nor pinned.
func TestRetain(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	beta := lifecycleRepo(t, s)
	if rep, err := s.GC(ctx, index.GCOptions{}); err != nil || rep.Removed != 0 {
		t.Fatalf("gc before retain: %+v, %v", rep, err)
	}
	views := map[int]string{}
	for n := 0; n <= 5; n++ {
		views[n] = versionView(t, s, n)
	}
	before := takeSnapshot(t, s)

	dry, err := s.Retain(ctx, "main", index.RetainOptions{Keep: 1, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if after := takeSnapshot(t, s); !after.equal(before) {
		t.Fatalf("the dry run changed the repository:\n%+v\n%+v", before, after)
	}
	rep, err := s.Retain(ctx, "main", index.RetainOptions{Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	dry.DryRun = false
	if !reflect.DeepEqual(dry, rep) {
		t.Errorf("the dry run reported\n%+v\nthe run\n%+v", dry, rep)
	}
	if !slices.Equal(rep.Kept, []int{0, 3, 5}) || !slices.Equal(rep.Removed, []int{1, 2, 4}) || !slices.Equal(rep.Pinned, []int{3}) {
		t.Errorf("kept %v (pinned %v), removed %v; want 0 3 5 (3), 1 2 4", rep.Kept, rep.Pinned, rep.Removed)
	}
	if rep.Files != 1 || !slices.Equal(rep.Examples, []string{beta.Filename}) || rep.FileBytes != beta.Size || rep.Blobs != 2 || rep.BlobBytes != beta.Size {
		t.Errorf("report %+v: want the one file %s (%d bytes), its body and metadata blobs", rep, beta.Filename, beta.Size)
	}
	vs, err := s.Versions(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	var nums []int
	for _, v := range vs {
		nums = append(nums, v.Number)
		if v.Number == 5 && v.Files != 2 {
			t.Errorf("version 5 counts %d files, want 2", v.Files)
		}
	}
	if !slices.Equal(nums, rep.Kept) {
		t.Errorf("versions after retain: %v, want %v", nums, rep.Kept)
	}
	for _, n := range rep.Kept {
		if got := versionView(t, s, n); got != views[n] {
			t.Errorf("version %d reads\n%s\nafter retain, and before it\n%s", n, got, views[n])
		}
	}

	gc, err := s.GC(ctx, index.GCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	freed := slices.Clone(gc.Example)
	slices.Sort(freed)
	want := []string{beta.SHA256, beta.MetadataSHA256}
	slices.Sort(want)
	if gc.Removed != 2 || !slices.Equal(freed, want) {
		t.Errorf("gc after retain removed %d blobs %v, want exactly beta's body and metadata %v", gc.Removed, freed, want)
	}
	for _, n := range rep.Kept { // every file the kept versions hold is still readable
		d := &index.Distribution{Repository: "main", Pinned: &n}
		ps, _, _ := s.Projects(ctx, d)
		for _, p := range ps {
			pr, _ := s.Project(ctx, d, p.Name)
			for _, f := range pr.Files {
				for _, name := range []string{f.Filename, f.Filename + ".metadata"} {
					o, err := s.OpenFile(ctx, d, name, 0)
					if err != nil {
						t.Errorf("version %d: %s: %v", n, name, err)
						continue
					}
					o.Body.Close()
				}
			}
		}
	}

	if _, err := s.Rollback(ctx, "main", 2); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("rollback to reclaimed version 2: %v, want not found", err)
	}
	one := 1
	if _, err := s.UpdateDistribution(ctx, "prod", index.Distribution{Pinned: &one, Public: true}); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("pinning reclaimed version 1: %v, want invalid", err)
	}
	if _, err := s.Diff(ctx, "main", 1, 5); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("diff with reclaimed version 1: %v, want not found", err)
	}
	v, err := s.Rollback(ctx, "main", 3)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := filesOf(t, s, v.Number), filesOf(t, s, 3); got != want {
		t.Errorf("rollback to kept version 3 holds\n%s\nwant\n%s", got, want)
	}
	// The reclaimed file is forgotten: its bytes upload as a new file, not a restore.
	bn, bd := synthWheel("beta", "1.0")
	if f, existed, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: bn, Content: bytes.NewReader(bd)}); err != nil || existed || f.SHA256 != beta.SHA256 {
		t.Errorf("uploading the reclaimed %s again: %+v, existed %v, %v", bn, f, existed, err)
	}
	if _, err := s.Retain(ctx, "main", index.RetainOptions{Keep: 0}); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("keep 0: %v, want invalid", err)
	}
}

// filesOf lists the files (filename, yank state) version n holds.
func filesOf(t *testing.T, s *index.Service, n int) string {
	t.Helper()
	ctx := context.Background()
	d := &index.Distribution{Repository: "main", Pinned: &n}
	ps, _, err := s.Projects(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	out := ""
	for _, p := range ps {
		pr, err := s.Project(ctx, d, p.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range pr.Files {
			out += fmt.Sprintf("%s yanked=%v %q\n", f.Filename, f.Yanked, f.YankReason)
		}
	}
	return out
}

// TestDiff compares versions both ways: files added and removed, yank changes, and
// project attribute changes (a new project, a PEP 792 status).
func TestDiff(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	beta := lifecycleRepo(t, s)
	if _, err := s.SetProjectStatus(ctx, "main", "alpha", "archived", "moved"); err != nil {
		t.Fatal(err)
	}
	names := func(fs []index.DiffFile) (out []string) {
		for _, f := range fs {
			out = append(out, f.Filename)
		}
		return out
	}
	d, err := s.Diff(ctx, "main", 1, 5)
	if err != nil {
		t.Fatal(err)
	}
	gn, _ := synthWheel("gamma", "1.0")
	an, _ := synthWheel("alpha", "1.0")
	if !slices.Equal(names(d.Added), []string{gn}) || len(d.Removed) != 0 {
		t.Errorf("1→5 added %v removed %v, want %s and nothing", names(d.Added), names(d.Removed), gn)
	}
	if len(d.Yanks) != 1 || d.Yanks[0] != (index.YankChange{Filename: an, Project: "alpha", Version: "1.0", Yanked: true, Reason: "broken"}) {
		t.Errorf("1→5 yanks %+v", d.Yanks)
	}
	if len(d.Attributes) != 0 {
		t.Errorf("1→5 attributes %+v, want none (gamma is new: its files say so)", d.Attributes)
	}
	back, err := s.Diff(ctx, "main", 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names(back.Removed), []string{gn}) || len(back.Added) != 0 || len(back.Yanks) != 1 || !back.Yanks[0].WasYanked || back.Yanks[0].Yanked ||
		len(back.Attributes) != 0 {
		t.Errorf("5→1: %+v", back)
	}
	if d, err = s.Diff(ctx, "main", 2, 3); err != nil || !slices.Equal(names(d.Removed), []string{beta.Filename}) || len(d.Added)+len(d.Yanks)+len(d.Attributes) != 0 {
		t.Errorf("2→3: %+v, %v; want %s removed only", d, err, beta.Filename)
	}
	if d.Removed[0].SHA256 != beta.SHA256 || d.Removed[0].Size != beta.Size {
		t.Errorf("2→3 removed %+v, want sha256 and size of %+v", d.Removed[0], beta)
	}
	d, err = s.Diff(ctx, "main", 5, 6)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Attributes) != 1 || d.Attributes[0].Project != "alpha" || d.Attributes[0].Before.Status != "active" ||
		d.Attributes[0].After != (index.Attributes{DisplayName: "alpha", Status: "archived", StatusReason: "moved"}) {
		t.Errorf("5→6 attributes %+v", d.Attributes)
	}
	if d, err = s.Diff(ctx, "main", 4, 4); err != nil || len(d.Added)+len(d.Removed)+len(d.Yanks)+len(d.Attributes) != 0 {
		t.Errorf("4→4: %+v, %v", d, err)
	}
	for _, bad := range [][2]int{{0, 7}, {-1, 2}} {
		if _, err := s.Diff(ctx, "main", bad[0], bad[1]); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("diff %v: %v, want not found", bad, err)
		}
	}
}

// TestRetainBesideUploads: one service (process) keeps reclaiming old versions while
// another on the same data directory uploads; every upload ends up in the latest version
// with its bytes, and gc afterwards removes none of them.
func TestRetainBesideUploads(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	up := newServiceAt(t, dir)
	ret := newServiceAt(t, dir)
	const n = 25
	done := make(chan error, 1)
	go func() {
		for i := range n {
			name, data := synthWheel(fmt.Sprintf("busy%d", i), "1.0")
			if _, _, err := up.Upload(ctx, index.Upload{Repository: "main", Filename: name, Content: bytes.NewReader(data)}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	runs := 0
	for waiting := true; waiting; runs++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			waiting = false
		default:
		}
		if _, err := ret.Retain(ctx, "main", index.RetainOptions{Keep: 1}); err != nil {
			t.Fatalf("retain run %d: %v", runs, err)
		}
		// no pause: a retain with nothing to reclaim takes no write lock
	}
	if _, err := ret.GC(ctx, index.GCOptions{}); err != nil {
		t.Fatal(err)
	}
	d := mainDist(t, up)
	ps, _, err := up.Projects(ctx, d)
	if err != nil || len(ps) != n {
		t.Fatalf("latest version has %d projects (%v), want %d", len(ps), err, n)
	}
	for _, p := range ps {
		pr, err := up.Project(ctx, d, p.Name)
		if err != nil || len(pr.Files) != 1 {
			t.Fatalf("%s: %+v %v", p.Name, pr, err)
		}
		o, err := up.OpenFile(ctx, d, pr.Files[0].Filename, 0)
		if err != nil {
			t.Fatalf("%s after retain and gc: %v", pr.Files[0].Filename, err)
		}
		o.Body.Close()
	}
	vs, _ := up.Versions(ctx, "main")
	if last := vs[len(vs)-1]; last.Files != n || len(vs) > 3 {
		t.Errorf("versions %+v: want the last one with %d files and at most 0, one kept and the last", vs, n)
	}
	t.Logf("%d retain runs beside %d uploads", runs, n)
}

// TestChangedSince: the projects changed after a serial, oldest first, in the version a
// distribution serves: a pinned one sees none of the later changes; a project whose files
// went is listed as removed.
func TestChangedSince(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	lifecycleRepo(t, s) // 1 alpha, 2 beta, 3 beta removed, 4 alpha yanked, 5 gamma; prod pins 3
	prod, err := s.Distribution(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	show := func(cs []index.ChangedProject) (out []string) {
		for _, c := range cs {
			out = append(out, fmt.Sprintf("%s removed=%v", c.Name, c.Removed))
		}
		return out
	}
	all, err := s.ChangedSince(ctx, mainDist(t, s), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := show(all); !slices.Equal(got, []string{"beta removed=true", "alpha removed=false", "gamma removed=false"}) {
		t.Errorf("main since 0: %v", got)
	}
	pinned, err := s.ChangedSince(ctx, prod, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := show(pinned); !slices.Equal(got, []string{"alpha removed=false", "beta removed=true"}) {
		t.Errorf("prod (version 3) since 0: %v", got)
	}
	later, err := s.ChangedSince(ctx, mainDist(t, s), all[0].Serial)
	if err != nil || !slices.Equal(show(later), []string{"alpha removed=false", "gamma removed=false"}) {
		t.Errorf("main since %d: %v %v", all[0].Serial, show(later), err)
	}
	ps, serial, _ := s.Projects(ctx, mainDist(t, s))
	if none, err := s.ChangedSince(ctx, mainDist(t, s), serial); err != nil || len(none) != 0 {
		t.Errorf("since the latest serial %d (%+v): %v %v", serial, ps, none, err)
	}
}
