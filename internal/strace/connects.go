package strace

import (
	"sort"
	"strings"
)

// Connect is one connect(2) and its outcome.
type Connect struct {
	PID   int
	Line  int    // the connect's line
	Proto string // from the fd's annotation: "TCP", "UDP", "UNIX-STREAM", ...
	Addr  Addr
	// Result is "" when the connection was made, the errno when it failed, and
	// "EINPROGRESS" for a non-blocking connect whose outcome never showed.
	Result string
}

// Connects pairs non-blocking connects (`= -1 EINPROGRESS`) with the
// getsockopt(SO_ERROR) that later gives their outcome. Feed it every event in order.
type Connects struct {
	pending map[connKey]*Connect
}

// connKey names a socket: by its inode when the annotation gives one (unique in the
// system, whatever process or thread holds the fd), else by pid and fd.
type connKey struct {
	inode uint64
	pid   int
	fd    int
}

func keyOf(e *Event) connKey {
	a := e.Arg(0)
	if so, ok := ParseSocket(a.Path); ok && so.Inode != 0 {
		return connKey{inode: so.Inode}
	}
	return connKey{pid: e.PID, fd: a.FD()}
}

// maxPendingConnects bounds the connects held waiting for their outcome.
const maxPendingConnects = 4096

// Observe takes the next event; it returns a connect whose outcome is known (at once,
// or at the getsockopt that gives it), else nil.
func (c *Connects) Observe(e *Event) *Connect {
	switch e.Name {
	case "connect":
		addr, _ := SockAddr(e.Arg(1).Raw)
		so, _ := ParseSocket(e.Arg(0).Path)
		cn := &Connect{PID: e.PID, Line: e.Line, Proto: so.Proto, Addr: addr, Result: e.Errno}
		if e.Killed && cn.Result == "" {
			cn.Result = "killed"
		}
		if e.Errno != "EINPROGRESS" {
			return cn
		}
		if c.pending == nil {
			c.pending = map[connKey]*Connect{}
		}
		if len(c.pending) >= maxPendingConnects {
			return cn // reported as still in progress
		}
		c.pending[keyOf(e)] = cn
	case "getsockopt":
		if strings.TrimSpace(e.Arg(2).Raw) != "SO_ERROR" || len(c.pending) == 0 {
			return nil
		}
		k := keyOf(e)
		cn := c.pending[k]
		if cn == nil {
			// a connected socket's annotation gives its addresses, not its inode
			so, _ := ParseSocket(e.Arg(0).Path)
			for pk, p := range c.pending {
				if so.Remote.IsValid() && p.Addr.IP == so.Remote {
					k, cn = pk, p
					break
				}
			}
		}
		if cn == nil {
			return nil
		}
		delete(c.pending, k)
		switch v := strings.Trim(e.Arg(3).Raw, "[]"); v {
		case "0":
			cn.Result = ""
		default:
			cn.Result = v
		}
		return cn
	}
	return nil
}

// Pending returns the connects still waiting for an outcome, in trace order.
func (c *Connects) Pending() []*Connect {
	out := make([]*Connect, 0, len(c.pending))
	for _, p := range c.pending {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}
