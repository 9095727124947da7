// Package faultyindex is a test upstream that misbehaves on demand: an indextest index
// (real wheel files as a PEP 691/503 index) whose answers can be made to fail the ways real
// upstreams fail, for the tests of simpleindex.Fetch, sync and the end-to-end suite.
//
//	srv := faultyindex.New(t, wheels, indextest.Options{})
//	srv.InjectFile("pip-23.0.1-py3-none-any.whl", faultyindex.Fault{Kind: faultyindex.Reset, Times: 2})
//	srv.Inject("/simple/pip/", faultyindex.Fault{Kind: faultyindex.Status, Code: 503, Times: 1})
//	c, _ := simpleindex.New([]string{srv.SimpleURL}, nil, simpleindex.Options{})
//	// the first two downloads of the wheel are cut by a TCP reset; the third succeeds
//
// Faults are kept per request path ("/files/NAME", "/simple/", "/simple/PROJECT/"; InjectAll
// gives every path under a prefix its own copy) as a queue: each Fault applies to the next Times requests of that path (Times 0: to every
// one from then on), then the next Fault in the queue does, and once the queue is empty
// the index answers normally. The kinds:
//
//   - Status: answer Code (default 500) with a Retry-After header when RetryAfter is set
//     (Code 429 with RetryAfter "1" is a rate limit).
//   - Truncate: declare the whole Content-Length, send half the body, close the connection.
//   - Short: a well-formed answer with half the body (its Content-Length matches): only a
//     size or digest check catches it.
//   - Corrupt: the whole body with one byte changed: a wrong hash.
//   - Slow: the body in Chunk bytes (default 16) every Delay: an upstream that trickles.
//   - Delay: wait Delay before the headers, then answer normally.
//   - Reset: send the headers and half the body, then reset the connection (TCP RST).
//
// Hits counts the requests of a path, Faulted those that got a fault and Ranges lists
// their Range headers. A ranged answer (206) gets the body faults too.
package faultyindex

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

// Kind is a way of failing.
type Kind int

// The kinds of fault (see the package doc).
const (
	Status Kind = iota
	Truncate
	Short
	Corrupt
	Slow
	Delay
	Reset
)

func (k Kind) String() string {
	return [...]string{"status", "truncate", "short", "corrupt", "slow", "delay", "reset"}[k]
}

// Fault is one misbehaviour for the next Times requests of a path (0: every one).
type Fault struct {
	Kind       Kind
	Times      int
	Code       int           // Status: the status (default 500)
	RetryAfter string        // Status: the Retry-After value, "" for none
	Delay      time.Duration // Slow: between chunks; Delay: before the headers
	Chunk      int           // Slow: bytes per chunk (default 16)
}

// Server is a running faulty index.
type Server struct {
	*indextest.Server
	mu      sync.Mutex
	faults  map[string][]*pending
	hits    map[string]int
	faulted map[string]int
	ranges  map[string][]string
	// prefixes are InjectAll's rules: each path under a prefix gets its own copy of the
	// faults at its first request after the rule was added.
	prefixes []*prefixRule
}

type prefixRule struct {
	prefix  string
	faults  []Fault
	applied map[string]bool
}

type pending struct {
	Fault
	left int // requests still to get it; -1 forever
}

// New starts an index over paths (see indextest.New) with no fault yet; it is closed when
// the test ends.
func New(t testing.TB, paths []string, opts indextest.Options) *Server {
	t.Helper()
	s := &Server{faults: map[string][]*pending{}, hits: map[string]int{}, faulted: map[string]int{}, ranges: map[string][]string{}}
	inner := opts.Wrap
	opts.Wrap = func(h http.Handler) http.Handler {
		if inner != nil {
			h = inner(h)
		}
		return s.wrap(h)
	}
	s.Server = indextest.New(t, paths, opts)
	return s
}

// Inject queues faults for the requests of path (e.g. "/simple/pip/").
func (s *Server) Inject(path string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range faults {
		left := f.Times
		if left <= 0 {
			left = -1
		}
		s.faults[path] = append(s.faults[path], &pending{Fault: f, left: left})
	}
}

// InjectAll gives every path under prefix (e.g. "/files/") its own copy of faults, queued
// at its next request: with Times 1, every file fails once.
func (s *Server) InjectAll(prefix string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prefixes = append(s.prefixes, &prefixRule{prefix: prefix, faults: faults, applied: map[string]bool{}})
}

