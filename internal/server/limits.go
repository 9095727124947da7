package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/dustin/go-humanize"
)

// Defaults of the limits on slow clients (Config fields of the same names).
const (
	DefaultHeaderTimeout = 20 * time.Second
	DefaultIdleTimeout   = 2 * time.Minute
	DefaultWriteTimeout  = time.Minute
	DefaultBodyMinBytes  = 32 << 10
	DefaultBodyWindow    = 30 * time.Second
)

// HTTPServer returns the http.Server to run h on, with the connection-level limits of cfg:
// the time to send the request headers, the idle time between requests and the stall
// allowed in writing a response. There is no whole-request read or write timeout, which
// would cut large uploads and downloads on slow links; New's handler applies a minimum
// rate to request bodies and a rolling deadline to response writes instead.
func HTTPServer(h http.Handler, cfg Config) *http.Server {
	cfg = cfg.withDefaults()
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.HeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		WriteTimeout:      cfg.WriteTimeout, // a first deadline; limitWriter moves it on
		MaxHeaderBytes:    64 << 10,
	}
}

// slowBodyError is a request body that arrived slower than the minimum rate.
type slowBodyError struct {
	min    int64
	window time.Duration
}

func (e *slowBodyError) Error() string {
	return fmt.Sprintf("the request body arrived too slowly: less than %s in %s (the minimum body rate, --min-body-rate; see 'pydepot help show limits')",
		humanize.IBytes(uint64(e.min)), e.window)
}

// rateBody enforces the minimum body rate: every min bytes must arrive within window of
// the previous ones (the first within window of the request). It moves the connection's
// read deadline as the bytes come, so that a stalled or trickling client is cut by the
// deadline itself, and clears it at the end of the body, so that the handler's own work
// after reading is not timed.
type rateBody struct {
	io.ReadCloser
	rc     *http.ResponseController
	min    int64
	window time.Duration
	got    int64 // bytes since the deadline was last moved
	err    error
}

func (b *rateBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.ReadCloser.Read(p)
	b.got += int64(n)
	switch {
	case err == io.EOF:
		_ = b.rc.SetReadDeadline(time.Time{})
	case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
		b.err = &slowBodyError{min: b.min, window: b.window}
		return n, b.err
	case b.got >= b.min:
		b.got = 0
		_ = b.rc.SetReadDeadline(time.Now().Add(b.window))
	}
	return n, err
}

// done clears the read deadline when a handler has read all it wants of the body.
func (b *rateBody) done() { _ = b.rc.SetReadDeadline(time.Time{}) }

// bodyErr returns the slow-body error of r when its body was cut, else err: readers above
// the body (multipart, JSON) may have flattened the error on the way.
func bodyErr(r *http.Request, err error) error {
	if b, ok := r.Body.(*rateBody); ok && b.err != nil {
		return b.err
	}
	return err
}

// bodyDone tells the rate limit of r's body that the handler has read what it needs.
func bodyDone(r *http.Request) {
	if b, ok := r.Body.(*rateBody); ok {
		b.done()
	}
}

// limitWriter moves the connection's write deadline on as the response is written: a
// response may take any time as long as each write completes within the write timeout.
type limitWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController // made on first use: most responses never need it
	dl      writeDeadliner           // what sets the write deadline; nil: nothing (not a connection)
	timeout time.Duration
	last    time.Time // when the deadline was last moved (HTTPServer's WriteTimeout: the request's start)
	off     bool      // the writer has no deadline to move: stop asking
}

type writeDeadliner interface{ SetWriteDeadline(time.Time) error }

// findWriteDeadliner walks w's Unwrap chain as http.ResponseController.SetWriteDeadline
// does, without the controller and the error it allocates when nothing is found.
func findWriteDeadliner(w http.ResponseWriter) writeDeadliner {
	for {
		switch t := w.(type) {
		case writeDeadliner:
			return t
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return nil
		}
	}
}

// writeChunk is how much may be sent under one deadline: 128 KiB per minute is the
// slowest download allowed by default (about 2 KiB/s).
const writeChunk = 128 << 10

func (w *limitWriter) bump() {
	if w.off {
		return
	}
	now := time.Now()
	if now.Sub(w.last) > w.timeout/4 {
		w.last = now
		if err := w.dl.SetWriteDeadline(now.Add(w.timeout)); errors.Is(err, http.ErrNotSupported) {
			w.off = true
		}
	}
}

func (w *limitWriter) controller() *http.ResponseController {
	if w.rc == nil {
		w.rc = http.NewResponseController(w.ResponseWriter)
	}
	return w.rc
}

func (w *limitWriter) WriteHeader(code int) {
	w.bump()
	w.ResponseWriter.WriteHeader(code)
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if len(p) <= writeChunk {
		w.bump()
		return w.ResponseWriter.Write(p)
	}
	n := 0
	for len(p) > 0 {
		c := min(len(p), writeChunk)
		w.last = time.Time{} // every chunk gets the whole timeout
		w.bump()
		m, err := w.ResponseWriter.Write(p[:c])
		n += m
		if err != nil {
			return n, err
		}
		p = p[c:]
	}
	return n, nil
}

// ReadFrom keeps the underlying writer's ReadFrom (sendfile for files) in chunks, each
// under a fresh deadline.
func (w *limitWriter) ReadFrom(src io.Reader) (int64, error) {
	rf, ok := w.ResponseWriter.(io.ReaderFrom)
	if !ok {
		return io.Copy(writerOnly{w}, src)
	}
	// One level of io.LimitedReader (as io.CopyN and http.ServeContent make) is unwrapped
	// so that the chunks stay a single LimitedReader over the file, which sendfile takes.
	inner, remain := src, int64(-1)
	if lr, ok := src.(*io.LimitedReader); ok {
		inner, remain = lr.R, lr.N
		defer func() { lr.N = remain }()
	}
	var total int64
	for remain != 0 {
		n := int64(writeChunk)
		if remain > 0 && remain < n {
			n = remain
		}
		w.last = time.Time{} // every chunk gets the whole timeout
		w.bump()
		got, err := rf.ReadFrom(&io.LimitedReader{R: inner, N: n})
		total += got
		if remain > 0 {
			remain -= got
		}
		if err != nil || got < n {
			return total, err
		}
	}
	return total, nil
}

// Unwrap lets http.ResponseController reach the connection (deadlines, Hijack, Flush).
func (w *limitWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// writerOnly hides ReadFrom, so that io.Copy does not recurse into it.
type writerOnly struct{ io.Writer }

// limits applies the body rate and the write deadline to every request.
func (s *server) limits(next http.Handler) http.Handler {
	minBytes, window, timeout := s.cfg.BodyMinBytes, s.cfg.BodyWindow, s.cfg.WriteTimeout
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		dl := findWriteDeadliner(w)
		lw := &limitWriter{ResponseWriter: w, dl: dl, timeout: timeout, last: now, off: dl == nil}
		if r.Body != nil && r.Body != http.NoBody {
			rc := lw.controller()
			_ = rc.SetReadDeadline(now.Add(window))
			r.Body = &rateBody{ReadCloser: r.Body, rc: rc, min: minBytes, window: window}
		}
		next.ServeHTTP(lw, r)
	})
}
