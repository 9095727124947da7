package metastoretest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// addFilesCase is the files of testAddFiles for repository repoID: 130 files (more than
// one statement's rows) of three projects, one of them with a status already, display
// names changing between the files of a project, import names, and a metadata file
// shared by two files, of unknown size first.
func addFilesCase(repoID int64) []*metastore.File {
	var fs []*metastore.File
	for i := range 130 {
		p := []string{"alpha", "beta", "gamma"}[i%3]
		f := file(repoID, p, fmt.Sprintf("1.%d", i), ".tar.gz")
		if i >= 100 {
			f.ProjectName = strings.ToUpper(p)
		}
		f.MetadataSHA256 = fmt.Sprintf("%064x", 1000+i)
		f.MetadataSize = int64(100 + i)
		f.UploadTime = t0.Add(time.Duration(i) * time.Second)
		f.Yanked, f.YankReason = i%7 == 0, ""
		if f.Yanked {
			f.YankReason = "bad"
		}
		if i%5 == 0 {
			f.ImportNames = []string{p, p + "_ext", p}
		}
		fs = append(fs, f)
	}
	fs[1].MetadataSHA256, fs[1].MetadataSize = fmt.Sprintf("%064x", 5), 0
	fs[2].MetadataSHA256, fs[2].MetadataSize = fmt.Sprintf("%064x", 5), 77
	fs[3].Origin, fs[3].OriginRemote, fs[3].Presence = metastore.OriginSync, "up", metastore.PresenceRemote
	fs[4].MetadataInBody = true // no blobs row for its metadata file
	return fs
}

