package osv_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/osv"
)

// dump is a small OSV dump: two records of foo (one fixed in 1.2, one from 2.0 to
// last_affected 2.3 and 3.0 to 3.1 with a prerelease fix), one of Bar_Baz by versions list, one of
// another ecosystem only, and a withdrawn one.
func dump() map[string]any {
	other := rec("GHSA-npm1", "foo", nil)
	other["affected"].([]any)[0].(map[string]any)["package"] = map[string]string{"ecosystem": "npm", "name": "foo"}
	withdrawn := rec("PYSEC-9", "foo", [][]map[string]string{{ev("introduced", "0")}})
	withdrawn["withdrawn"] = "2024-05-06T00:00:00Z"
	high := rec("GHSA-2", "foo", [][]map[string]string{
		{ev("introduced", "2.0"), ev("last_affected", "2.3")},
		{ev("introduced", "3.0"), ev("fixed", "3.1rc1")},
	})
	high["database_specific"] = map[string]any{"severity": "HIGH"}
	return map[string]any{
		"PYSEC-1":   rec("PYSEC-1", "Foo", [][]map[string]string{{ev("introduced", "0"), ev("fixed", "1.2")}}),
		"GHSA-2":    high,
		"PYSEC-3":   rec("PYSEC-3", "Bar_Baz", nil, "0.1", "0.2.0"),
		"GHSA-npm1": other,
		"PYSEC-9":   withdrawn,
	}
}

func ids(vs []osv.Vulnerability) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

func TestImportAndMatch(t *testing.T) {
	for _, kind := range []string{"zip", "dir"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			src := writeDir(t, dump())
			if kind == "zip" {
				src = writeZip(t, dump())
			}
			svc, store := newService(t)
			st, err := svc.Import(ctx, src)
			if err != nil {
				t.Fatal(err)
			}
			want := osv.ImportStats{Files: 5, Added: 4, Ignored: 1, Withdrawn: 1}
			if !reflect.DeepEqual(st, want) {
				t.Errorf("stats %+v, want %+v", st, want)
			}
			if n, _ := store.VulnCount(ctx); n != 4 {
				t.Errorf("%d records stored, want 4", n)
			}
			for _, c := range []struct {
				project, version string
				want             []string
			}{
				{"foo", "1.0", []string{"PYSEC-1", "PYSEC-9"}},
				{"FOO", "1.2", []string{"PYSEC-9"}},
				{"foo", "2.3", []string{"GHSA-2", "PYSEC-9"}},
				{"foo", "2.3.1", []string{"PYSEC-9"}},
				{"foo", "3.1a1", []string{"GHSA-2", "PYSEC-9"}},
				{"foo", "3.1rc1", []string{"PYSEC-9"}},
				{"bar-baz", "0.2", []string{"PYSEC-3"}},
				{"bar.baz", "0.3", nil},
				{"bar", "0.1", nil},
			} {
				got, err := svc.Match(ctx, c.project, c.version)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ids(got), c.want) {
					t.Errorf("Match(%s, %s) = %v, want %v", c.project, c.version, ids(got), c.want)
				}
			}
			got, _ := svc.Match(ctx, "foo", "2.1")
			if len(got) != 2 || got[0].Link != osv.LinkBase+"GHSA-2" || !slices.Equal(got[0].FixedIn, []string{"3.1rc1"}) ||
				got[0].Summary != "summary of GHSA-2" || !slices.Equal(got[0].Aliases, []string{"CVE-GHSA-2"}) || got[1].Withdrawn == nil {
				t.Errorf("Match(foo, 2.1) = %+v", got)
			}
			// Findings: the withdrawn record is ignored; the severity is the record's.
			fs := osv.Findings(got)
			if len(fs) != 1 || fs[0].Kind != checkreport.Vulnerability || fs[0].Severity != checkreport.High ||
				fs[0].Task != checkreport.StepVulns || !strings.Contains(fs[0].Detail, "GHSA-2") || !strings.Contains(fs[0].Detail, "3.1rc1") {
				t.Errorf("Findings = %+v", fs)
			}
			low, _ := svc.Match(ctx, "foo", "1.0")
			if fs := osv.Findings(low); len(fs) != 1 || fs[0].Severity != checkreport.Medium {
				t.Errorf("a record without a severity: %+v, want one medium finding", fs)
			}
			// Importing again changes nothing.
			st, err = svc.Import(ctx, src)
			if err != nil || st.Unchanged != 4 || st.Added+st.Updated != 0 {
				t.Errorf("second import: %+v, %v", st, err)
			}
		})
	}
}

