package checks_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/checks"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/resolver"
)

// TestSource: the wheelhouse source of a check reads the repository in process: its
// candidates by version, a file's dependencies from its core metadata, and a fetch
// that copies the bytes into the wheelhouse, refusing bytes whose digest is not the
// index's.
func TestSource(t *testing.T) {
	ctx := context.Background()
	svc, closeFn, err := backends.OpenDir(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })
	if err := svc.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	appName, appData := wheel(t, "app", "1.0", "dep>=1.0", "extra-thing; extra == 'x'")
	if _, _, err := svc.Upload(ctx, index.Upload{Repository: "main", Filename: appName, Content: bytes.NewReader(appData)}); err != nil {
		t.Fatal(err)
	}
	upload(t, svc, "main", "dep", "1.0")
	depName, depData := upload(t, svc, "main", "dep", "2.0")

	src, err := checks.Source(svc)(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	cands, err := src.Provider.Candidates(ctx, "Dep")
	if err != nil || len(cands) != 2 {
		t.Fatalf("Candidates(dep) = %+v, %v; want two versions", cands, err)
	}
	if _, err := src.Provider.Candidates(ctx, "absent"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("Candidates(absent): %v, want not found", err)
	}
	apps, err := src.Provider.Candidates(ctx, "app")
	if err != nil || len(apps) != 1 || len(apps[0].Files) != 1 {
		t.Fatalf("Candidates(app) = %+v, %v", apps, err)
	}
	reqs, err := src.Provider.Dependencies(ctx, apps[0], apps[0].Files[0])
	if err != nil || len(reqs) != 2 || reqs[0].Name != "dep" {
		t.Fatalf("Dependencies(app) = %+v, %v; want dep>=1.0 and the extra", reqs, err)
	}

	var f2 resolver.File
	for _, c := range cands {
		if c.Version.String() == "2.0" {
			f2 = c.Files[0]
		}
	}
	dir := t.TempDir()
	got, err := src.Fetch(ctx, f2, dir)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(got); !bytes.Equal(b, depData) || filepath.Base(got) != depName {
		t.Fatalf("fetched %s: %d bytes, want %s with %d bytes", got, len(b), depName, len(depData))
	}
	bad := f2
	bad.SHA256 = "00" + bad.SHA256[2:]
	if _, err := src.Fetch(ctx, bad, t.TempDir()); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("a fetch whose digest differs: %v, want invalid", err)
	}
	bad = f2
	bad.Filename = "../" + f2.Filename
	if _, err := src.Fetch(ctx, bad, t.TempDir()); err == nil {
		t.Error("a file name with a path was fetched")
	}
}