// testAddFiles: AddFiles leaves the rows AddFile leaves file after file (the files, their
// content and yank state, display names and statuses, import names, blobs rows), sets
// each ID, and refuses a used filename and a filename given twice with ErrConflict
// naming it.
func testAddFiles(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	one := newRepo(t, s, "one")
	many := newRepo(t, s, "many")
	for _, r := range []*metastore.Repository{one, many} {
		add(t, s, r.ID, file(r.ID, "beta", "0.1", ".zip"))
		setAttrs(t, s, r.ID, "beta", metastore.ProjectAttributes{DisplayName: "beta", Status: "deprecated", StatusReason: "old"})
	}
	batch := addFilesCase(many.ID)
	version := change(t, s, many.ID, "adds", func(tx metastore.Tx, n int) error {
		return tx.AddFiles(ctx, batch, n)
	})
	// The blobs rows are the first file's of each digest, with the first known size.
	rows, err := s.Blobs(ctx, []string{fmt.Sprintf("%064x", 5), batch[0].SHA256, batch[0].MetadataSHA256})
	if err != nil || len(rows) != 3 {
		t.Fatalf("Blobs = %+v, %v", rows, err)
	}
	for _, b := range rows {
		want := map[string]metastore.Blob{
			fmt.Sprintf("%064x", 5): {Size: 77, FirstSeen: batch[1].UploadTime},
			batch[0].SHA256:         {Size: 10, FirstSeen: batch[0].UploadTime},
			batch[0].MetadataSHA256: {Size: 100, FirstSeen: batch[0].UploadTime},
		}[b.SHA256]
		if b.Size != want.Size || !b.FirstSeen.Equal(want.FirstSeen) || !b.TouchedAt.Equal(want.FirstSeen) {
			t.Errorf("blob %s = %+v, want size %d seen %v", b.SHA256, b, want.Size, want.FirstSeen)
		}
	}
	change(t, s, one.ID, "adds", func(tx metastore.Tx, n int) error {
		for _, f := range addFilesCase(one.ID) {
			if _, err := tx.AddFile(ctx, f, n); err != nil {
				return err
			}
		}
		return nil
	})
	// A metadata file in its body has no blobs row, from AddFile or AddFiles.
	if rows, err := s.Blobs(ctx, []string{batch[4].MetadataSHA256}); err != nil || len(rows) != 0 {
		t.Errorf("blobs rows of a metadata file in its body: %+v, %v", rows, err)
	}
	for i, f := range batch {
		got, err := s.FileByFilename(ctx, many.ID, f.Filename)
		if err != nil || f.ID == 0 || got.ID != f.ID {
			t.Fatalf("file %d: ID %d, row %+v, %v", i, f.ID, got, err)
		}
		if f.Origin == "" || f.Presence == "" {
			t.Errorf("file %d: origin %q presence %q, want the defaults set", i, f.Origin, f.Presence)
		}
	}
	// The same reads of both repositories.
	same := func(what string, a, b any) {
		t.Helper()
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s: AddFile %v, AddFiles %v", what, a, b)
		}
	}
	for _, p := range []string{"alpha", "beta", "gamma"} {
		files := func(r *metastore.Repository) []metastore.File {
			fs, err := s.ProjectFiles(ctx, r.ID, version, p)
			if err != nil {
				t.Fatal(err)
			}
			for i := range fs {
				fs[i].ID, fs[i].RepositoryID = 0, 0
				slices.Sort(fs[i].ImportNames)
			}
			slices.SortFunc(fs, func(a, b metastore.File) int { return strings.Compare(a.Filename, b.Filename) })
			return fs
		}
		same("files of "+p, files(one), files(many))
		a1, _, ok1 := attrs(t, s, one.ID, version, p)
		a2, _, ok2 := attrs(t, s, many.ID, version, p)
		same("attributes of "+p, fmt.Sprint(a1, ok1), fmt.Sprint(a2, ok2))
	}
	if a, _, _ := attrs(t, s, many.ID, version, "beta"); a != (metastore.ProjectAttributes{DisplayName: "BETA", Status: "deprecated", StatusReason: "old"}) {
		t.Errorf("beta after the adds: %+v", a)
	}
	for _, r := range []*metastore.Repository{one, many} {
		got, err := s.ImportProviders(ctx, r.ID, version, []string{"alpha_ext", "gamma", "beta_ext"})
		if err != nil || !slices.Equal(got, []string{"alpha", "beta", "gamma"}) {
			t.Errorf("ImportProviders(%s) = %v, %v", r.Name, got, err)
		}
	}

	// Refusals: a used filename, one given twice, too many files.
	for _, tc := range []struct {
		name  string
		files []*metastore.File
		want  string
	}{
		{"used", []*metastore.File{file(many.ID, "delta", "1.0", ".tar.gz"), file(many.ID, "alpha", "1.3", ".tar.gz")}, "alpha-1.3.tar.gz"},
		{"twice", []*metastore.File{file(many.ID, "delta", "1.0", ".tar.gz"), file(many.ID, "delta", "1.0", ".tar.gz")}, "delta-1.0.tar.gz"},
	} {
		err := s.InTx(ctx, func(tx metastore.Tx) error {
			n, err := tx.BeginVersion(ctx, many.ID, "refused", t0)
			if err != nil {
				return err
			}
			return tx.AddFiles(ctx, tc.files, n)
		})
		if !errors.Is(err, errs.ErrConflict) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("AddFiles of a filename %s: %v, want ErrConflict naming %s", tc.name, err, tc.want)
		}
	}
	err = s.InTx(ctx, func(tx metastore.Tx) error {
		return tx.AddFiles(ctx, make([]*metastore.File, metastore.MaxBatch+1), version)
	})
	if !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("AddFiles over MaxBatch: %v, want ErrInvalid", err)
	}
	if _, err := s.FileByFilename(ctx, many.ID, "delta-1.0.tar.gz"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("a refused AddFiles left a row: %v", err)
	}
}

