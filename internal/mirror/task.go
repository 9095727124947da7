package mirror

import (
	"context"

	"github.com/pydepot/pydepot/internal/tasks"
)

// Register registers the "sync" task kind on q and makes StartSync enqueue syncs there
// (serve calls it before the queue starts). A sync task's args are a SyncRequest, its
// result a SyncResult; its progress counts files and bytes downloaded, its log has a
// line per failed file. A task the queue runs again after a crash resumes: the blobs the
// first attempt verified are reused.
func (m *Mirror) Register(q tasks.Queue) {
	q.Register(TaskKind, func(ctx context.Context, run tasks.Run) (any, error) {
		return m.TaskHandler(ctx, run.Args(), taskRun{run})
	})
	m.SetQueue(q.Enqueue)
}

// taskRun adapts a tasks.Run to Run.
type taskRun struct{ tasks.Run }

func (r taskRun) SetProgress(p Progress) { r.Run.SetProgress(tasks.Progress(p)) }
