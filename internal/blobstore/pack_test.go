package blobstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore/sqlite"
)

// commitPacked writes n small blobs named by tag into one batch and commits it: on the
// File driver they share one pack (each is padded to 20 KiB, so that from 4 of them on
// they take more than a batch keeps inline). It returns their digests and bytes.
func commitPacked(t *testing.T, s *blobstore.Store, tag string, n int) ([]string, map[string][]byte) {
	t.Helper()
	return commitPadded(t, s, tag, n, 20<<10)
}

// commitPadded is commitPacked with blobs of pad bytes and more.
func commitPadded(t *testing.T, s *blobstore.Store, tag string, n, pad int) ([]string, map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	b := s.NewBatch()
	var shas []string
	data := map[string][]byte{}
	for i := range n {
		c := []byte(fmt.Sprintf("%s blob %d %s", tag, i, strings.Repeat("x", pad+i)))
		sha := hexOf(c)
		shas = append(shas, sha)
		data[sha] = c
		if _, err := b.Write(ctx, bytes.NewReader(c), sha, int64(len(c))); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return shas, data
}

func packFiles(t *testing.T, dir string) []string {
	t.Helper()
	list, err := filepath.Glob(filepath.Join(dir, "_packs", "*.pack"))
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestPackedBlobs: the small blobs of one batch go into one pack file and make no file
// each, or, when they take 64 KiB at most in all, into the pack index's rows (no pack);
// Open (with random access), Stat, Exists and Walk find them, in path order and merged
// with the blobs that are files; a second driver on the folder (another process) finds
// them too; Delete removes one packed blob, and only it; the pack and its index are
// private.
func TestPackedBlobs(t *testing.T) {
	for _, c := range []struct {
		name      string
		n, pad    int
		wantPacks int
	}{
		{"pack", 50, 20 << 10, 1},
		{"inline", 50, 1000, 0},
		{"inline at most", 4, 16<<10 - 20, 0},
		{"over", 4, 16 << 10, 1},
	} {
		t.Run(c.name, func(t *testing.T) { testPackedBlobs(t, c.n, c.pad, c.wantPacks) })
	}
}

func testPackedBlobs(t *testing.T, n, pad, wantPacks int) {
	ctx := context.Background()
	dir := t.TempDir()
	d := mustFile(t, dir)
	s := blobstore.NewStore(d)
	shas, data := commitPadded(t, s, "packed", n, pad)
	if got := packFiles(t, dir); len(got) != wantPacks {
		t.Fatalf("packs %v, want %d", got, wantPacks)
	}
	files := 0
	filepath.WalkDir(filepath.Join(dir, "sha256"), func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			files++
		}
		return nil
	})
	if files != 0 {
		t.Errorf("%d blob files for a batch of small blobs, want none", files)
	}
	for _, p := range append(packFiles(t, dir), filepath.Join(dir, "_packs", "index.db")) {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v", p, st.Mode(), err)
		}
	}
	// A blob that is a file, among them.
	loose := []byte("a file of its own")
	looseSHA, _, err := s.Put(ctx, bytes.NewReader(loose))
	if err != nil {
		t.Fatal(err)
	}
	data[looseSHA] = loose

	other := blobstore.NewStore(mustFile(t, dir))
	for _, st := range []*blobstore.Store{s, other} {
		for sha, want := range data {
			rc, n, err := st.Open(ctx, sha)
			if err != nil || n != int64(len(want)) {
				t.Fatalf("open %s: %d, %v", sha, n, err)
			}
			got, _ := io.ReadAll(rc)
			if !bytes.Equal(got, want) {
				t.Errorf("blob %s reads %q, want %q", sha, got, want)
			}
			if ra, ok := rc.(io.ReaderAt); !ok {
				t.Errorf("blob %s: no random access", sha)
			} else if len(want) > 3 {
				part := make([]byte, 3)
				if _, err := ra.ReadAt(part, 1); err != nil || !bytes.Equal(part, want[1:4]) {
					t.Errorf("ReadAt: %q, %v", part, err)
				}
			}
			rc.Close()
			if size, err := st.Stat(ctx, sha); err != nil || size != int64(len(want)) {
				t.Errorf("stat %s: %d, %v", sha, size, err)
			}
		}
		var walked []string
		if err := st.Walk(ctx, func(sha string, size int64) error {
			if size != int64(len(data[sha])) {
				t.Errorf("walk: %s has size %d", sha, size)
			}
			walked = append(walked, sha)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		want := append(slices.Clone(shas), looseSHA)
		slices.Sort(want)
		if !slices.Equal(walked, want) {
			t.Errorf("walked %d blobs in this order: %v\nwant %v", len(walked), walked, want)
		}
	}

	if err := s.Delete(ctx, shas[0]); err != nil {
		t.Fatal(err)
	}
	if ok, _ := other.Exists(ctx, shas[0]); ok {
		t.Error("a deleted packed blob is still stored")
	}
	if err := s.Delete(ctx, shas[0]); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("deleting it again: %v, want ErrNotFound", err)
	}
	if ok, _ := s.Exists(ctx, shas[1]); !ok {
		t.Error("deleting one packed blob removed another")
	}
	// Reserved: no driver path reaches the packs.
	for _, p := range []string{"_packs/index.db", "_packs"} {
		if _, err := d.Stat(ctx, p); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("stat %s: %v, want ErrInvalid", p, err)
		}
	}
}

