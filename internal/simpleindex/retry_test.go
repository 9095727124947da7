package simpleindex

import (
	"net/http"
	"testing"
	"time"
)

// TestBackoff: the wait doubles from BaseDelay up to MaxDelay, jittered within its upper
// half, never above MaxDelay.
func TestBackoff(t *testing.T) {
	p := RetryPolicy{Attempts: 10, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxElapsed: time.Minute}
	for n, top := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		top *= time.Millisecond
		if top > time.Second {
			top = time.Second
		}
		seen := map[time.Duration]bool{}
		for range 50 {
			d := p.backoff(n + 1)
			if d < top/2 || d > top {
				t.Fatalf("attempt %d: wait %s outside [%s, %s]", n+1, d, top/2, top)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("attempt %d: no jitter", n+1)
		}
	}
	if d := (RetryPolicy{}).withDefaults(); d != DefaultRetry {
		t.Errorf("defaults %+v", d)
	}
}

func TestRetryAfterValues(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":     0,
		"7":    7 * time.Second,
		"-3":   0,
		"junk": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
		"999999": time.Hour,
	} {
		if got := retryAfter(in, now); got != want {
			t.Errorf("Retry-After %q = %s, want %s", in, got, want)
		}
	}
}

func TestHTTPErrorTemporary(t *testing.T) {
	for code, want := range map[int]bool{500: true, 502: true, 503: true, 504: true, 429: true, 408: true, 501: false, 505: false, 400: false, 418: false} {
		if got := (&HTTPError{StatusCode: code}).Temporary(); got != want {
			t.Errorf("%d: temporary %v", code, got)
		}
	}
}
