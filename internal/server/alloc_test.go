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

// TestRenderProjectJSONAllocs bounds the allocations of rendering a JSON project page
// per file listed: b580f39 made 13, the union values of simplejson 16.
func TestRenderProjectJSONAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts differ under the race detector (-short)")
	}
	p := newBenchAPI(0, 200).big
	got := testing.AllocsPerRun(20, func() {
		if _, err := renderProjectJSON(p); err != nil {
			t.Fatal(err)
		}
	}) / float64(len(p.Files))
	if got > 8.5 {
		t.Errorf("%.1f allocations per file rendered, want at most 8.5", got)
	}
}

// TestIsoTime: the hand-written upload time is time.Format's, in and out of 0..9999.
func TestIsoTime(t *testing.T) {
	east := time.FixedZone("east", 5*3600+1800)
	for _, tm := range []time.Time{
		{},
		time.Date(2025, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(2026, 1, 1, 2, 3, 4, 5006007, east), // another day in UTC
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(1<<40, 123456789),
	} {
		if got, want := isoTime(tm), tm.UTC().Format("2006-01-02T15:04:05.000000Z"); got != want {
			t.Errorf("isoTime(%v) = %s, want %s", tm, got, want)
		}
	}
}
