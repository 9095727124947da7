package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/pydepot/pydepot/internal/server/wire"
)

// TaskFilter selects tasks for Tasks; zero values select all.
type TaskFilter struct {
	State, Kind string
	Limit       int   // 0: the server's default page
	Before      int64 // only tasks older than this ID (the NextBefore of a page)
}

// Tasks lists tasks, newest first (admin).
func (c *Client) Tasks(ctx context.Context, f TaskFilter) (*wire.TaskList, error) {
	q := url.Values{}
	if f.State != "" {
		q.Set("state", f.State)
	}
	if f.Kind != "" {
		q.Set("kind", f.Kind)
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.Before > 0 {
		q.Set("before", strconv.FormatInt(f.Before, 10))
	}
	path := "/api/tasks"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out wire.TaskList
	return &out, c.call(ctx, http.MethodGet, path, nil, &out)
}

// Task returns one task, with its log (admin).
func (c *Client) Task(ctx context.Context, id int64) (*wire.Task, error) {
	var out wire.Task
	return &out, c.call(ctx, http.MethodGet, "/api/tasks/"+strconv.FormatInt(id, 10), nil, &out)
}

// TaskChange is Task answered once the task's state is not seen, or after wait (a
// server older than this answers at once).
func (c *Client) TaskChange(ctx context.Context, id int64, seen string, wait time.Duration) (*wire.Task, error) {
	var out wire.Task
	q := url.Values{"state": {seen}, "wait": {wait.String()}}
	return &out, c.call(ctx, http.MethodGet, "/api/tasks/"+strconv.FormatInt(id, 10)+"?"+q.Encode(), nil, &out)
}

// CancelTask cancels a task and returns it as it is then (admin).
func (c *Client) CancelTask(ctx context.Context, id int64) (*wire.Task, error) {
	var out wire.Task
	return &out, c.call(ctx, http.MethodPost, "/api/tasks/"+strconv.FormatInt(id, 10)+"/cancel", nil, &out)
}
