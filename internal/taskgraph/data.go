package taskgraph

import (
	"fmt"
	"sync"
)

// Key names one piece of data of type T. Two keys of one name must have one type.
type Key[T any] struct{ name string }

// NewKey returns the key of that name.
func NewKey[T any](name string) Key[T] { return Key[T]{name: name} }

// Name is the key's name, as Task.Needs and Task.Produces list it.
func (k Key[T]) Name() string { return k.name }

// store is the data of one run, shared by every task's view.
type store struct {
	mu sync.RWMutex
	m  map[string]any
}

// Data is the data tasks exchange. It is safe for concurrent use. A task's Data is a view
// that lets it read only what it needs or produces and write only what it produces.
type Data struct {
	s *store
	// task is the task this view is for; "" for an unrestricted view.
	task   string
	reads  map[string]bool
	writes map[string]bool
}

// NewData returns an empty, unrestricted Data (for tests of a task's Run on its own).
func NewData() *Data { return &Data{s: &store{m: map[string]any{}}} }

// view returns the restricted Data of task t over the same store.
func (d *Data) view(t *Task) *Data {
	v := &Data{s: d.s, task: t.Name, reads: map[string]bool{}, writes: map[string]bool{}}
	for _, n := range t.Needs {
		v.reads[n] = true
	}
	for _, n := range t.Produces {
		v.reads[n] = true
		v.writes[n] = true
	}
	return v
}

// misuse is the panic value of a task breaking its declaration; Run turns it into the
// task's failure.
type misuse struct{ msg string }

// Get returns the value under k and whether there is one. It panics (failing the task)
// when the task did not declare k, or when the value stored has another type.
func Get[T any](d *Data, k Key[T]) (T, bool) {
	var zero T
	if d.task != "" && !d.reads[k.name] {
		panic(misuse{fmt.Sprintf("task %q reads %q, which it does not list in Needs", d.task, k.name)})
	}
	d.s.mu.RLock()
	v, ok := d.s.m[k.name]
	d.s.mu.RUnlock()
	if !ok {
		return zero, false
	}
	t, ok := v.(T)
	if !ok {
		panic(misuse{fmt.Sprintf("key %q holds a %T, not a %T", k.name, v, zero)})
	}
	return t, true
}

// Put stores v under k. It panics (failing the task) when the task does not list k in
// Produces.
func Put[T any](d *Data, k Key[T], v T) {
	if d.task != "" && !d.writes[k.name] {
		panic(misuse{fmt.Sprintf("task %q puts %q, which it does not list in Produces", d.task, k.name)})
	}
	d.s.mu.Lock()
	d.s.m[k.name] = v
	d.s.mu.Unlock()
}

// has reports whether a value is stored under the key name.
func (d *Data) has(name string) bool {
	d.s.mu.RLock()
	defer d.s.mu.RUnlock()
	_, ok := d.s.m[name]
	return ok
}
