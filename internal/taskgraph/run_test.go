package taskgraph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	keyA = NewKey[int]("a")
	keyB = NewKey[int]("b")
	keyC = NewKey[string]("c")
)

func byName(rs []Result) map[string]Result {
	m := map[string]Result{}
	for _, r := range rs {
		m[r.Name] = r
	}
	return m
}

// The seed's chain: C needs B's data, B needs A's. Declared backwards, they run A, B, C,
// and each sees what the one before it put.
func TestChainCBA(t *testing.T) {
	var got string
	g, err := New(
		Task{Name: "C", Needs: []string{"b"}, Produces: []string{"c"}, Run: func(ctx context.Context, d *Data, log io.Writer) error {
			b, ok := Get(d, keyB)
			if !ok {
				return errors.New("no b")
			}
			Put(d, keyC, fmt.Sprintf("c(%d)", b))
			got, _ = Get(d, keyC)
			fmt.Fprintln(log, "C ran")
			return nil
		}},
		Task{Name: "B", Needs: []string{"a"}, Produces: []string{"b"}, Run: func(ctx context.Context, d *Data, log io.Writer) error {
			a, ok := Get(d, keyA)
			if !ok {
				return errors.New("no a")
			}
			Put(d, keyB, a*10)
			return nil
		}},
		Task{Name: "A", Produces: []string{"a"}, Run: func(ctx context.Context, d *Data, log io.Writer) error {
			Put(d, keyA, 4)
			return nil
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
	rs := g.Run(context.Background(), 4)
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
		if r.Status != Passed || r.Err != nil {
			t.Errorf("%s: %s %v", r.Name, r.Status, r.Err)
		}
	}
	if strings.Join(names, ",") != "A,B,C" {
		t.Errorf("results in order %v, want A,B,C", names)
	}
	if got != "c(40)" {
		t.Errorf("C computed %q, want c(40)", got)
	}
	if c := byName(rs)["C"]; c.Log != "C ran\n" || strings.Join(c.Needs, ",") != "b" || strings.Join(c.Produces, ",") != "c" {
		t.Errorf("C's record: %+v", c)
	}
}

// The seed's fail-and-skip rule: A fails, so B (needs A) and C (needs B) are skipped,
// both naming A; D, which needs nothing of A, still runs.
func TestFailSkipsDependents(t *testing.T) {
	var ranB, ranC, ranD atomic.Bool
	g, err := New(
		Task{Name: "A", Produces: []string{"a"}, Run: func(ctx context.Context, d *Data, log io.Writer) error {
			io.WriteString(log, "trying\n")
			return errors.New("boom")
		}},
		Task{Name: "B", Needs: []string{"a"}, Produces: []string{"b"}, Run: func(context.Context, *Data, io.Writer) error { ranB.Store(true); return nil }},
		Task{Name: "C", Needs: []string{"b"}, Run: func(context.Context, *Data, io.Writer) error { ranC.Store(true); return nil }},
		Task{Name: "D", Run: func(context.Context, *Data, io.Writer) error { ranD.Store(true); return nil }},
	)
	if err != nil {
		t.Fatal(err)
	}
	var done []string
	g.Done = func(r Result) { done = append(done, r.Name+":"+string(r.Status)) }
	rs := byName(g.Run(context.Background(), 2))
	slices.Sort(done)
	if got := strings.Join(done, ","); got != "A:failed,B:skipped,C:skipped,D:passed" {
		t.Errorf("Done saw %s", got)
	}
	if a := rs["A"]; a.Status != Failed || a.Err == nil || a.Err.Error() != "boom" || a.Log != "trying\n" {
		t.Errorf("A: %+v", a)
	}
	for _, n := range []string{"B", "C"} {
		r := rs[n]
		if r.Status != Skipped || r.Cause != "A" || r.Err == nil || !strings.Contains(r.Err.Error(), `"A"`) {
			t.Errorf("%s: status %s cause %q err %v; want skipped naming A", n, r.Status, r.Cause, r.Err)
		}
	}
	if ranB.Load() || ranC.Load() {
		t.Error("a skipped task ran")
	}
	if rs["D"].Status != Passed || !ranD.Load() {
		t.Errorf("D: %+v", rs["D"])
	}
}

// A task needing the data of two failed tasks names both, the earlier one as Cause.
func TestSkipNamesEveryFailedTask(t *testing.T) {
	fail := func(context.Context, *Data, io.Writer) error { return errors.New("no") }
	g, err := New(
		Task{Name: "A", Produces: []string{"a"}, Run: fail},
		Task{Name: "B", Produces: []string{"b"}, Run: fail},
		Task{Name: "M", Needs: []string{"a"}, Produces: []string{"m"}, Run: nop},
		Task{Name: "Z", Needs: []string{"m", "b"}, Run: nop},
	)
	if err != nil {
		t.Fatal(err)
	}
	z := byName(g.Run(context.Background(), 1))["Z"]
	if z.Status != Skipped || z.Cause != "A" || !strings.Contains(z.Err.Error(), `"A", "B"`) {
		t.Fatalf("Z: %s cause %q err %v", z.Status, z.Cause, z.Err)
	}
}

// A task that skips itself after putting its data lets its users run (a wheel's build
// step); one that skips itself without its data skips them, naming it.
func TestSelfSkip(t *testing.T) {
	for _, tc := range []struct {
		name string
		put  bool
		want Status
	}{{"with data", true, Passed}, {"without data", false, Skipped}} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := New(
				Task{Name: "build", Produces: []string{"a"}, Run: func(ctx context.Context, d *Data, log io.Writer) error {
					if tc.put {
						Put(d, keyA, 1)
					}
					return fmt.Errorf("a wheel needs no build: %w", ErrSkip)
				}},
				Task{Name: "install", Needs: []string{"a"}, Run: nop},
			)
			if err != nil {
				t.Fatal(err)
			}
			rs := byName(g.Run(context.Background(), 1))
			if b := rs["build"]; b.Status != Skipped || !errors.Is(b.Err, ErrSkip) || b.Cause != "" {
				t.Errorf("build: %+v", b)
			}
			in := rs["install"]
			if in.Status != tc.want {
				t.Errorf("install: %s, want %s", in.Status, tc.want)
			}
			if tc.want == Skipped && in.Cause != "build" {
				t.Errorf("install skipped naming %q, want build", in.Cause)
			}
		})
	}
}