// TestInlineOldIndex: a pack index made before inline blobs (no data column) is given
// the column when opened; its packed blobs read as before, and inline ones are added.
func TestInlineOldIndex(t *testing.T) {
	dir := t.TempDir()
	d := mustFile(t, dir)
	packed, packedData := commitPacked(t, blobstore.NewStore(d), "old", 4)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.OpenSideDB(filepath.Join(dir, "_packs", "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`ALTER TABLE packed DROP COLUMN data`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := blobstore.NewStore(mustFile(t, dir))
	inline, inlineData := commitPadded(t, s, "new", 3, 10)
	if got := packFiles(t, dir); len(got) != 1 {
		t.Errorf("packs %v, want the old one only", got)
	}
	for _, sha := range append(packed, inline...) {
		want := packedData[sha]
		if want == nil {
			want = inlineData[sha]
		}
		if got := readBlob(t, s, sha); got != string(want) {
			t.Errorf("blob %s reads %d bytes, want %d", sha, len(got), len(want))
		}
	}
}

// TestPackedAndFile: a blob packed and later written alone as a file is given once by
// Walk, read from the file, and Delete removes both copies.
func TestPackedAndFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := blobstore.NewStore(mustFile(t, dir))
	shas, data := commitPacked(t, s, "twice", 3)
	b := s.NewBatch() // a batch of one commits a file
	if _, err := b.Write(ctx, bytes.NewReader(data[shas[1]]), shas[1], int64(len(data[shas[1]]))); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(s.BlobPath(shas[1])))); err != nil {
		t.Fatalf("no file: %v", err)
	}
	n := 0
	if err := s.Walk(ctx, func(string, int64) error { n++; return nil }); err != nil || n != 3 {
		t.Errorf("walked %d blobs (%v), want 3", n, err)
	}
	if err := s.Delete(ctx, shas[1]); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Exists(ctx, shas[1]); ok {
		t.Error("one copy is left after Delete")
	}
}

