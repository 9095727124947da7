package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

func TestStatusOf(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{fmt.Errorf("x: %w", errs.ErrInvalid), 400},
		{fmt.Errorf("x: %w", errs.ErrNotFound), 404},
		{fmt.Errorf("x: %w", errs.ErrConflict), 409},
		{fmt.Errorf("x: %w", errs.ErrUnauthorized), 401},
		{fmt.Errorf("x: %w", errs.ErrForbidden), 403},
		{fmt.Errorf("x: %w", errs.ErrTooLarge), 413},
		{&http.MaxBytesError{Limit: 1}, 413},
		{&httpError{status: 400, msg: "m", err: errs.ErrConflict}, 400}, // the protocol's choice wins
		{fmt.Errorf("spool: %w", &os.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}), 507},
		{fmt.Errorf("x: %w", syscall.EDQUOT), 507},
		{fmt.Errorf("x: %w", errs.ErrStorageFull), 507},
		{errors.New("disk on fire"), 500},
	}
	for _, tc := range tests {
		if got := statusOf(tc.err); got != tc.want {
			t.Errorf("statusOf(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// failingAPI fails every read with an internal error that must not reach the client.
type failingAPI struct{ benchAPI }

func (failingAPI) Project(context.Context, *index.Distribution, string) (*index.Project, error) {
	return nil, errors.New("sqlite: database disk image is malformed at /secret/path")
}

func (f failingAPI) ProjectPage(ctx context.Context, d *index.Distribution, name string) (*index.Project, error) {
	return f.Project(ctx, d, name)
}

func TestInternalErrorsHidden(t *testing.T) {
	h := New(&failingAPI{benchAPI: *newBenchAPI(1, 1)}, Config{}, nil)
	for _, path := range []string{"/simple/x/", "/pypi/x/json"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		body := rec.Body.String()
		if rec.Code != 500 || strings.Contains(body, "secret") || !strings.Contains(body, "request id") || rec.Header().Get("X-Request-Id") == "" {
			t.Errorf("%s: %d %q %v", path, rec.Code, body, rec.Header())
		}
	}
}
