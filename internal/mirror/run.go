package mirror

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pydepot/pydepot/internal/errs"
)

// Progress is a sync's progress: items are files, bytes are bytes downloaded (the
// fields of tasks.Progress).
type Progress struct{ DoneItems, TotalItems, DoneBytes, TotalBytes int64 }

// Run is what a sync reports to: the task running it (tasks.Run, adapted), or a
// caller's own. Both methods must be cheap and safe for concurrent use.
type Run interface {
	SetProgress(p Progress)
	Logf(format string, a ...any)
}

type nopRun struct{}

func (nopRun) SetProgress(Progress) {}
func (nopRun) Logf(string, ...any)  {}

// TaskKind is the task kind of a sync; its args are a SyncRequest, its result a
// SyncResult.
const TaskKind = "sync"

// SyncRequest is one sync: remote into repository (the args of a "sync" task).
type SyncRequest struct {
	Repository string `json:"repository"`
	Remote     string `json:"remote"`
	// Mirror also removes what the upstream no longer has (default: additive).
	Mirror bool `json:"mirror,omitempty"`
	// SkipBadFiles reports files that fail (download, hash) without failing the sync.
	SkipBadFiles bool `json:"skip_bad_files,omitempty"`
}

// SyncResult is what a sync did.
type SyncResult struct {
	Repository string `json:"repository"`
	Remote     string `json:"remote"`
	Version    int    `json:"version"` // the repository version made; 0 when nothing changed
	Added      int    `json:"added"`
	Removed    int    `json:"removed"`
	Changed    int    `json:"changed"` // files whose yank state changed
	// Failed are the files not stored (download, hash, metadata): they fail the sync
	// unless SkipBadFiles. Skipped are files the repository's blocklist refuses.
	// Both lists keep the first Options.MaxReported; FailedTotal and SkippedTotal count
	// them all (the task's log has a line for every failed one).
	Failed       []FileError `json:"failed"`
	Skipped      []FileError `json:"skipped,omitempty"`
	FailedTotal  int         `json:"failed_total"`
	SkippedTotal int         `json:"skipped_total,omitempty"`
	Projects     int         `json:"projects"`     // projects read
	NotModified  int         `json:"not_modified"` // of which the upstream answered 304
	Downloaded   int         `json:"downloaded"`   // files downloaded
	Reused       int         `json:"reused"`       // files whose blob was already stored
	// Filled are files held without their bytes (policy on_demand or streamed) whose
	// bytes were downloaded because the remote's policy is now immediate.
	Filled int   `json:"filled,omitempty"`
	Bytes  int64 `json:"bytes"` // bytes downloaded
}

// FileError is one file a sync did not store.
type FileError struct {
	Project  string `json:"project,omitempty"`
	Filename string `json:"filename,omitempty"`
	Error    string `json:"error"`
}

// Enqueuer puts a task in the queue (tasks.Queue.Enqueue).
type Enqueuer func(ctx context.Context, kind string, args any) (int64, error)

// SetQueue makes StartSync enqueue "sync" tasks instead of running syncs itself.
func (m *Mirror) SetQueue(enqueue Enqueuer) { m.enqueue = enqueue }

// StartSync starts a sync: with a queue (SetQueue) it checks the request and enqueues a
// task, returning its id; without one it runs the sync and returns its result.
func (m *Mirror) StartSync(ctx context.Context, req SyncRequest) (int64, *SyncResult, error) {
	if err := m.checkRequest(ctx, req); err != nil {
		return 0, nil, err
	}
	if m.enqueue != nil {
		id, err := m.enqueue(ctx, TaskKind, req)
		return id, nil, err
	}
	res, err := m.Sync(ctx, req, nil)
	return 0, res, err
}

// TaskHandler runs a "sync" task from its JSON args (for tasks.Queue.Register).
func (m *Mirror) TaskHandler(ctx context.Context, args json.RawMessage, run Run) (any, error) {
	var req SyncRequest
	if err := json.Unmarshal(args, &req); err != nil {
		return nil, fmt.Errorf("sync task arguments: %v: %w", err, errs.ErrInvalid)
	}
	return m.Sync(ctx, req, run)
}

func (m *Mirror) checkRequest(ctx context.Context, req SyncRequest) error {
	if req.Repository == "" || req.Remote == "" {
		return fmt.Errorf("a sync needs a repository and a remote: %w", errs.ErrInvalid)
	}
	if _, err := m.store.Repository(ctx, req.Repository); err != nil {
		return fmt.Errorf("repository %s: %w", req.Repository, err)
	}
	if _, err := m.store.Remote(ctx, req.Remote); err != nil {
		return fmt.Errorf("remote %s: %w", req.Remote, err)
	}
	return nil
}
