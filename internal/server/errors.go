package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/server/wire"
)

// handler is an HTTP handler that returns its error instead of writing it.
type handler func(w http.ResponseWriter, r *http.Request) error

// httpError is an error with a status chosen by the protocol rather than by category (the
// legacy upload API answers 400 where the category would say 409).
type httpError struct {
	status int
	msg    string
	err    error
	// reason, when set, replaces the standard reason phrase of the status line on
	// HTTP/1.x (PyPI's "400 File already exists...", which twine prints without --verbose).
	reason string
}

func (e *httpError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}

func (e *httpError) Unwrap() error { return e.err }

// statusOf maps an error to its HTTP status: the one place this is decided.
func statusOf(err error) int {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.status
	case errors.Is(err, errs.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, errs.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, errs.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, errs.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, errs.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, errs.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errs.IsStorageFull(err):
		return http.StatusInsufficientStorage
	case errors.Is(err, index.ErrUpstream):
		return http.StatusBadGateway
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	var sbe *slowBodyError
	if errors.As(err, &sbe) {
		return http.StatusRequestTimeout
	}
	return http.StatusInternalServerError
}

// requestIDs makes short request ids: a random per-process prefix and a counter.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &requestIDs{prefix: hex.EncodeToString(b)}
}

func (g *requestIDs) next() string { return fmt.Sprintf("%s-%d", g.prefix, g.n.Add(1)) }

// errorWriter writes errors; jsonBody chooses a JSON body over plain text.
type errorWriter struct {
	log *slog.Logger
	ids *requestIDs
}

// wrap adapts h: a returned error becomes a status and a body, written here and nowhere else.
func (ew *errorWriter) wrap(h handler, jsonBody bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			ew.write(w, r, err, jsonBody)
		}
	})
}

func (ew *errorWriter) write(w http.ResponseWriter, r *http.Request, err error, jsonBody bool) {
	status := statusOf(err)
	msg := err.Error()
	var he *httpError
	// A 503 of the server's own choosing (a part that is off) says what is off; other 5xx
	// hide their detail.
	unavailable := errors.As(err, &he) && status == http.StatusServiceUnavailable
	if errors.As(err, &he) && (status < 500 || unavailable) {
		msg = he.msg
		if he.err != nil {
			msg += ": " + he.err.Error()
		}
	}
	// The category is said by the status; the trailing ": invalid" adds nothing for a person.
	for _, cat := range []error{errs.ErrInvalid, errs.ErrNotFound, errs.ErrConflict, errs.ErrUnauthorized, errs.ErrForbidden, errs.ErrTooLarge} {
		msg = strings.TrimSuffix(msg, ": "+cat.Error())
	}
	// So do the names of the upload conflicts, which the message before them explains.
	for _, sentinel := range []error{index.ErrFilenameReused, index.ErrDuplicateFile} {
		msg = strings.TrimSuffix(msg, ": "+strings.TrimSuffix(sentinel.Error(), ": "+errs.ErrConflict.Error()))
	}
	if status == http.StatusBadGateway {
		// The index words it for the client (no upstream detail, which it logs).
		msg = strings.TrimSuffix(msg, ": "+index.ErrUpstream.Error()) + " (the upstream is unavailable)"
		ew.log.Warn("upstream unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
	} else if status >= 500 && !unavailable {
		id := ew.ids.next()
		ew.log.Error("request failed", "id", id, "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("X-Request-Id", id)
		msg = "internal server error (request id " + id + ")"
		if status == http.StatusInsufficientStorage {
			msg = "storage full: the server has no space left to store this (request id " + id + ")"
		}
	} else {
		ew.log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	h := w.Header()
	switch status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Basic realm="pydepot"`)
	case http.StatusRequestTimeout:
		h.Set("Connection", "close") // the rest of the body will not be read
	}
	h.Del("Content-Length")
	h.Del("ETag")
	h.Del("Content-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	h["Cache-Control"] = cacheNoStore // an error is of this moment, and may depend on the token
	var body []byte
	if jsonBody {
		h.Set("Content-Type", "application/json")
		body, _ = json.Marshal(wire.Error{Status: status, Error: msg})
		body = append(body, '\n')
	} else {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		body = []byte(msg + "\n")
	}
	if he != nil && he.reason != "" && r.ProtoMajor == 1 && writeWithReason(w, r, status, he.reason, body) {
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeWithReason writes the response with its own reason phrase in the status line, which
// net/http cannot do: it takes the connection over and closes it afterwards. It reports
// false, having written nothing, when the connection cannot be taken over (HTTP/2).
func writeWithReason(w http.ResponseWriter, r *http.Request, status int, reason string, body []byte) bool {
	// Unread request bytes at close would make the kernel reset the connection, and the
	// client could lose the answer: read what is left first (bounded).
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
	h := w.Header().Clone()
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Connection", "close")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	fmt.Fprintf(brw, "HTTP/1.%d %03d %s\r\n", min(r.ProtoMinor, 1), status, reasonPhrase(reason))
	_ = h.Write(brw)
	_, _ = brw.WriteString("\r\n")
	if r.Method != http.MethodHead {
		_, _ = brw.Write(body)
	}
	if brw.Flush() == nil {
		if cw, ok := conn.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
	}
	return true
}

// reasonPhrase keeps a reason phrase to the characters a status line allows (RFC 9112:
// HTAB, SP, VCHAR, obs-text), within 200 bytes.
func reasonPhrase(s string) string {
	b := []byte(s)
	if len(b) > 200 {
		b = b[:200]
	}
	for i, c := range b {
		if c != '\t' && (c < ' ' || c == 0x7f) {
			b[i] = ' '
		}
	}
	return string(b)
}
