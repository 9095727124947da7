// Package taskgraph is a small execution manager: a set of tasks, each declaring the data
// it needs and the data it produces, run in the order that data implies.
//
// Tasks exchange data through typed keys (Key[T]) in one concurrency-safe Data. New
// refuses a graph with a cycle, with a need that no task produces, with two producers of
// one key, or with two tasks of one name. Run starts every task whose needs are met, up
// to a bound of tasks at once, and records for each its status (passed, failed,
// skipped), duration, bounded log and any raw data it attached (AddRaw).
//
// A task may also name tasks it runs After, without needing their data: it waits for them
// to be over but is not skipped when they fail (a report on the traces of steps that may
// fail).
//
// When a task fails, every task that needs its data, directly or through other tasks, is
// skipped and names the failed task as its cause. A task may also skip itself by
// returning an error wrapping ErrSkip: if it still put all the data it declares, the
// tasks after it run; otherwise they are skipped naming it. A task may read only the
// keys it needs (or produces) and put only the keys it produces; breaking that is a
// programming error and fails the task with a message naming the key.
//
// The package knows nothing of checks; internal/checkrun builds a check's steps on it.
package taskgraph
