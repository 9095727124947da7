package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/pydepot/pydepot/internal/client"
	"github.com/pydepot/pydepot/internal/server/wire"
)

// Following a task.
const (
	// A task is asked for after followFirstPoll, then at intervals growing by half up to
	// followPoll: a short task (a re-sync with nothing new) ends as soon as it is done,
	// not on the next half second, and a long one costs the server two asks a second.
	followFirstPoll = 25 * time.Millisecond
	followPoll      = 500 * time.Millisecond
	// followOutage is how long FollowTask keeps asking a server that does not answer (a
	// restart: the task survives it) before giving up.
	followOutage = 2 * time.Minute
	// plainEvery spaces out the plain progress lines.
	plainEvery = 5 * time.Second
)

// Exit statuses of FollowTask's *ExitError.
const (
	ExitTaskFailed   = 1
	ExitTaskCanceled = 2
	ExitInterrupted  = 130 // Ctrl-C: the task goes on
)

// FollowTask follows task id on the server until it ends, on env.Stderr: a progress
// bar when that is a terminal, plain lines otherwise (a state change, the progress at
// most every 5 s), and the task's new log lines in both. It returns the task as it
// ended. A failed task gives an *ExitError with ExitTaskFailed, a canceled one
// ExitTaskCanceled, both naming the task and its error. When ctx ends (Ctrl-C) it stops
// following without canceling the task, says so, and returns an *ExitError with
// ExitInterrupted. A server that stops answering (a restart) is asked again for up to
// two minutes; a refusal (404, 401, 403) ends at once.
func FollowTask(ctx context.Context, env Env, c *client.Client, id int64) (*wire.Task, error) {
	var v followView = &plainView{w: env.Stderr, id: id}
	if f, ok := env.Stderr.(*os.File); ok && env.Getenv("TERM") != "dumb" && term.IsTerminal(int(f.Fd())) {
		v = newBarView(f, id)
	}
	var seen int64 // log lines seen so far, dropped ones included
	var failingSince time.Time
	poll := followFirstPoll
	seenState := ""
	for {
		// After the first answer the server is asked to hold the answer until the task
		// leaves the state seen, up to poll: the end is learnt at once, not on the next
		// poll (half of a quick sync's last second).
		asked := time.Now()
		var t *wire.Task
		var err error
		if seenState == "" {
			t, err = c.Task(ctx, id)
		} else {
			t, err = c.TaskChange(ctx, id, seenState, poll)
		}
		if ctx.Err() != nil {
			v.stop()
			fmt.Fprintf(env.Stderr, "stopped following task %d; it goes on on the server ('pydepot task show %d', 'pydepot task cancel %d')\n", id, id, id)
			return nil, &ExitError{Code: ExitInterrupted}
		}
		var ce *client.Error
		switch {
		case errors.As(err, &ce) && ce.Status < 500:
			v.stop()
			return nil, err
		case err != nil:
			if failingSince.IsZero() {
				failingSince = time.Now()
				v.note(fmt.Sprintf("the server does not answer (%v); asking again", err))
			} else if time.Since(failingSince) > followOutage {
				v.stop()
				return nil, fmt.Errorf("following task %d: no answer for %s: %w", id, followOutage, err)
			}
		default:
			if !failingSince.IsZero() {
				failingSince = time.Time{}
				v.note("the server answers again")
			}
			total := t.LogDropped + int64(len(t.Log))
			if fresh := total - seen; fresh > 0 {
				if fresh > int64(len(t.Log)) {
					v.note(fmt.Sprintf("[%d log lines went by unseen]", fresh-int64(len(t.Log))))
					fresh = int64(len(t.Log))
				}
				v.lines(t.Log[int64(len(t.Log))-fresh:])
			}
			seen = total
			v.update(t)
			if wire.TaskDone(t.State) {
				v.stop()
				return t, taskOutcome(t)
			}
		}
		// What is left of poll: all of it after an error or the first answer, none when
		// the server held the answer (a server that does not hold it answers at once).
		changed := err == nil && seenState != "" && t.State != seenState
		if err == nil {
			seenState = t.State
		} else {
			seenState = ""
		}
		if rest := poll - time.Since(asked); rest > 0 && !changed {
			select {
			case <-ctx.Done():
			case <-time.After(rest):
			}
		}
		poll = nextPoll(poll)
	}
}

// nextPoll is the wait after one of d: half as long again, at most followPoll.
func nextPoll(d time.Duration) time.Duration { return min(d*3/2, followPoll) }

