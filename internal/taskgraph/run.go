package taskgraph

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
)

type rawKey struct{}

// rawList collects the raw data a running task attaches.
type rawList struct {
	mu  sync.Mutex
	raw []Raw
}

// AddRaw attaches a piece of raw data to the task whose ctx this is (the ctx its Run
// was given). Outside a task it does nothing.
func AddRaw(ctx context.Context, r Raw) {
	if l, ok := ctx.Value(rawKey{}).(*rawList); ok {
		l.mu.Lock()
		l.raw = append(l.raw, r)
		l.mu.Unlock()
	}
}

// Run runs the graph's tasks with at most parallel of them at once (at least one) and
// returns one Result per task, in run order (Tasks). A task starts once every task whose
// data it needs has passed, or skipped itself having put its data, and every task of its
// After is over, whatever its status. When a task fails,
// or skips itself without its data, the tasks that need that data (and theirs, and so
// on) are skipped with Cause naming it. When ctx ends, no further task starts: those left
// are skipped with ctx's error, and Run returns once the running ones have returned.
// Run never leaves a task running.
func (g *Graph) Run(ctx context.Context, parallel int) []Result {
	parallel = max(parallel, 1)
	limit := g.LogLimit
	if limit <= 0 {
		limit = DefaultLogLimit
	}
	n := len(g.tasks)
	data := NewData()
	results := make([]Result, n)
	for i, t := range g.tasks {
		results[i] = Result{Name: t.Name, Needs: slices.Clone(t.Needs), Produces: slices.Clone(t.Produces)}
	}
	waiting := make([]int, n)     // deps not yet finished
	causes := make([][]string, n) // failed tasks upstream
	for i := range g.tasks {
		waiting[i] = len(g.deps[i]) + len(g.after[i])
	}
	var ready []int // positions, kept sorted so tasks start in run order
	for i := range g.tasks {
		if waiting[i] == 0 {
			ready = append(ready, i)
		}
	}
	finished := make([]bool, n)
	// release counts task u's wait for one more task as over, and starts or skips it
	// once it waits for nothing more.
	var finish func(i int)
	release := func(u int) {
		waiting[u]--
		if waiting[u] > 0 {
			return
		}
		if len(causes[u]) > 0 {
			slices.SortFunc(causes[u], func(a, b string) int { return g.pos(a) - g.pos(b) })
			results[u].Status = Skipped
			results[u].Cause = causes[u][0]
			results[u].Err = fmt.Errorf("skipped: needs the data of %s, which did not pass", quoteAll(causes[u]))
			finish(u)
			return
		}
		at, _ := slices.BinarySearch(ready, u)
		ready = slices.Insert(ready, at, u)
	}
	// finish records that task i is over and passes on what its users need to know.
	finish = func(i int) {
		finished[i] = true
		r := &results[i]
		if g.Done != nil {
			g.Done(*r)
		}
		var blame []string
		switch {
		case r.Status == Failed:
			blame = []string{r.Name}
		case r.Status == Skipped && len(causes[i]) > 0:
			blame = causes[i]
		case r.Status == Skipped && r.Cause == "" && !g.produced(data, i):
			blame = []string{r.Name}
		}
		for _, u := range g.users[i] {
			for _, b := range blame {
				if !slices.Contains(causes[u], b) {
					causes[u] = append(causes[u], b)
				}
			}
			release(u)
		}
		for _, u := range g.later[i] {
			release(u)
		}
	}

	done := make(chan int)
	running := 0
	for {
		for running < parallel && len(ready) > 0 && ctx.Err() == nil {
			i := ready[0]
			ready = ready[1:]
			running++
			go func() {
				g.runOne(ctx, data, i, &results[i], limit)
				done <- i
			}()
		}
		if running == 0 {
			break
		}
		i := <-done
		running--
		finish(i)
	}
	for i := range results {
		if !finished[i] {
			results[i].Status = Skipped
			results[i].Err = fmt.Errorf("skipped: %w", context.Cause(ctx))
			if g.Done != nil {
				g.Done(results[i])
			}
		}
	}
	return results
}

// runOne runs task i, filling r (which no one else touches meanwhile).
func (g *Graph) runOne(ctx context.Context, data *Data, i int, r *Result, limit int) {
	t := &g.tasks[i]
	log := newBoundedLog(limit)
	raw := &rawList{}
	tctx := context.WithValue(ctx, rawKey{}, raw)
	start := time.Now()
	err := call(tctx, t, data.view(t), log)
	r.Duration = time.Since(start)
	if err == nil {
		for _, k := range t.Produces {
			if !data.has(k) {
				err = fmt.Errorf("task %q returned without putting %q", t.Name, k)
				break
			}
		}
	}
	switch {
	case err == nil:
		r.Status = Passed
	case errors.Is(err, ErrSkip):
		r.Status = Skipped
		r.Err = err
	default:
		r.Status = Failed
		r.Err = err
	}
	r.Log = log.String()
	raw.mu.Lock()
	r.Raw = raw.raw
	raw.mu.Unlock()
}

// call runs the task, turning a panic into its error (with the stack in its log, unless
// the panic is a declaration misuse, which names itself).
func call(ctx context.Context, t *Task, d *Data, log *boundedLog) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if m, ok := v.(misuse); ok {
				err = errors.New(m.msg)
				return
			}
			fmt.Fprintf(log, "\npanic: %v\n%s", v, debug.Stack())
			err = fmt.Errorf("task %q panicked: %v", t.Name, v)
		}
	}()
	return t.Run(ctx, d, log)
}

// produced reports whether task i put every key it declares.
func (g *Graph) produced(d *Data, i int) bool {
	for _, k := range g.tasks[i].Produces {
		if !d.has(k) {
			return false
		}
	}
	return true
}

// pos is the run-order position of the named task.
func (g *Graph) pos(name string) int {
	return slices.IndexFunc(g.tasks, func(t Task) bool { return t.Name == name })
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
