package testdist

import (
	"net"
	"testing"
	"time"
)

// Listener is a TCP listener on 127.0.0.1 that counts the connections made to it: the
// host side of a test that something cannot reach the network.
type Listener struct {
	ln   *net.TCPListener
	Port int
	n    int
}

// Listen starts a Listener, closed when the test ends.
func Listen(t testing.TB) *Listener {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &Listener{ln: ln, Port: ln.Addr().(*net.TCPAddr).Port}
}

// Accepted returns how many connections were made so far. A connect completes in the
// kernel's backlog without an Accept, so this takes every waiting connection (each
// Accept waits at most 100 ms) rather than trusting an accept loop to have run.
func (l *Listener) Accepted() int {
	for {
		if err := l.ln.SetDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
			return l.n
		}
		c, err := l.ln.Accept()
		if err != nil {
			return l.n
		}
		c.Close()
		l.n++
	}
}
