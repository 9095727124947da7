package wire

import (
	"encoding/json"
	"time"
)

// Task is one task (GET /api/tasks/{id}); see internal/tasks for the meaning of each
// field. A list leaves Log out.
type Task struct {
	ID         int64           `json:"id"`
	Kind       string          `json:"kind"`
	State      string          `json:"state"` // waiting, running, completed, failed, canceled
	Args       json.RawMessage `json:"args,omitempty"`
	Progress   TaskProgress    `json:"progress"`
	Log        []string        `json:"log,omitempty"`
	LogDropped int64           `json:"log_dropped,omitempty"` // older lines dropped from Log
	Error      string          `json:"error,omitempty"`
	Result     json.RawMessage `json:"result,omitempty"`
	Attempt    int             `json:"attempt"`
	CreatedAt  time.Time       `json:"created_at"`
	StartedAt  *time.Time      `json:"started_at,omitempty"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
}

// TaskProgress counts what a task has done; a total of 0 is not known (yet).
type TaskProgress struct {
	DoneItems  int64 `json:"done_items"`
	TotalItems int64 `json:"total_items"`
	DoneBytes  int64 `json:"done_bytes"`
	TotalBytes int64 `json:"total_bytes"`
}

// TaskList is GET /api/tasks: newest first; NextBefore, when set, is the before= of the
// next page.
type TaskList struct {
	Tasks      []Task `json:"tasks"`
	NextBefore int64  `json:"next_before,omitempty"`
}

// TaskDone reports whether state is final: the task will not run again.
func TaskDone(state string) bool {
	return state == "completed" || state == "failed" || state == "canceled"
}
