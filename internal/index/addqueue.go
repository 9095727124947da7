package index

import (
	"context"
	"errors"
	"fmt"

	"github.com/pydepot/pydepot/internal/metastore"
)

// The adds of new files of a batch are checked one by one, as ever, but written
// together: each is queued once its rules hold, and the queue goes to the store in one
// AddFiles (and one PutParsedMetadataBatch), a few multi-row statements, where writing
// each add was five statements of its own (most of a sync's write transaction).
//
// The rules of the adds after a queued one must see it as written. The read ahead
// (readahead.go) follows the queued adds as it followed the written ones; any read of
// the repository itself that an add or another change makes (a filename the read ahead
// does not know, a release beyond it, a remove, a yank, a status, the next read ahead)
// comes after a flush of the queue, as does the end of the batch. The queue is also
// flushed when it holds metastore.MaxBatch adds. An add's result is made when it is
// queued: it holds nothing the write decides (the row's ID is not in it).

// queuedAdd is an add checked and not yet written: change is its index in the batch.
type queuedAdd struct {
	change int
	row    metastore.File
	parsed []byte
}

// flushError is the failure of a queue's write: it fails the batch, never an add alone
// (an add a rule refuses is refused before it is queued).
type flushError struct{ err error }

func (e *flushError) Error() string { return e.err.Error() }
func (e *flushError) Unwrap() error { return e.err }

func isFlushError(err error) bool {
	var fe *flushError
	return errors.As(err, &fe)
}

// queues reports whether the batch queues its adds: a batch of one change (an upload)
// writes its add at once, as does a Service whose addBatch is 1.
func (b *batch) queues() bool {
	return len(b.changes) > 1 && b.s.addBatch != 1
}

// queue adds row (with its parsed metadata) to the queue, and writes the queue when it
// is full.
func (b *batch) queue(ctx context.Context, i int, row *metastore.File, parsed []byte) error {
	if b.queued == nil {
		b.queued = make([]queuedAdd, 0, min(len(b.changes)-i, b.queueMax()))
	}
	b.queued = append(b.queued, queuedAdd{change: i, row: *row, parsed: parsed})
	if len(b.queued) >= b.queueMax() {
		return b.flush(ctx)
	}
	return nil
}

func (b *batch) queueMax() int {
	if n := b.s.addBatch; n > 1 && n < metastore.MaxBatch {
		return n
	}
	return metastore.MaxBatch
}

// flush writes the queued adds; the queue is empty after.
func (b *batch) flush(ctx context.Context) error {
	if len(b.queued) == 0 {
		return nil
	}
	q := b.queued
	b.queued = b.queued[:0]
	rows := b.rows[:0]
	var parsed []metastore.ParsedMetadata
	for k := range q {
		a := &q[k]
		rows = append(rows, &a.row)
		if a.row.MetadataSHA256 != "" && len(a.parsed) > 0 {
			if parsed == nil {
				parsed = b.parsed[:0]
			}
			parsed = append(parsed, metastore.ParsedMetadata{SHA256: a.row.MetadataSHA256, Parsed: a.parsed})
		}
	}
	b.rows, b.parsed = rows, parsed
	what := func() string {
		if len(q) == 1 {
			return fmt.Sprintf("change %d (%s)", q[0].change+1, q[0].row.Filename)
		}
		return fmt.Sprintf("changes %d to %d (%s to %s)", q[0].change+1, q[len(q)-1].change+1, q[0].row.Filename, q[len(q)-1].row.Filename)
	}
	if err := b.tx.AddFiles(ctx, rows, b.n); err != nil {
		return &flushError{fmt.Errorf("adding the files of %s: %w", what(), err)}
	}
	if err := b.tx.PutParsedMetadataBatch(ctx, parsed); err != nil {
		return &flushError{fmt.Errorf("storing the metadata of %s: %w", what(), err)}
	}
	clear(rows) // the rows of the queue, reused by the next adds
	for k := range parsed {
		parsed[k] = metastore.ParsedMetadata{}
	}
	return nil
}

// changeError is err of the change at index i, for a batch of n changes: a failed write
// of the queue names its own changes.
func changeError(i, n int, err error) error {
	if n <= 1 || isFlushError(err) {
		return err
	}
	return fmt.Errorf("change %d: %w", i+1, err)
}
