package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/metastore/sqlite"
	"github.com/pydepot/pydepot/internal/testdisk"
)

// TestDiskFull: a transaction that the full disk refuses wraps errs.ErrStorageFull (the
// server answers 507), on a real 4 MiB tmpfs (the migrations alone take over 1 MiB).
func TestDiskFull(t *testing.T) {
	dir := testdisk.Tiny(t, "4m")
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "pydepot.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	desc := strings.Repeat("x", 16<<10)
	for i := 0; i < 1000; i++ {
		err = st.InTx(ctx, func(tx metastore.Tx) error {
			_, err := tx.CreateRepository(ctx, fmt.Sprintf("repo%d", i), desc, t0())
			return err
		})
		if err != nil {
			break
		}
	}
	if !errors.Is(err, errs.ErrStorageFull) {
		t.Fatalf("filling a 4 MiB disk: %v, want ErrStorageFull", err)
	}
}