// TestCompact: after deletions, Compact rewrites a pack whose live blobs take less than
// half of it (they read the same after, the space is freed) and leaves a mostly live one;
// a pack never recorded (its Commit crashed before its rows) is removed once old, not
// while young, and one whose blobs are all deleted at once; a reader that opened a blob before the rewrite reads on.
func TestCompact(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := blobstore.NewStore(mustFile(t, dir))
	mostlyDead, deadData := commitPacked(t, s, "mostly dead", 10)
	live, _ := commitPacked(t, s, "live", 4)
	if got := packFiles(t, dir); len(got) != 2 {
		t.Fatalf("packs %v, want two", got)
	}
	held, _, err := s.Open(ctx, mostlyDead[9])
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	for _, sha := range mostlyDead[:7] {
		if err := s.Delete(ctx, sha); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(ctx, live[0]); err != nil {
		t.Fatal(err)
	}
	orphan := filepath.Join(dir, "_packs", "pack-crashed.pack")
	if err := os.WriteFile(orphan, []byte("bytes whose rows were never committed"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := packBytes(t, dir)
	rep, err := s.Compact(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Packs != 3 || rep.Rewritten != 1 || rep.Removed != 1 || rep.Freed <= 0 {
		t.Errorf("compact: %+v, want 3 packs, 1 rewritten and removed, bytes freed", rep)
	}
	if after := packBytes(t, dir); after != before-rep.Freed {
		t.Errorf("pack bytes %d -> %d, report says %d freed", before, after, rep.Freed)
	}
	for _, sha := range append(mostlyDead[7:], live[1:]...) {
		if ok, err := s.Exists(ctx, sha); !ok || err != nil {
			t.Errorf("live blob %s lost by the compaction: %v", sha, err)
		}
	}
	if got := readBlob(t, s, mostlyDead[8]); got != string(deadData[mostlyDead[8]]) {
		t.Errorf("a moved blob reads %q", got)
	}
	if got, _ := io.ReadAll(held); !bytes.Equal(got, deadData[mostlyDead[9]]) {
		t.Errorf("a blob opened before the rewrite reads %q", got)
	}
	if _, err := os.Stat(orphan); err != nil {
		t.Errorf("a young pack without rows was removed: %v", err)
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(orphan, old, old); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.Compact(ctx); err != nil || rep.Removed != 1 || rep.Rewritten != 0 {
		t.Errorf("second compact: %+v, %v; want the old orphan pack removed, nothing rewritten", rep, err)
	}
	if _, err := os.Stat(orphan); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an old pack without rows is still there: %v", err)
	}
	n := 0
	if err := s.Walk(ctx, func(string, int64) error { n++; return nil }); err != nil || n != 3+3 {
		t.Errorf("walked %d blobs (%v), want the 6 live ones", n, err)
	}
	// A pack whose every blob is deleted goes at once, young as it is.
	for _, sha := range live[1:] {
		if err := s.Delete(ctx, sha); err != nil {
			t.Fatal(err)
		}
	}
	if rep, err := s.Compact(ctx); err != nil || rep.Removed != 1 || rep.Rewritten != 0 {
		t.Errorf("compact after emptying a pack: %+v, %v; want it removed", rep, err)
	}
	if got := packFiles(t, dir); len(got) != 1 {
		t.Errorf("packs left: %v, want the rewritten one", got)
	}
}

func packBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	for _, p := range packFiles(t, dir) {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		n += st.Size()
	}
	return n
}

// TestPacksNeedTheirIndex: a driver without a pack index keeps every blob a file, and
// refuses a folder that holds packs (their blobs would be invisible to it).
func TestPacksNeedTheirIndex(t *testing.T) {
	plain := t.TempDir()
	d, err := blobstore.NewFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	shas, _ := commitPacked(t, blobstore.NewStore(d), "plain", 3)
	if got := packFiles(t, plain); len(got) != 0 {
		t.Errorf("packs without an index: %v", got)
	}
	for _, sha := range shas {
		if _, err := os.Stat(filepath.Join(plain, "sha256", sha[:2], sha)); err != nil {
			t.Errorf("no file for %s: %v", sha, err)
		}
	}
	packed := t.TempDir()
	commitPacked(t, blobstore.NewStore(mustFile(t, packed)), "packed", 3)
	if _, err := blobstore.NewFile(packed); !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "packs") {
		t.Errorf("a plain driver on a folder with packs: %v, want ErrInvalid naming the packs", err)
	}
}

// TestPacksConcurrent: batches commit, readers read, blobs are deleted and the packs
// compacted, all at once, from two drivers on one folder (two processes): every blob
// not deleted reads its own bytes throughout and after, and every deleted one is gone.
func TestPacksConcurrent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := blobstore.NewStore(mustFile(t, dir)), blobstore.NewStore(mustFile(t, dir))
	var mu sync.Mutex
	kept := map[string][]byte{}
	var deleted []string
	errc := make(chan error, 64)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := []*blobstore.Store{a, b}[w%2]
			for round := range 8 {
				batch := s.NewBatch()
				var mine []string
				for i := range 12 {
					c := []byte(fmt.Sprintf("writer %d round %d blob %d", w, round, i))
					sha := hexOf(c)
					if _, err := batch.Write(ctx, bytes.NewReader(c), sha, int64(len(c))); err != nil {
						errc <- err
						return
					}
					mine = append(mine, sha)
				}
				if err := batch.Commit(ctx); err != nil {
					errc <- err
					return
				}
				mu.Lock()
				for i, sha := range mine { // stored from here on
					kept[sha] = []byte(fmt.Sprintf("writer %d round %d blob %d", w, round, i))
				}
				mu.Unlock()
				for i, sha := range mine {
					if i%3 == 0 { // a third goes, so that packs fall under half live
						mu.Lock() // not kept from here on: a reader may miss it
						delete(kept, sha)
						deleted = append(deleted, sha)
						mu.Unlock()
						if err := s.Delete(ctx, sha); err != nil {
							errc <- fmt.Errorf("delete: %w", err)
							return
						}
					}
				}
				if _, err := s.Compact(ctx); err != nil {
					errc <- fmt.Errorf("compact: %w", err)
					return
				}
				mu.Lock()
				sample := map[string][]byte{}
				for sha, c := range kept {
					sample[sha] = c
					if len(sample) == 10 {
						break
					}
				}
				mu.Unlock()
				for sha, want := range sample {
					rc, _, err := s.Open(ctx, sha)
					if errors.Is(err, errs.ErrNotFound) {
						mu.Lock()
						_, still := kept[sha]
						mu.Unlock()
						if !still {
							continue // deleted since the sample
						}
					}
					if err != nil {
						errc <- fmt.Errorf("open %s: %w", sha, err)
						return
					}
					got, err := io.ReadAll(rc)
					rc.Close()
					if err != nil || !bytes.Equal(got, want) {
						errc <- fmt.Errorf("blob %s read %q, %v; want %q", sha, got, err, want)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	for _, s := range []*blobstore.Store{a, b} {
		for sha, want := range kept {
			if got := readBlob(t, s, sha); got != string(want) {
				t.Fatalf("blob %s reads %q after, want %q", sha, got, want)
			}
		}
		for _, sha := range deleted {
			if ok, _ := s.Exists(ctx, sha); ok {
				t.Errorf("deleted blob %s is stored", sha)
			}
		}
	}
}

// TestPresent: Present finds the packed blobs and the blobs that are files, and reports
// none of the others (one in a file's folder, one anywhere); a blob written after an
// earlier Present found it missing is found.
func TestPresent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := blobstore.NewStore(mustFile(t, dir))
	packed, _ := commitPacked(t, s, "present", 4)
	loose := []byte("a blob alone, a file")
	looseSHA := hexOf(loose)
	if _, _, err := s.Put(ctx, bytes.NewReader(loose)); err != nil {
		t.Fatal(err)
	}
	// A digest in the loose blob's folders, and one of no blob.
	neighbour := looseSHA[:4] + strings.Repeat("0", 60)
	missing := strings.Repeat("1", 64)
	ask := append(slices.Clone(packed), looseSHA, neighbour, missing)
	got, err := s.Present(ctx, ask)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{looseSHA: int64(len(loose))}
	for _, sha := range packed {
		size, err := s.Stat(ctx, sha)
		if err != nil {
			t.Fatal(err)
		}
		want[sha] = size
	}
	if len(got) != len(want) {
		t.Errorf("Present = %v, want %v", got, want)
	}
	for sha, size := range want {
		if got[sha] != size {
			t.Errorf("Present[%s] = %d, want %d", sha, got[sha], size)
		}
	}

	// A blob written after a Present that found it missing: found the next time.
	other := []byte("another blob alone")
	missing = hexOf(other)
	if got, err := s.Present(ctx, []string{missing}); err != nil || len(got) != 0 {
		t.Errorf("Present of a blob not written = %v (%v)", got, err)
	}
	if _, _, err := s.Put(ctx, bytes.NewReader(other)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Present(ctx, []string{missing}); err != nil || got[missing] != int64(len(other)) {
		t.Errorf("Present of a blob written since = %v (%v)", got, err)
	}
}

// TestDeletions: the store counts every deletion, of a packed blob or of a file, a
// missing one too, and a second driver on the folder (pydepot gc in another process)
// counts in the same place; a driver without a pack index keeps no count.
func TestDeletions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := blobstore.NewStore(mustFile(t, dir))
	count := func(s *blobstore.Store, want int64) {
		t.Helper()
		n, ok, err := s.Deletions(ctx)
		if err != nil || !ok || n != want {
			t.Fatalf("Deletions = %d, %v, %v; want %d", n, ok, err, want)
		}
	}
	count(s, 0) // no index yet
	packed, _ := commitPacked(t, s, "deletions", 3)
	loose := []byte("a blob alone, a file")
	looseSHA, _, err := s.Put(ctx, bytes.NewReader(loose))
	if err != nil {
		t.Fatal(err)
	}
	count(s, 0)
	if err := s.Delete(ctx, packed[0]); err != nil {
		t.Fatal(err)
	}
	count(s, 1)
	if err := s.Delete(ctx, looseSHA); err != nil {
		t.Fatal(err)
	}
	count(s, 2)
	if err := s.Delete(ctx, strings.Repeat("2", 64)); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("deleting a missing blob: %v", err)
	}
	count(s, 3)

	other := blobstore.NewStore(mustFile(t, dir))
	count(other, 3)
	if err := other.Delete(ctx, packed[1]); err != nil {
		t.Fatal(err)
	}
	count(s, 4)
	if ok, _ := s.Exists(ctx, packed[1]); ok {
		t.Error("a blob the other driver deleted is still found")
	}

	bare, err := blobstore.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := blobstore.NewStore(bare).Deletions(ctx); ok || err != nil {
		t.Errorf("a driver without a pack index counts deletions (%v)", err)
	}
}

// TestReusable: Reusable finds packed blobs of any size and files of more than 64 KiB
// or of an unknown size, and leaves out a small blob that is a file only (it is written
// again, packed, by the caller's batch); a size of -1 is looked for everywhere.
func TestReusable(t *testing.T) {
	ctx := context.Background()
	s := blobstore.NewStore(mustFile(t, t.TempDir()))
	packed, _ := commitPacked(t, s, "reusable", 2)
	smallLoose := []byte("a small blob alone, a file")
	smallSHA, _, err := s.Put(ctx, bytes.NewReader(smallLoose))
	if err != nil {
		t.Fatal(err)
	}
	large := bytes.Repeat([]byte("l"), 100<<10)
	largeSHA, _, err := s.Put(ctx, bytes.NewReader(large))
	if err != nil {
		t.Fatal(err)
	}
	missing := strings.Repeat("3", 64)
	size := func(sha string) int64 {
		n, err := s.Stat(ctx, sha)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	shas := []string{packed[0], packed[1], smallSHA, largeSHA, smallSHA, missing}
	sizes := []int64{size(packed[0]), -1, int64(len(smallLoose)), int64(len(large)), -1, 10}
	// smallSHA is asked twice: with its size (not found) and of an unknown size (found).
	got, err := s.Reusable(ctx, shas[:4], sizes[:4])
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{packed[0]: size(packed[0]), packed[1]: size(packed[1]), largeSHA: int64(len(large))}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Reusable = %v, want %v", got, want)
	}
	got, err = s.Reusable(ctx, shas[4:], sizes[4:])
	if err != nil || len(got) != 1 || got[smallSHA] != int64(len(smallLoose)) {
		t.Errorf("Reusable of a small file of unknown size = %v, %v", got, err)
	}
	if _, err := s.Reusable(ctx, shas, sizes[:2]); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("Reusable with fewer sizes than blobs: %v", err)
	}
}

// TestPresentByListing: Present gives exactly the stored blobs whether their folders
// are listed (a few entries) or too full to list (more than 64), with their sizes.
func TestPresentByListing(t *testing.T) {
	ctx := context.Background()
	s := blobstore.NewStore(mustFile(t, t.TempDir()))
	// 70 stored blobs in the folder "ab" (too many to list) and 2 in "cd"; absent
	// digests in both, in a folder holding none, and packed blobs beside.
	var stored, absent []string
	sizes := map[string]int64{}
	for i := 0; len(stored) < 72; i++ {
		data := []byte(fmt.Sprintf("blob %d", i))
		sha := fmt.Sprintf("%x", sha256.Sum256(data))
		inAB := strings.HasPrefix(sha, "ab") && len(stored) < 70
		inCD := strings.HasPrefix(sha, "cd") && len(stored) >= 70
		switch {
		case inAB || inCD:
			if _, _, err := s.Put(ctx, bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			stored = append(stored, sha)
			sizes[sha] = int64(len(data))
		case (strings.HasPrefix(sha, "ab") || strings.HasPrefix(sha, "cd") || strings.HasPrefix(sha, "ef")) && len(absent) < 30:
			absent = append(absent, sha)
		}
	}
	packed, _ := commitPacked(t, s, "listing", 3)
	for _, sha := range packed {
		n, err := s.Stat(ctx, sha)
		if err != nil {
			t.Fatal(err)
		}
		sizes[sha] = n
	}
	ask := slices.Concat(stored, absent, packed)
	got, err := s.Present(ctx, ask)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(sizes) {
		t.Errorf("Present found %d of %d stored blobs", len(got), len(sizes))
	}
	for sha, n := range sizes {
		if got[sha] != n {
			t.Errorf("blob %s: size %d, want %d", sha, got[sha], n)
		}
	}
	for _, sha := range absent {
		if _, ok := got[sha]; ok {
			t.Errorf("absent blob %s found", sha)
		}
	}
}

// TestPackOne: a batch made with PackOne commits its one small blob into the pack index
// (no file, no pack) and a large one as a file; a plain batch of one still makes a file.
func TestPackOne(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := blobstore.NewStore(mustFile(t, dir))
	small, large, plain := []byte("fetched on demand"), bytes.Repeat([]byte("L"), 100<<10), []byte("written alone")
	for _, c := range []struct {
		data     []byte
		packOne  bool
		wantFile bool
	}{{small, true, false}, {large, true, true}, {plain, false, true}} {
		b := s.NewBatch()
		if c.packOne {
			b = b.PackOne()
		}
		sha := hexOf(c.data)
		if _, err := b.Write(ctx, bytes.NewReader(c.data), sha, int64(len(c.data))); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if got := readBlob(t, s, sha); got != string(c.data) {
			t.Errorf("blob of %d bytes reads %d", len(c.data), len(got))
		}
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(s.BlobPath(sha))))
		if (err == nil) != c.wantFile {
			t.Errorf("blob of %d bytes (PackOne %v): file %v, want a file %v", len(c.data), c.packOne, err, c.wantFile)
		}
	}
	if got := packFiles(t, dir); len(got) != 0 {
		t.Errorf("packs %v, want none", got)
	}
}

// TestInlineManyTiny: a batch of 10,000 blobs of 6 bytes (under 64 KiB in all) is kept
// inline, in rows written a statement per packedRows: in one statement its 40,000
// variables were over SQLite's limit.
func TestInlineManyTiny(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := blobstore.NewStore(mustFile(t, dir))
	b := s.NewBatch()
	const n = 10000
	for i := range n {
		c := []byte(fmt.Sprintf("%06d", i))
		if _, err := b.Write(ctx, bytes.NewReader(c), hexOf(c), int64(len(c))); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := packFiles(t, dir); len(got) != 0 {
		t.Errorf("packs %v, want none", got)
	}
	for _, i := range []int{0, 4321, n - 1} {
		c := fmt.Sprintf("%06d", i)
		if got := readBlob(t, s, hexOf([]byte(c))); got != c {
			t.Errorf("blob %s reads %q", c, got)
		}
	}
	walked := 0
	if err := s.Walk(ctx, func(string, int64) error { walked++; return nil }); err != nil || walked != n {
		t.Errorf("walked %d blobs (%v), want %d", walked, err, n)
	}
}