// Breaking a task's declaration fails it with a message naming the key: reading an
// undeclared key, putting one, returning without a declared product, a panic.
func TestMisuseFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(context.Context, *Data, io.Writer) error
		want string
	}{
		{"reads undeclared", func(ctx context.Context, d *Data, _ io.Writer) error { Get(d, keyC); Put(d, keyB, 1); return nil }, `reads "c", which it does not list in Needs`},
		{"puts undeclared", func(ctx context.Context, d *Data, _ io.Writer) error { Put(d, keyC, "x"); return nil }, `puts "c", which it does not list in Produces`},
		{"wrong type", func(ctx context.Context, d *Data, _ io.Writer) error { Get(d, NewKey[string]("a")); return nil }, `"a" holds a int, not a string`},
		{"no product", func(context.Context, *Data, io.Writer) error { return nil }, `returned without putting "b"`},
		{"panic", func(context.Context, *Data, io.Writer) error { panic("oops") }, `panicked: oops`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := New(
				Task{Name: "A", Produces: []string{"a"}, Run: func(ctx context.Context, d *Data, _ io.Writer) error { Put(d, keyA, 1); return nil }},
				Task{Name: "T", Needs: []string{"a"}, Produces: []string{"b"}, Run: tc.run},
				Task{Name: "U", Needs: []string{"b"}, Run: nop},
			)
			if err != nil {
				t.Fatal(err)
			}
			rs := byName(g.Run(context.Background(), 1))
			if r := rs["T"]; r.Status != Failed || !strings.Contains(r.Err.Error(), tc.want) {
				t.Fatalf("T: %s %v, want failed saying %q", r.Status, r.Err, tc.want)
			}
			if rs["U"].Status != Skipped || rs["U"].Cause != "T" {
				t.Fatalf("U: %+v", rs["U"])
			}
		})
	}
}

// Independent tasks run at once, never more than the bound.
func TestParallelBounded(t *testing.T) {
	for _, bound := range []int{1, 3} {
		t.Run(fmt.Sprint(bound), func(t *testing.T) {
			var mu sync.Mutex
			cur, peak := 0, 0
			gate := make(chan struct{})
			var tasks []Task
			for i := range 8 {
				tasks = append(tasks, Task{Name: fmt.Sprint("t", i), Run: func(ctx context.Context, d *Data, log io.Writer) error {
					mu.Lock()
					cur++
					peak = max(peak, cur)
					reached := cur == bound
					mu.Unlock()
					if reached {
						// The bound is reached: let everyone go on.
						select {
						case <-gate:
						default:
							close(gate)
						}
					}
					select {
					case <-gate:
					case <-time.After(5 * time.Second):
						return errors.New("the bound was never reached: tasks did not run in parallel")
					}
					time.Sleep(2 * time.Millisecond)
					mu.Lock()
					cur--
					mu.Unlock()
					return nil
				}})
			}
			g, err := New(tasks...)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range g.Run(context.Background(), bound) {
				if r.Status != Passed {
					t.Fatalf("%s: %s %v", r.Name, r.Status, r.Err)
				}
			}
			if peak != bound {
				t.Fatalf("at most %d tasks ran at once, want exactly the bound %d", peak, bound)
			}
		})
	}
}

