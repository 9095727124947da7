package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// locksHeld returns the lines of /proc/locks of this process on the file at path.
func locksHeld(t *testing.T, path string) []string {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		t.Skipf("no /proc/locks to read the locks from: %v", err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		// 1: POSIX  ADVISORY  READ 1234 fe:00:5678 1073741826 1073742335
		if len(f) >= 6 && f[4] == fmt.Sprint(os.Getpid()) && strings.HasSuffix(f[5], fmt.Sprintf(":%d", st.Ino)) {
			out = append(out, l)
		}
	}
	return out
}

// TestSecondPoolKeepsLocks: opening another pool on a database this process already has
// open (OpenDB for the task queue, or a second Open) must not open and close the file
// outside SQLite. Closing any descriptor of a file drops every POSIX lock the process
// holds on it, SQLite's included, and SQLite, which counts its locks per file inside the
// process, never takes them again: another process (sqlite3, a backup, a second server)
// then thinks itself the database's last user when it closes, checkpoints it and deletes
// the WAL under this process, and the two see different databases from then on. (Seen:
// a serve that no longer saw the tasks enqueued after someone ran sqlite3 on its file.)
func TestSecondPoolKeepsLocks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pydepot.db")
	st, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	read := func(q querier) {
		t.Helper()
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n == 0 {
			t.Fatalf("read: %d, %v", n, err)
		}
	}
	read(st.read)
	if len(locksHeld(t, path)) == 0 {
		t.Fatal("an open store holds no lock on its file: the check below proves nothing")
	}
	db, err := OpenDB(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	read(db)
	read(st.read)
	if len(locksHeld(t, path)) == 0 {
		t.Error("after OpenDB this process holds no lock on the database: another process may delete its WAL")
	}
	again, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	read(again.read)
	if len(locksHeld(t, path)) == 0 {
		t.Error("after a second Open this process holds no lock on the database")
	}
	if _, err := OpenDB(ctx, filepath.Join(t.TempDir(), "missing.db")); err == nil || !strings.Contains(err.Error(), "open the metadata store first") {
		t.Errorf("OpenDB of a missing file: %v", err)
	}
}