func TestImportReplacesByID(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	if _, err := svc.Import(ctx, writeDir(t, dump())); err != nil {
		t.Fatal(err)
	}
	// PYSEC-1 is withdrawn and moved from foo to qux; GHSA-2 now has a fix.
	d := dump()
	p1 := rec("PYSEC-1", "qux", [][]map[string]string{{ev("introduced", "0"), ev("fixed", "1.2")}})
	p1["withdrawn"] = "2024-06-01T00:00:00Z"
	p1["modified"] = "2024-06-01T00:00:00Z"
	d["PYSEC-1"] = p1
	d["GHSA-2"] = rec("GHSA-2", "foo", [][]map[string]string{{ev("introduced", "2.0"), ev("fixed", "2.2")}})
	st, err := svc.Import(ctx, writeZip(t, d))
	if err != nil {
		t.Fatal(err)
	}
	if st.Updated != 2 || st.Unchanged != 2 || st.Added != 0 {
		t.Errorf("stats %+v, want 2 updated, 2 unchanged", st)
	}
	if got, _ := svc.Match(ctx, "foo", "1.0"); !slices.Equal(ids(got), []string{"PYSEC-9"}) {
		t.Errorf("foo 1.0 after the update: %v", ids(got))
	}
	if got, _ := svc.Match(ctx, "foo", "2.2"); !slices.Equal(ids(got), []string{"PYSEC-9"}) {
		t.Errorf("foo 2.2 after the fix: %v", ids(got))
	}
	got, _ := svc.Match(ctx, "qux", "1.0")
	if !slices.Equal(ids(got), []string{"PYSEC-1"}) || got[0].Withdrawn == nil || len(osv.Findings(got)) != 0 {
		t.Errorf("qux 1.0: %+v, want the withdrawn PYSEC-1 and no finding", got)
	}
}

func TestImportInvalidStoresNothing(t *testing.T) {
	for _, kind := range []string{"zip", "dir"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			d := dump()
			d["PYSEC-BAD"] = []byte(`{"id": "PYSEC-BAD", "affected": [{"package": {"ecosystem": "PyPI", "name": "foo"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "not.a.version!"}]}]}]}`)
			src := writeDir(t, d)
			if kind == "zip" {
				src = writeZip(t, d)
			}
			svc, store := newService(t)
			_, err := svc.Import(ctx, src)
			if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "PYSEC-BAD.json") || !strings.Contains(err.Error(), "not.a.version!") {
				t.Fatalf("Import: %v, want ErrInvalid naming the file and the version", err)
			}
			if n, _ := store.VulnCount(ctx); n != 0 {
				t.Errorf("%d records stored from a dump with an invalid record", n)
			}
		})
	}
}

func TestImportBounds(t *testing.T) {
	ctx := context.Background()
	big := rec("PYSEC-BIG", "foo", nil)
	big["details"] = strings.Repeat("x", 4096)
	for _, kind := range []string{"zip", "dir"} {
		t.Run(kind+" record size", func(t *testing.T) {
			src := writeDir(t, map[string]any{"PYSEC-BIG": big})
			if kind == "zip" {
				src = writeZip(t, map[string]any{"PYSEC-BIG": big})
			}
			_, store := newService(t)
			svc := osv.New(store, osv.Limits{MaxRecordBytes: 1024})
			_, err := svc.Import(ctx, src)
			if !errors.Is(err, errs.ErrTooLarge) || !strings.Contains(err.Error(), "PYSEC-BIG.json") {
				t.Errorf("Import: %v, want ErrTooLarge naming the record", err)
			}
		})
		t.Run(kind+" file count", func(t *testing.T) {
			src := writeDir(t, dump())
			if kind == "zip" {
				src = writeZip(t, dump())
			}
			_, store := newService(t)
			svc := osv.New(store, osv.Limits{MaxFiles: 3})
			if _, err := svc.Import(ctx, src); !errors.Is(err, errs.ErrTooLarge) {
				t.Errorf("Import: %v, want ErrTooLarge", err)
			}
			if n, _ := store.VulnCount(ctx); n != 0 {
				t.Errorf("%d records stored", n)
			}
		})
	}
	t.Run("total", func(t *testing.T) {
		_, store := newService(t)
		svc := osv.New(store, osv.Limits{MaxTotalBytes: 1500})
		if _, err := svc.Import(ctx, writeDir(t, dump())); !errors.Is(err, errs.ErrTooLarge) {
			t.Errorf("Import: %v, want ErrTooLarge", err)
		}
	})
	t.Run("not a zip", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "all.zip")
		os.WriteFile(p, []byte("not a zip"), 0o644)
		svc, _ := newService(t)
		if _, err := svc.Import(ctx, p); !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), p) {
			t.Errorf("Import: %v, want ErrInvalid naming the file", err)
		}
	})
	t.Run("a symlink in a folder is skipped", func(t *testing.T) {
		dir := writeDir(t, map[string]any{"PYSEC-1": dump()["PYSEC-1"]})
		outside := writeDir(t, map[string]any{"PYSEC-3": dump()["PYSEC-3"]})
		if err := os.Symlink(filepath.Join(outside, "PYSEC-3.json"), filepath.Join(dir, "link.json")); err != nil {
			t.Fatal(err)
		}
		svc, _ := newService(t)
		st, err := svc.Import(ctx, dir)
		if err != nil || st.Files != 1 {
			t.Errorf("Import: %+v, %v; want the one regular file", st, err)
		}
	})
}

