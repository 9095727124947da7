package index_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/backends"
)

// TestOrphanBlobsReportedAtStart: a blob stored without a file row (a crash between the
// two) is counted and logged when the index service starts; referenced blobs are not.
func TestOrphanBlobsReportedAtStart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s1, close1, err := backends.OpenDir(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	name, data := synthWheel("kept", "1.0")
	upload(t, s1, name, data)
	orphan := []byte(strings.Repeat("half an upload ", 100))
	sha, size, err := s1.Blobs().Put(ctx, bytes.NewReader(orphan))
	if err != nil {
		t.Fatal(err)
	}
	close1()

	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s2, close2, err := backends.OpenDir(ctx, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s2.FindOrphans(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count != 1 || rep.Bytes != size || rep.Blobs != 3 || len(rep.Example) != 1 || rep.Example[0] != sha {
		t.Errorf("FindOrphans = %+v, want the one blob %s of %d bytes among 3", rep, sha, size)
	}
	// Blobs written after the start are uploads in progress, not orphans.
	if rep, _ := s2.FindOrphans(ctx, time.Now().Add(-time.Hour)); rep.Count != 0 {
		t.Errorf("blobs newer than since counted: %+v", rep)
	}
	// The start-up check runs in the background; wait for its warning.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !strings.Contains(logs.String(), "blobs without a file"); {
		time.Sleep(10 * time.Millisecond)
	}
	close2()
	var rec struct {
		Level, Msg, Hint string
		Count            int
		Bytes            int64
	}
	found := false
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "blobs without a file" {
			found = true
			break
		}
	}
	if !found || rec.Level != "WARN" || rec.Count != 1 || rec.Bytes != size || !strings.Contains(rec.Hint, "gc") {
		t.Errorf("start-up log %q, parsed %+v", logs.String(), rec)
	}
}

// lockedBuffer is a bytes.Buffer safe for a logging goroutine and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}
