package taskgraph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Task is one step: the data it needs, the data it produces, and what it does.
type Task struct {
	Name string
	// Needs and Produces are key names (Key.Name).
	Needs    []string
	Produces []string
	// After names tasks this one runs after, whatever became of them: an order without
	// data (a report of traces that must wait for the traced steps, failed or not). A
	// failed task in After does not skip this one.
	After []string
	// Run does the work. It reads its needs from d and puts its products there, and
	// writes its log to log (Run keeps a bounded copy). Returning an error fails the
	// task; an error wrapping ErrSkip marks it skipped instead.
	Run func(ctx context.Context, d *Data, log io.Writer) error
}

// Status is what became of a task.
type Status string

// The statuses.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// ErrSkip is what a task returns (wrapped, with its reason) to mark itself skipped
// rather than failed.
var ErrSkip = errors.New("skipped")

// Raw is a piece of raw data a task kept (a trace file, a full log), by name and where it
// is; AddRaw attaches it to the running task's Result.
type Raw struct {
	Name string
	Path string
}

// Result is the record of one task of a run.
type Result struct {
	Name     string
	Status   Status
	Duration time.Duration
	// Log is the task's bounded log.
	Log string
	// Err is why the task failed or was skipped; nil when it passed.
	Err error
	// Cause names the failed (or self-skipped, data-less) task this one was skipped for;
	// "" when it ran, or was skipped because the run was cancelled.
	Cause    string
	Needs    []string
	Produces []string
	Raw      []Raw
}

// Graph is a checked set of tasks, ready to run (any number of times).
type Graph struct {
	// LogLimit bounds each task's kept log in bytes; 0 means DefaultLogLimit.
	LogLimit int
	// Done, when set, is called with each task's result as soon as the task is over
	// (passed, failed or skipped), one call at a time, from Run's goroutine: progress.
	Done func(Result)

	tasks []Task // in run order: a stable topological order (declaration order on ties)
	// deps[i] are the positions of the tasks whose data task i needs; users[i] the
	// positions of the tasks that need task i's data.
	deps, users [][]int
	// after[i] are the positions of the tasks named in task i's After; later[i] those
	// whose After names task i.
	after, later [][]int
}

// New checks the tasks and orders them by their data. It refuses tasks without a name or
// Run, two tasks of one name, a key with two producers, a need nothing produces, and a
// cycle, naming what is wrong.
func New(tasks ...Task) (*Graph, error) {
	byName := map[string]int{}
	producer := map[string]int{}
	for i, t := range tasks {
		if t.Name == "" {
			return nil, fmt.Errorf("taskgraph: task %d has no name", i)
		}
		if t.Run == nil {
			return nil, fmt.Errorf("taskgraph: task %q has no Run", t.Name)
		}
		if _, dup := byName[t.Name]; dup {
			return nil, fmt.Errorf("taskgraph: two tasks are named %q", t.Name)
		}
		byName[t.Name] = i
		for _, k := range t.Produces {
			if p, dup := producer[k]; dup {
				if p == i {
					return nil, fmt.Errorf("taskgraph: task %q lists %q twice in Produces", t.Name, k)
				}
				return nil, fmt.Errorf("taskgraph: %q is produced by both %q and %q", k, tasks[p].Name, t.Name)
			}
			producer[k] = i
		}
	}
	n := len(tasks)
	deps := make([][]int, n)
	for i, t := range tasks {
		for _, k := range t.Needs {
			p, ok := producer[k]
			if !ok {
				return nil, fmt.Errorf("taskgraph: task %q needs %q, which no task produces", t.Name, k)
			}
			if !slices.Contains(deps[i], p) {
				deps[i] = append(deps[i], p)
			}
		}
	}
	after := make([][]int, n)
	for i, t := range tasks {
		for _, name := range t.After {
			a, ok := byName[name]
			if !ok {
				return nil, fmt.Errorf("taskgraph: task %q runs after %q, which is not a task", t.Name, name)
			}
			if !slices.Contains(after[i], a) {
				after[i] = append(after[i], a)
			}
		}
	}
	edges := make([][]int, n) // every task i must wait for
	for i := range tasks {
		edges[i] = slices.Clone(deps[i])
		for _, a := range after[i] {
			if !slices.Contains(edges[i], a) {
				edges[i] = append(edges[i], a)
			}
		}
	}
	order, err := topoOrder(tasks, edges)
	if err != nil {
		return nil, err
	}
	// Renumber by run order.
	pos := make([]int, n)
	for p, i := range order {
		pos[i] = p
	}
	g := &Graph{tasks: make([]Task, n), deps: make([][]int, n), users: make([][]int, n),
		after: make([][]int, n), later: make([][]int, n)}
	for p, i := range order {
		g.tasks[p] = tasks[i]
		for _, d := range deps[i] {
			g.deps[p] = append(g.deps[p], pos[d])
			g.users[pos[d]] = append(g.users[pos[d]], p)
		}
		for _, a := range after[i] {
			if slices.Contains(deps[i], a) {
				continue // already waited for through its data
			}
			g.after[p] = append(g.after[p], pos[a])
			g.later[pos[a]] = append(g.later[pos[a]], p)
		}
	}
	for p := range g.users {
		slices.Sort(g.users[p])
		slices.Sort(g.deps[p])
		slices.Sort(g.later[p])
	}
	return g, nil
}

// topoOrder is Kahn's algorithm taking, among the ready tasks, the one declared first; a
// cycle is an error naming it.
func topoOrder(tasks []Task, deps [][]int) ([]int, error) {
	n := len(tasks)
	indeg := make([]int, n)
	users := make([][]int, n)
	for i := range deps {
		indeg[i] = len(deps[i])
		for _, d := range deps[i] {
			users[d] = append(users[d], i)
		}
	}
	var order []int
	done := make([]bool, n)
	for len(order) < n {
		next := -1
		for i := 0; i < n; i++ {
			if !done[i] && indeg[i] == 0 {
				next = i
				break
			}
		}
		if next < 0 {
			return nil, fmt.Errorf("taskgraph: cycle: %s", cycle(tasks, deps, done))
		}
		done[next] = true
		order = append(order, next)
		for _, u := range users[next] {
			indeg[u]--
		}
	}
	return order, nil
}

// cycle names one cycle among the tasks not done ("a -> b -> a"). Every such task has a
// need (or an After) among them, so walking needs from any of them must come back to a task seen.
func cycle(tasks []Task, deps [][]int, done []bool) string {
	start := slices.Index(done, false)
	seen := map[int]int{} // task -> position in path
	var path []int
	for i := start; ; {
		if at, ok := seen[i]; ok {
			path = append(path[at:], i)
			break
		}
		seen[i] = len(path)
		path = append(path, i)
		for _, d := range deps[i] {
			if !done[d] {
				i = d
				break
			}
		}
	}
	// path runs along needs (a needs b); print it the way the data flows.
	names := make([]string, len(path))
	for j, i := range path {
		names[len(path)-1-j] = tasks[i].Name
	}
	return strings.Join(names, " -> ")
}

// Tasks returns the task names in run order.
func (g *Graph) Tasks() []string {
	names := make([]string, len(g.tasks))
	for i, t := range g.tasks {
		names[i] = t.Name
	}
	return names
}
