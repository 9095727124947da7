package sandbox

import (
	"io"
	"sync"
)

// budget is the output allowance that stdout and stderr share.
type budget struct {
	mu      sync.Mutex
	left    int64
	dropped int64
}

// capped writes to w while the budget lasts; the rest is dropped and counted. It never
// fails, so the command's pipe never blocks on a full budget.
type capped struct {
	b *budget
	w io.Writer
}

func (c capped) Write(p []byte) (int, error) {
	c.b.mu.Lock()
	keep := int64(len(p))
	if keep > c.b.left {
		keep = c.b.left
	}
	c.b.left -= keep
	c.b.dropped += int64(len(p)) - keep
	c.b.mu.Unlock()
	if keep > 0 && c.w != nil {
		_, _ = c.w.Write(p[:keep]) // a failing writer of the caller does not stop the command
	}
	return len(p), nil
}

func (b *budget) droppedBytes() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}