// taskOutcome is nil for a completed task and an *ExitError for a failed or canceled one.
func taskOutcome(t *wire.Task) error {
	switch t.State {
	case "failed":
		return &ExitError{Code: ExitTaskFailed, Err: fmt.Errorf("task %d (%s) failed: %s", t.ID, t.Kind, t.Error)}
	case "canceled":
		return &ExitError{Code: ExitTaskCanceled, Err: fmt.Errorf("task %d (%s) was canceled", t.ID, t.Kind)}
	}
	return nil
}

// followView shows a followed task.
type followView interface {
	lines(ls []string) // new log lines
	note(s string)     // a remark of the follower
	update(t *wire.Task)
	stop()
}

// plainView prints lines: for a log, a pipe, CI.
type plainView struct {
	w         io.Writer
	id        int64
	state     string
	progress  wire.TaskProgress
	lastPrint time.Time
}

func (p *plainView) lines(ls []string) {
	for _, l := range ls {
		fmt.Fprintf(p.w, "task %d: %s\n", p.id, l)
	}
}

func (p *plainView) note(s string) { fmt.Fprintf(p.w, "task %d: %s\n", p.id, s) }

func (p *plainView) update(t *wire.Task) {
	changed := t.State != p.state
	if !changed && (t.Progress == p.progress || time.Since(p.lastPrint) < plainEvery) {
		return
	}
	line := fmt.Sprintf("task %d (%s): %s", t.ID, t.Kind, t.State)
	if t.Attempt > 1 && changed && t.State == "running" {
		line += fmt.Sprintf(" (attempt %d)", t.Attempt)
	}
	if pt := progressText(t.Progress); pt != "" {
		line += ", " + pt
	}
	fmt.Fprintln(p.w, line)
	p.state, p.progress, p.lastPrint = t.State, t.Progress, time.Now()
}

func (p *plainView) stop() {}

// barView draws a progress bar on a terminal: of the bytes when their total is known,
// else of the items, else a spinner; log lines print above it.
type barView struct {
	w   io.Writer
	id  int64
	bar *progressbar.ProgressBar
	max int64
}

func newBarView(w io.Writer, id int64) *barView {
	return &barView{w: w, id: id, bar: newBar(w, -1, false), max: -1}
}

func newBar(w io.Writer, max int64, bytes bool) *progressbar.ProgressBar {
	return progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowBytes(bytes),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSpinnerType(14),
		// No spinner goroutine: it would draw until the bar is finished, which a bar
		// replaced when a total becomes known never is. Each poll turns it instead.
		progressbar.OptionSetSpinnerChangeInterval(0),
		progressbar.OptionFullWidth(),
		progressbar.OptionClearOnFinish(),
	)
}

func (b *barView) lines(ls []string) {
	_ = b.bar.Clear()
	for _, l := range ls {
		fmt.Fprintf(b.w, "%s\n", l)
	}
	_ = b.bar.RenderBlank()
}

func (b *barView) note(s string) { b.lines([]string{s}) }

func (b *barView) update(t *wire.Task) {
	p := t.Progress
	done, total, bytes := p.DoneItems, p.TotalItems, false
	if p.TotalBytes > 0 {
		done, total, bytes = p.DoneBytes, p.TotalBytes, true
	}
	if total <= 0 {
		total = -1
	}
	if total != b.max {
		// A total that became known (or changed kind) needs a bar of that kind.
		_ = b.bar.Clear()
		_ = b.bar.Exit()
		b.bar = newBar(b.w, total, bytes)
		b.max = total
	}
	desc := fmt.Sprintf("task %d %s %s", t.ID, t.Kind, t.State)
	if bytes && p.TotalItems > 0 {
		desc += fmt.Sprintf(" (%d/%d items)", p.DoneItems, p.TotalItems)
	}
	b.bar.Describe(desc)
	_ = b.bar.Set64(done)
	if wire.TaskDone(t.State) {
		// The bar goes; a line says how the task ended.
		_ = b.bar.Clear()
		_ = b.bar.Exit()
		line := fmt.Sprintf("task %d (%s): %s", t.ID, t.Kind, t.State)
		if pt := progressText(p); pt != "" {
			line += ", " + pt
		}
		fmt.Fprintln(b.w, line)
	}
}

func (b *barView) stop() {
	_ = b.bar.Clear()
	_ = b.bar.Exit()
}
