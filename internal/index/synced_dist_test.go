package index_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/index"
)

// TestSyncedFileDist: a synced file's name parsed by the caller (SyncedFile.Dist) is
// taken for that name only: a file given another file's parse is checked on its own
// name, and what Synced makes of it is what it makes without a parse given.
func TestSyncedFileDist(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	b := s.NewSyncBatch()
	name, data := synthWheel("distgiven", "1.0")
	d, err := filenames.Parse(name)
	if err != nil {
		t.Fatal(err)
	}
	other, err := filenames.Parse("other-9.0-py3-none-any.whl")
	if err != nil {
		t.Fatal(err)
	}
	f := index.SyncedFile{Filename: name, SHA256: hexSum(data), Size: int64(len(data)), Remote: "up"}
	for _, given := range []*filenames.Dist{nil, &d, &other} {
		g := f
		g.Dist = given
		p, err := b.Synced(ctx, g, bytes.NewReader(data))
		if err != nil {
			t.Fatalf("with %v: %v", given, err)
		}
		if p.File().Project != "distgiven" || p.File().Version != "1.0" || p.File().Filename != name {
			t.Errorf("with %v: row %+v", given, p.File())
		}
	}
	// A bad name is refused even with a good file's parse.
	bad := f
	bad.Filename, bad.Dist = "distgiven-1.0.exe", &d
	if _, err := b.Synced(ctx, bad, bytes.NewReader(data)); err == nil {
		t.Error("a bad name with another file's parse was taken")
	}
}
