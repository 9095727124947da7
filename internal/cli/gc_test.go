package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/index"
)

// TestGCCommand: pydepot gc on a data directory reports (--dry-run) and then removes an
// old unreferenced blob, keeps a young one and every referenced one.
func TestGCCommand(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	svc, closeFn, err := backends.OpenDirStores(ctx, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	whl := systemWheel(t, "wheel-0.38.4-py3-none-any.whl")
	body, err := os.ReadFile(whl)
	if err != nil {
		t.Fatal(err)
	}
	f, _, err := svc.Upload(ctx, index.Upload{Repository: "main", Filename: filepath.Base(whl), Content: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	put := func(s string, age time.Duration) string {
		sha, _, err := svc.Blobs().Put(ctx, strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		when := time.Now().Add(-age)
		if err := os.Chtimes(filepath.Join(data, "blobs", filepath.FromSlash(svc.Blobs().BlobPath(sha))), when, when); err != nil {
			t.Fatal(err)
		}
		return sha
	}
	old, young := put("left by a crash", 2*time.Hour), put("an upload in progress", 0)
	closeFn()

	out := mustRun(t, "", "gc", "--data", data, "--dry-run")
	if !strings.Contains(out, "would remove 1 unreferenced blob(s)") || !strings.Contains(out, old) {
		t.Errorf("dry run said:\n%s", out)
	}
	exists := func(sha string) bool {
		_, err := os.Stat(filepath.Join(data, "blobs", filepath.FromSlash(svc.Blobs().BlobPath(sha))))
		return err == nil
	}
	if !exists(old) {
		t.Fatal("--dry-run removed a blob")
	}
	out = mustRun(t, "", "gc", "--data", data)
	if !strings.Contains(out, "removed 1 unreferenced blob(s)") || !strings.Contains(out, "1 unreferenced kept") {
		t.Errorf("gc said:\n%s", out)
	}
	for sha, want := range map[string]bool{old: false, young: true, f.SHA256: true, f.MetadataSHA256: true} {
		if exists(sha) != want {
			t.Errorf("blob %s exists %v after gc, want %v", sha, !want, want)
		}
	}
	// The stores by URL, as serve takes them.
	out = mustRun(t, "", "gc", "--database", "sqlite://"+filepath.Join(data, "pydepot.db"), "--blobs", "file://"+filepath.Join(data, "blobs"), "--grace", "0s")
	if !strings.Contains(out, "removed 1 unreferenced blob(s)") || exists(young) {
		t.Errorf("gc by URL said:\n%s", out)
	}
	if code, _, errb := cliRun(t, "", "", "gc", "--data", filepath.Join(data, "nothing")); code == 0 || !strings.Contains(errb, "not a pydepot database") {
		t.Errorf("gc of a missing directory: exit %d, %s", code, errb)
	}
	if _, err := os.Stat(filepath.Join(data, "nothing")); err == nil {
		t.Error("gc of a missing directory created it")
	}
	if code, _, errb := cliRun(t, "", "", "gc", "--database", "postgres://db/pydepot", "--blobs", "file://"+data); code == 0 || !strings.Contains(errb, "postgres") {
		t.Errorf("gc on postgres: exit %d, %s", code, errb)
	}
}

// TestGCCompletion: gc takes no arguments (no file completion) and offers durations for
// --grace.
func TestGCCompletion(t *testing.T) {
	if got := complete(t, "", "gc", ""); len(got) != 0 {
		t.Errorf("gc arguments complete to %q", got)
	}
	got := complete(t, "", "gc", "--grace", "")
	slices.Sort(got)
	if want := []string{"10m", "1h", "24h"}; !slices.Equal(got, want) {
		t.Errorf("gc --grace completes to %q, want %q", got, want)
	}
}