// testParsedMetadataBatch: PutParsedMetadataBatch stores each row as PutParsedMetadata
// would: a digest stored already, or given twice, keeps its first content.
func testParsedMetadataBatch(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	d := func(i int) string { return fmt.Sprintf("%064x", i) }
	mustTx(t, s, func(tx metastore.Tx) error { return tx.PutParsedMetadata(ctx, d(1), []byte(`{"old":1}`)) })
	var rows []metastore.ParsedMetadata
	for i := range 300 {
		rows = append(rows, metastore.ParsedMetadata{SHA256: d(i + 1), Parsed: fmt.Appendf(nil, `{"i":%d}`, i+1)})
	}
	rows = append(rows, metastore.ParsedMetadata{SHA256: d(2), Parsed: []byte(`{"again":2}`)})
	mustTx(t, s, func(tx metastore.Tx) error { return tx.PutParsedMetadataBatch(ctx, rows) })
	for i, want := range map[int]string{1: `{"old":1}`, 2: `{"i":2}`, 300: `{"i":300}`} {
		if got, err := s.ParsedMetadata(ctx, d(i)); err != nil || string(got) != want {
			t.Errorf("ParsedMetadata(%d) = %s, %v; want %s", i, got, err, want)
		}
	}
	for name, bad := range map[string][]metastore.ParsedMetadata{
		"no digest":     {{Parsed: []byte("x")}},
		"no content":    {{SHA256: d(9)}},
		"over MaxBatch": make([]metastore.ParsedMetadata, metastore.MaxBatch+1),
	} {
		if err := s.InTx(ctx, func(tx metastore.Tx) error { return tx.PutParsedMetadataBatch(ctx, bad) }); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("PutParsedMetadataBatch, %s: %v, want ErrInvalid", name, err)
		}
	}
}

// testAddFilesFreshIDs: the file rows AddFiles adds get IDs no file row has had, as
// AddFile's do, also after the rows with the highest IDs were deleted (retention): an ID
// names one file for good.
func testAddFilesFreshIDs(t *testing.T, s metastore.Store) {
	ctx := context.Background()
	r := newRepo(t, s, "fresh")
	var old []*metastore.File
	for i := range 3 {
		old = append(old, file(r.ID, "old", fmt.Sprintf("1.%d", i), ".tar.gz"))
	}
	change(t, s, r.ID, "adds", func(tx metastore.Tx, n int) error { return tx.AddFiles(ctx, old, n) })
	change(t, s, r.ID, "remove old", func(tx metastore.Tx, n int) error {
		for _, f := range old {
			if _, err := tx.RemoveFiles(ctx, r.ID, n, "", "", f.Filename); err != nil {
				return err
			}
		}
		return nil
	})
	var got *metastore.Reclaimed
	mustTx(t, s, func(tx metastore.Tx) (err error) {
		got, err = tx.ReclaimVersions(ctx, r.ID, 2, nil)
		return err
	})
	if len(got.Files) != len(old) {
		t.Fatalf("reclaimed %+v, want the %d old files", got, len(old))
	}
	var highest int64
	for _, f := range old {
		highest = max(highest, f.ID)
	}
	var fresh []*metastore.File
	for i := range 3 {
		fresh = append(fresh, file(r.ID, "fresh", fmt.Sprintf("2.%d", i), ".tar.gz"))
	}
	change(t, s, r.ID, "adds again", func(tx metastore.Tx, n int) error { return tx.AddFiles(ctx, fresh, n) })
	single := file(r.ID, "single", "1.0", ".tar.gz")
	add(t, s, r.ID, single)
	seen := map[int64]bool{}
	for _, f := range append(fresh, single) {
		if f.ID <= highest || seen[f.ID] {
			t.Errorf("%s got ID %d: the deleted files had up to %d, or another file has it", f.Filename, f.ID, highest)
		}
		seen[f.ID] = true
		if row, err := s.FileByFilename(ctx, r.ID, f.Filename); err != nil || row.ID != f.ID {
			t.Errorf("%s: ID %d, row %+v, %v", f.Filename, f.ID, row, err)
		}
	}
}