// InjectFile queues faults for the downloads of a file.
func (s *Server) InjectFile(filename string, faults ...Fault) {
	s.Inject("/files/"+filename, faults...)
}

// Clear drops the faults still queued for path, or with "" every fault and InjectAll
// rule.
func (s *Server) Clear(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if path == "" {
		s.faults, s.prefixes = map[string][]*pending{}, nil
		return
	}
	delete(s.faults, path)
}

// Hits is the number of requests of path so far.
func (s *Server) Hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// Faulted is the number of requests of path that got a fault.
func (s *Server) Faulted(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faulted[path]
}

// Ranges are the Range headers of the requests of path so far, "" for none (a download
// resumed after a fault asks for the rest).
func (s *Server) Ranges(path string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ranges[path]...)
}

// next takes the fault for one request, if any.
func (s *Server) next(r *http.Request) (Fault, bool) {
	path := r.URL.Path
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits[path]++
	s.ranges[path] = append(s.ranges[path], r.Header.Get("Range"))
	for _, rule := range s.prefixes {
		if strings.HasPrefix(path, rule.prefix) && !rule.applied[path] {
			rule.applied[path] = true
			for _, f := range rule.faults {
				left := f.Times
				if left <= 0 {
					left = -1
				}
				s.faults[path] = append(s.faults[path], &pending{Fault: f, left: left})
			}
		}
	}
	q := s.faults[path]
	for len(q) > 0 && q[0].left == 0 {
		q = q[1:]
	}
	s.faults[path] = q
	if len(q) == 0 {
		return Fault{}, false
	}
	if q[0].left > 0 {
		q[0].left--
	}
	s.faulted[path]++
	return q[0].Fault, true
}

func (s *Server) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := s.next(r)
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		switch f.Kind {
		case Status:
			code := f.Code
			if code == 0 {
				code = http.StatusInternalServerError
			}
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			http.Error(w, "faultyindex: injected "+http.StatusText(code), code)
			return
		case Delay:
			select {
			case <-r.Context().Done():
				return
			case <-time.After(f.Delay):
			}
			h.ServeHTTP(w, r)
			return
		}
		// The other faults change the real answer's body.
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		hdr := w.Header()
		for k, v := range rec.Header() {
			hdr[k] = v
		}
		if (rec.Code != http.StatusOK && rec.Code != http.StatusPartialContent) || len(body) == 0 {
			w.WriteHeader(rec.Code)
			w.Write(body)
			return
		}
		switch f.Kind {
		case Short:
			body = body[:len(body)/2]
			hdr.Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(rec.Code)
			w.Write(body)
		case Corrupt:
			bad := append([]byte(nil), body...)
			bad[len(bad)/2] ^= 0xff
			hdr.Set("Content-Length", strconv.Itoa(len(bad)))
			w.WriteHeader(rec.Code)
			w.Write(bad)
		case Slow:
			chunk := f.Chunk
			if chunk <= 0 {
				chunk = 16
			}
			hdr.Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(rec.Code)
			for len(body) > 0 {
				n := min(chunk, len(body))
				if _, err := w.Write(body[:n]); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				body = body[n:]
				select {
				case <-r.Context().Done():
					return
				case <-time.After(f.Delay):
				}
			}
		case Truncate, Reset:
			cutConnection(w, rec.Code, hdr, body, f.Kind == Reset)
		}
	})
}

// cutConnection writes the status, the headers (with the whole Content-Length) and half
// the body by hand on the hijacked connection, then closes it: with a reset (RST) or a
// plain close.
func cutConnection(w http.ResponseWriter, code int, hdr http.Header, body []byte, reset bool) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(fmt.Sprintf("faultyindex: hijack: %v", err))
	}
	defer conn.Close()
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	hdr.Set("Connection", "close")
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", code, http.StatusText(code))
	hdr.Write(buf)
	fmt.Fprintf(buf, "\r\n")
	buf.Write(body[:len(body)/2])
	buf.Flush()
	if reset {
		if tc := tcpConn(conn); tc != nil {
			tc.SetLinger(0) // close sends RST, not FIN
		}
	}
}

func tcpConn(c net.Conn) *net.TCPConn {
	switch c := c.(type) {
	case *net.TCPConn:
		return c
	case interface{ NetConn() net.Conn }: // *tls.Conn
		return tcpConn(c.NetConn())
	}
	return nil
}
