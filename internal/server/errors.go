package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/pydepot/pydepot/internal/errs"
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
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
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
	if errors.As(err, &he) && status < 500 {
		msg = he.msg
		if he.err != nil {
			msg += ": " + he.err.Error()
		}
	}
	// The category is said by the status; the trailing ": invalid" adds nothing for a person.
	for _, cat := range []error{errs.ErrInvalid, errs.ErrNotFound, errs.ErrConflict, errs.ErrUnauthorized, errs.ErrForbidden, errs.ErrTooLarge} {
		msg = strings.TrimSuffix(msg, ": "+cat.Error())
	}
	if status >= 500 {
		id := ew.ids.next()
		ew.log.Error("request failed", "id", id, "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("X-Request-Id", id)
		msg = "internal server error (request id " + id + ")"
	} else {
		ew.log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	h := w.Header()
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Basic realm="pydepot"`)
	}
	h.Del("Content-Length")
	h.Del("ETag")
	h.Del("Content-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	if jsonBody {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(wire.Error{Status: status, Error: msg})
		return
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}
