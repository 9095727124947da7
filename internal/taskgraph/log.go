package taskgraph

import (
	"fmt"
	"sync"
)

// DefaultLogLimit is how many bytes of a task's log Run keeps unless Graph.LogLimit says
// otherwise: the first half and the last half, with the count of what was dropped between.
const DefaultLogLimit = 64 << 10

// boundedLog keeps the head and the tail of what is written to it. It is safe for
// concurrent use (a command's stdout and stderr may share it).
type boundedLog struct {
	mu      sync.Mutex
	limit   int
	head    []byte
	tail    []byte // a ring of limit-len(head) bytes once head is full
	start   int    // where the oldest tail byte is, once the ring is full
	dropped int64
}

func newBoundedLog(limit int) *boundedLog {
	if limit < 2 {
		limit = 2
	}
	return &boundedLog{limit: limit}
}

func (l *boundedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	headCap := l.limit / 2
	if room := headCap - len(l.head); room > 0 {
		k := min(room, len(p))
		l.head = append(l.head, p[:k]...)
		p = p[k:]
	}
	tailCap := l.limit - headCap
	for len(p) > 0 {
		if len(l.tail) < tailCap {
			k := min(tailCap-len(l.tail), len(p))
			l.tail = append(l.tail, p[:k]...)
			p = p[k:]
			continue
		}
		// The ring is full: only the last tailCap bytes of p can survive.
		if len(p) > tailCap {
			l.dropped += int64(len(p) - tailCap)
			p = p[len(p)-tailCap:]
		}
		for _, b := range p {
			l.tail[l.start] = b
			l.start = (l.start + 1) % tailCap
			l.dropped++
		}
		p = nil
	}
	return n, nil
}

// String is the log kept: head, a line saying how much was dropped, tail.
func (l *boundedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	tail := append(append([]byte{}, l.tail[l.start:]...), l.tail[:l.start]...)
	if l.dropped == 0 {
		return string(l.head) + string(tail)
	}
	return fmt.Sprintf("%s\n[... %d bytes of log dropped ...]\n%s", l.head, l.dropped, tail)
}