func TestImportManyBatches(t *testing.T) {
	ctx := context.Background()
	d := map[string]any{}
	for i := range osv.BatchSize*2 + 7 {
		id := "PYSEC-" + strconv.Itoa(1000+i)
		d[id] = rec(id, "foo", [][]map[string]string{{ev("introduced", "0"), ev("fixed", "1.0")}})
	}
	svc, store := newService(t)
	st, err := svc.Import(ctx, writeZip(t, d))
	if err != nil || st.Added != len(d) {
		t.Fatalf("Import: %+v, %v", st, err)
	}
	if n, _ := store.VulnCount(ctx); n != len(d) {
		t.Errorf("%d stored, want %d", n, len(d))
	}
	if got, _ := svc.Match(ctx, "foo", "0.5"); len(got) != len(d) {
		t.Errorf("%d matches, want %d", len(got), len(d))
	}
}

func TestFileFindings(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	fs, err := svc.FileFindings(ctx, "foo-1.0.tar.gz")
	if err != nil || len(fs) != 1 || fs[0].Severity != checkreport.Info || !strings.Contains(fs[0].Detail, "empty") {
		t.Fatalf("empty database: %+v, %v", fs, err)
	}
	if _, err := svc.Import(ctx, writeDir(t, dump())); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file string
		want []string
	}{
		{"Foo-1.0-py3-none-any.whl", []string{"PYSEC-1"}}, // PYSEC-9 is withdrawn
		{"foo-2.1.tar.gz", []string{"GHSA-2"}},            // high
		{"foo-3.1rc1-py3-none-any.whl", nil},              // fixed in the prerelease
		{"bar_baz-0.2.0-py2.py3-none-any.whl", []string{"PYSEC-3"}},
	} {
		fs, err := svc.FileFindings(ctx, c.file)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range fs {
			got = append(got, strings.SplitN(f.Detail, " ", 2)[0])
			if f.Task != checkreport.StepVulns || f.Kind != checkreport.Vulnerability {
				t.Errorf("%s: finding %+v", c.file, f)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: findings for %v, want %v", c.file, got, c.want)
		}
	}
	if _, err := svc.FileFindings(ctx, "not a file"); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("bad file name: %v", err)
	}
}

func TestImportSkipInvalid(t *testing.T) {
	ctx := context.Background()
	d := dump()
	d["PYSEC-BAD"] = []byte(`{"id":"PYSEC-BAD","affected":[{"package":{"ecosystem":"PyPI","name":"foo"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"1"}]}]}]}`)
	d["BROKEN"] = []byte(`{`)
	svc, store := newService(t)
	st, err := svc.ImportWith(ctx, writeZip(t, d), osv.ImportOptions{SkipInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 7 || st.Invalid != 2 || st.Added != 4 || len(st.InvalidExamples) != 2 ||
		!strings.Contains(strings.Join(st.InvalidExamples, "\n"), "PYSEC-BAD.json") || !strings.Contains(strings.Join(st.InvalidExamples, "\n"), "BROKEN.json") {
		t.Errorf("stats %+v", st)
	}
	if n, _ := store.VulnCount(ctx); n != 4 {
		t.Errorf("%d stored, want the 4 valid PyPI records", n)
	}
}
