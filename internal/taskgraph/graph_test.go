package taskgraph

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
)

func nop(context.Context, *Data, io.Writer) error { return nil }

func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tasks []Task
		want  string
	}{
		{"no name", []Task{{Run: nop}}, "has no name"},
		{"no run", []Task{{Name: "a"}}, `"a" has no Run`},
		{"duplicate names", []Task{{Name: "a", Run: nop}, {Name: "a", Run: nop}}, `two tasks are named "a"`},
		{"two producers", []Task{
			{Name: "a", Produces: []string{"k"}, Run: nop},
			{Name: "b", Produces: []string{"k"}, Run: nop},
		}, `"k" is produced by both "a" and "b"`},
		{"produces twice", []Task{{Name: "a", Produces: []string{"k", "k"}, Run: nop}}, `lists "k" twice`},
		{"unproduced need", []Task{{Name: "a", Needs: []string{"ghost"}, Run: nop}}, `"a" needs "ghost", which no task produces`},
		{"self cycle", []Task{{Name: "a", Needs: []string{"k"}, Produces: []string{"k"}, Run: nop}}, "cycle: a -> a"},
		{"cycle", []Task{
			{Name: "root", Produces: []string{"r"}, Run: nop},
			{Name: "a", Needs: []string{"r", "c"}, Produces: []string{"a"}, Run: nop},
			{Name: "b", Needs: []string{"a"}, Produces: []string{"b"}, Run: nop},
			{Name: "c", Needs: []string{"b"}, Produces: []string{"c"}, Run: nop},
		}, "cycle: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := New(tc.tasks...)
			if err == nil {
				t.Fatalf("New accepted it: %v", g.Tasks())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

// The cycle error names the tasks of the cycle, in the direction the data flows, and
// not the task outside it.
func TestNewNamesCycle(t *testing.T) {
	_, err := New(
		Task{Name: "root", Produces: []string{"r"}, Run: nop},
		Task{Name: "a", Needs: []string{"r", "c"}, Produces: []string{"a"}, Run: nop},
		Task{Name: "b", Needs: []string{"a"}, Produces: []string{"b"}, Run: nop},
		Task{Name: "c", Needs: []string{"b"}, Produces: []string{"c"}, Run: nop},
	)
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	rotations := []string{"a -> b -> c -> a", "b -> c -> a -> b", "c -> a -> b -> c"}
	if !slices.ContainsFunc(rotations, func(r string) bool { return strings.HasSuffix(msg, "cycle: "+r) }) {
		t.Errorf("%q does not name the cycle a -> b -> c -> a", msg)
	}
	if strings.Contains(msg, "root") {
		t.Errorf("%q names a task outside the cycle", msg)
	}
}

// Tasks are ordered by their data, not by how they were declared; among tasks ready at
// once the one declared first comes first.
func TestOrderByData(t *testing.T) {
	g, err := New(
		Task{Name: "C", Needs: []string{"b"}, Produces: []string{"c"}, Run: nop},
		Task{Name: "B", Needs: []string{"a"}, Produces: []string{"b"}, Run: nop},
		Task{Name: "X", Run: nop},
		Task{Name: "A", Produces: []string{"a"}, Run: nop},
	)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(g.Tasks(), ","), "X,A,B,C"; got != want {
		t.Fatalf("order %s, want %s", got, want)
	}
}

func TestBoundedLog(t *testing.T) {
	l := newBoundedLog(10)
	io.WriteString(l, "01234")
	io.WriteString(l, "abc")
	if got := l.String(); got != "01234abc" {
		t.Fatalf("under the limit: %q", got)
	}
	io.WriteString(l, "defgh")
	io.WriteString(l, strings.Repeat("x", 1000)+"VWXYZ")
	got := l.String()
	if !strings.HasPrefix(got, "01234\n") || !strings.HasSuffix(got, "\nVWXYZ") {
		t.Fatalf("head and tail not kept: %q", got)
	}
	// 5 head + 5 tail kept of 5+3+5+1005 written.
	if !strings.Contains(got, "[... 1008 bytes of log dropped ...]") {
		t.Fatalf("dropped count wrong: %q", got)
	}
}