// Cancelling the run stops the running task (through its ctx) and starts nothing more:
// the rest are skipped with the context's error, and Run returns only after the running
// task returned.
func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	var returned, ranNext atomic.Bool
	g, err := New(
		Task{Name: "slow", Produces: []string{"a"}, Run: func(ctx context.Context, d *Data, log io.Writer) error {
			close(started)
			<-ctx.Done()
			time.Sleep(20 * time.Millisecond)
			returned.Store(true)
			return ctx.Err()
		}},
		Task{Name: "later", Needs: []string{"a"}, Run: func(context.Context, *Data, io.Writer) error { ranNext.Store(true); return nil }},
		Task{Name: "other", Run: func(context.Context, *Data, io.Writer) error { ranNext.Store(true); return nil }},
	)
	if err != nil {
		t.Fatal(err)
	}
	go func() { <-started; cancel() }()
	rs := byName(g.Run(ctx, 1))
	if !returned.Load() {
		t.Fatal("Run returned while a task was still running")
	}
	if ranNext.Load() {
		t.Fatal("a task started after the cancel")
	}
	if s := rs["slow"]; s.Status != Failed || !errors.Is(s.Err, context.Canceled) {
		t.Errorf("slow: %+v", s)
	}
	if l := rs["later"]; l.Status != Skipped || l.Cause != "slow" {
		t.Errorf("later: %+v", l)
	}
	if o := rs["other"]; o.Status != Skipped || !errors.Is(o.Err, context.Canceled) || o.Cause != "" {
		t.Errorf("other: %+v", o)
	}
}

// Raw data attached in a task lands in its result; durations are measured.
func TestRawAndDuration(t *testing.T) {
	g, err := New(Task{Name: "trace", Run: func(ctx context.Context, d *Data, log io.Writer) error {
		AddRaw(ctx, Raw{Name: "install.strace", Path: "raw/install.strace"})
		time.Sleep(10 * time.Millisecond)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	r := g.Run(context.Background(), 1)[0]
	if len(r.Raw) != 1 || r.Raw[0].Name != "install.strace" || r.Raw[0].Path != "raw/install.strace" {
		t.Errorf("raw: %+v", r.Raw)
	}
	if r.Duration < 10*time.Millisecond {
		t.Errorf("duration %v, want at least 10ms", r.Duration)
	}
	AddRaw(context.Background(), Raw{Name: "x"}) // outside a task: nothing, no panic
}

// A task's log is bounded by LogLimit.
func TestLogLimit(t *testing.T) {
	g, err := New(Task{Name: "noisy", Run: func(ctx context.Context, d *Data, log io.Writer) error {
		for range 10000 {
			io.WriteString(log, "0123456789")
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	g.LogLimit = 1000
	r := g.Run(context.Background(), 1)[0]
	if len(r.Log) > 1100 || !strings.Contains(r.Log, "bytes of log dropped") {
		t.Fatalf("log of %d bytes kept, limit 1000", len(r.Log))
	}
}

// A task After others waits for them to be over and runs even when they failed; After
// counts for cycles and must name a task.
func TestAfter(t *testing.T) {
	var order []string
	var mu sync.Mutex
	note := func(name string, err error) func(context.Context, *Data, io.Writer) error {
		return func(context.Context, *Data, io.Writer) error {
			time.Sleep(5 * time.Millisecond)
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			return err
		}
	}
	g, err := New(
		Task{Name: "report", After: []string{"build", "install"}, Run: note("report", nil)},
		Task{Name: "build", Produces: []string{"a"}, Run: note("build", errors.New("syntax error"))},
		Task{Name: "install", Needs: []string{"a"}, Run: note("install", nil)},
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(g.Tasks(), ","); got != "build,install,report" {
		t.Fatalf("order %s", got)
	}
	rs := byName(g.Run(context.Background(), 3))
	if rs["install"].Status != Skipped || rs["report"].Status != Passed {
		t.Fatalf("install %s, report %s; want skipped, passed", rs["install"].Status, rs["report"].Status)
	}
	if strings.Join(order, ",") != "build,report" {
		t.Fatalf("ran %v, want build then report", order)
	}
	if _, err := New(Task{Name: "a", After: []string{"ghost"}, Run: nop}); err == nil || !strings.Contains(err.Error(), `"ghost", which is not a task`) {
		t.Fatalf("After an unknown task: %v", err)
	}
	_, err = New(
		Task{Name: "a", After: []string{"b"}, Produces: []string{"a"}, Run: nop},
		Task{Name: "b", Needs: []string{"a"}, Run: nop},
	)
	if err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("a cycle through After: %v", err)
	}
}
