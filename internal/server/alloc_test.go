package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestCachedPageAllocs keeps the cached simple pages cheap: serving one from the page
// cache allocates a bounded number of objects (b580f39 made 9 for the project list, the
// limits and routing of issue 8 made 13). Skipped with -short, which the race run uses:
// the race detector allocates on its own.
func TestCachedPageAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts differ under the race detector (-short)")
	}
	h := New(newBenchAPI(100, 20), Config{StateTTL: time.Hour}, nil)
	for _, c := range []struct {
		path, accept string
		max          float64
	}{
		{"/simple/", "", 6},
		{"/simple/", mediaJSONv1, 8},
		{"/simple/big/", "", 8},
		{"/simple/big/", mediaJSONv1, 10},
	} {
		req := httptest.NewRequest(http.MethodGet, c.path, nil)
		if c.accept != "" {
			req.Header.Set("Accept", c.accept)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", c.path, rec.Code, rec.Body.String())
		}
		w := &discardWriter{h: http.Header{}}
		got := testing.AllocsPerRun(200, func() {
			clear(w.h)
			h.ServeHTTP(w, req)
		})
		if got > c.max {
			t.Errorf("%s (Accept %q): %.1f allocations per cached page, want at most %.0f", c.path, c.accept, got, c.max)
		}
	}
}
