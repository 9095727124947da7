package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

func TestPragmas(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "p.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tests := []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"busy_timeout", "10000"},
		{"foreign_keys", "1"},
	}
	for _, db := range []struct {
		name string
		q    querier
	}{{"write", s.write}, {"read", s.read}} {
		for _, tc := range tests {
			var got string
			if err := db.q.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s pool: PRAGMA %s = %s, want %s", db.name, tc.pragma, got, tc.want)
			}
		}
	}
	// The writer checkpoints the WAL every 10,000 pages, not 1,000 (see dsn).
	var pages int
	if err := s.write.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&pages); err != nil || pages != 10000 {
		t.Errorf("writer: PRAGMA wal_autocheckpoint = %d (%v), want 10000", pages, err)
	}
	if s.write.Stats().MaxOpenConnections != 1 {
		t.Errorf("writer pool allows %d connections", s.write.Stats().MaxOpenConnections)
	}
	// The read pool refuses writes.
	if _, err := s.read.ExecContext(ctx, `INSERT INTO projects (name, display_name) VALUES ('x', 'x')`); err == nil {
		t.Error("read pool accepted a write")
	}
}
