package mirror

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/metastore"
)

// TestStateSpool: the states a sync records come back as they were added, in chunks, in
// order, whether they stayed in memory or spilled to the spool's file (more than
// stateSpoolMemory), and the file is gone after close.
func TestStateSpool(t *testing.T) {
	base := metastore.SyncState{RemoteID: 3, RepositoryID: 4, Config: "cfg"}
	at := time.Date(2026, 12, 2, 5, 0, 0, 123000, time.UTC)
	for _, n := range []int{0, 10, stateSpoolMemory, stateSpoolMemory + 1001} {
		dir := t.TempDir()
		sp := newStateSpool(dir)
		var want []metastore.SyncState
		for i := range n {
			st := base
			st.Project, st.Serial, st.Mirrored = fmt.Sprintf("p%05d", i), int64(i*7), i%3 == 0
			st.ETag, st.LastModified = fmt.Sprintf(`W/"e\t%d"`, i), "Wed, 02 Dec 2026 05:00:00 GMT"
			st.SyncedAt = at.Add(time.Duration(i) * time.Microsecond)
			sp.add(st)
			want = append(want, st)
		}
		var got []metastore.SyncState
		chunks := 0
		err := sp.each(500, base, func(c []metastore.SyncState) error {
			if len(c) == 0 || len(c) > 500 {
				t.Errorf("%d states: a chunk of %d", n, len(c))
			}
			chunks++
			got = append(got, c...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || chunks != (n+499)/500 {
			t.Fatalf("%d states: %d back in %d chunks", n, len(got), chunks)
		}
		for i := range want {
			if got[i] != want[i] && !(got[i].SyncedAt.Equal(want[i].SyncedAt) && sameBut(got[i], want[i])) {
				t.Fatalf("%d states: state %d back as %+v, added %+v", n, i, got[i], want[i])
			}
		}
		ents, _ := os.ReadDir(dir)
		if spilled := len(ents) > 0; spilled != (n > stateSpoolMemory) {
			t.Errorf("%d states: spool file present %v", n, spilled)
		}
		sp.close()
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("%d states: %d files left after close", n, len(ents))
		}
	}
}

func sameBut(a, b metastore.SyncState) bool {
	a.SyncedAt, b.SyncedAt = time.Time{}, time.Time{}
	return a == b
}
