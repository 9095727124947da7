package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/metastore"
)

// TestCheckpointLater: the pages a large write left in the WAL are copied into the
// database file in the background (the file grows while nobody writes), writes go on
// beside it, and Close waits for it.
func TestCheckpointLater(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			s.Close()
		}
	}()
	write := func(tag string, n int) {
		t.Helper()
		err := s.InTx(ctx, func(tx metastore.Tx) error {
			for i := range n {
				if err := tx.TouchBlob(ctx, fmt.Sprintf("%s%058d", tag, i), int64(i), time.Now()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	size := func() int64 {
		t.Helper()
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	write("aaaaaa", 5000)
	before := size()
	s.CheckpointLater(ctx)
	s.CheckpointLater(ctx) // one at a time: a second while one runs does nothing
	write("bbbbbb", 10)    // waits for the writer, or runs before the checkpoint
	deadline := time.Now().Add(10 * time.Second)
	for s.checkpointing.Load() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if s.checkpointing.Load() {
		t.Fatal("the checkpoint did not end within 10 s")
	}
	if after := size(); after < before+5000*64 {
		t.Errorf("database file %d bytes before the checkpoint, %d after: the WAL's pages were not copied", before, after)
	}
	s.CheckpointLater(ctx)
	closed = true
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.checkpointing.Load() {
		t.Error("Close returned with a checkpoint running")
	}
}
