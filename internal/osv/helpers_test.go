package osv_test

import (
	"archive/zip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/pydepot/pydepot/internal/metastore/sqlite"
	"github.com/pydepot/pydepot/internal/osv"
)

// rec builds an OSV record (the schema's JSON) for one PyPI package.
func rec(id, pkg string, ranges [][]map[string]string, versions ...string) map[string]any {
	var rs []any
	for _, evs := range ranges {
		rs = append(rs, map[string]any{"type": "ECOSYSTEM", "events": evs})
	}
	aff := map[string]any{"package": map[string]string{"ecosystem": "PyPI", "name": pkg}, "ranges": rs}
	if len(versions) > 0 {
		aff["versions"] = versions
	}
	return map[string]any{
		"schema_version": "1.6.0", "id": id, "modified": "2024-01-02T03:04:05Z",
		"summary": "summary of " + id, "details": "details of " + id,
		"aliases": []string{"CVE-" + id}, "affected": []any{aff},
	}
}

func ev(kind, version string) map[string]string { return map[string]string{kind: version} }

func encode(t testing.TB, r any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeDir writes each record as NAME.json in a new folder; a []byte is written as is.
func writeDir(t testing.TB, recs map[string]any) string {
	t.Helper()
	dir := t.TempDir()
	for name, r := range recs {
		b, ok := r.([]byte)
		if !ok {
			b = encode(t, r)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeZip writes the records as members NAME.json of all.zip, as the OSV dump does.
func writeZip(t testing.TB, recs map[string]any) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "all.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, r := range recs {
		b, ok := r.([]byte)
		if !ok {
			b = encode(t, r)
		}
		w, err := zw.Create(name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "pydepot.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newService(t testing.TB) (*osv.Service, *sqlite.Store) {
	s := openStore(t)
	return osv.New(s, osv.Limits{}), s
}
