package simpleindex

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// RetryPolicy says how often and how long the sync calls try again after a transient
// failure: a 5xx, 408 or 429 answer, a connection refused or reset, a timeout, a body cut
// short (fewer bytes than its Content-Length), an upstream slower than Options.MinRate,
// and, for Fetch, a file whose size or digest differs from the index's.
//
// The wait before attempt n+1 is BaseDelay×2^(n-1), at most MaxDelay, with jitter (a
// random value between half of it and all of it); a Retry-After header replaces it. No
// attempt starts later than MaxElapsed after the first, so a call takes at most
// MaxElapsed plus one attempt, and one attempt is itself bounded by the slow-upstream
// cap. The caller's context ends everything at once.
type RetryPolicy struct {
	Attempts   int           // total tries, the first included (default 5)
	BaseDelay  time.Duration // default 500 ms
	MaxDelay   time.Duration // default 30 s
	MaxElapsed time.Duration // default 5 min
}

// DefaultRetry is the policy a zero RetryPolicy stands for.
var DefaultRetry = RetryPolicy{Attempts: 5, BaseDelay: 500 * time.Millisecond, MaxDelay: 30 * time.Second, MaxElapsed: 5 * time.Minute}

func (p RetryPolicy) withDefaults() RetryPolicy {
	setDefault(&p.Attempts, DefaultRetry.Attempts)
	setDefault(&p.BaseDelay, DefaultRetry.BaseDelay)
	setDefault(&p.MaxDelay, DefaultRetry.MaxDelay)
	setDefault(&p.MaxElapsed, DefaultRetry.MaxElapsed)
	return p
}

func setDefault[T int | int64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// backoff is the wait after the n-th failed attempt (n >= 1), jittered.
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	return d/2 + rand.N(d/2+1)
}

// transientError marks a failure worth another attempt; it unwraps to the cause, so
// that a final digest mismatch still wraps errs.ErrInvalid.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

func transient(err error) error { return &transientError{err} }

// retryable reports whether err (from an attempt under ctx) is worth another attempt,
// and the wait the server asked for.
func retryable(ctx context.Context, err error) (bool, time.Duration) {
	if ctx.Err() != nil {
		return false, 0
	}
	var te *transientError
	if errors.As(err, &te) {
		return true, 0
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Temporary(), he.RetryAfter
	}
	var ge *getError
	if errors.As(err, &ge) {
		// No answer: a refused or reset connection, a timeout. A certificate the
		// client does not trust stays untrusted.
		var ua x509.UnknownAuthorityError
		var hn x509.HostnameError
		var ci x509.CertificateInvalidError
		return !errors.As(err, &ua) && !errors.As(err, &hn) && !errors.As(err, &ci), 0
	}
	return false, 0
}

// retry runs attempt until it succeeds, fails for good, or the policy or ctx ends it.
// Each attempt gets its own context, watched for a slow upstream (see watch).
func (c *Client) retry(ctx context.Context, what string, attempt func(ctx context.Context, w *watch) error) error {
	p := c.opts.Retry
	start := time.Now()
	for n := 1; ; n++ {
		err := c.attempt(ctx, attempt)
		if err == nil {
			return nil
		}
		again, after := retryable(ctx, err)
		if !again {
			if ctx.Err() != nil {
				return fmt.Errorf("%s: %w", what, context.Cause(ctx))
			}
			return fmt.Errorf("%s: %w", what, err)
		}
		if n >= p.Attempts {
			return fmt.Errorf("%s: giving up after %d attempts: %w", what, n, err)
		}
		wait := p.backoff(n)
		if after > 0 {
			wait = after
		}
		if time.Since(start)+wait > p.MaxElapsed {
			return fmt.Errorf("%s: giving up after %d attempts in %s (the next would start after the %s limit): %w",
				what, n, time.Since(start).Round(time.Millisecond), p.MaxElapsed, err)
		}
		c.log.Debug("retrying upstream request", "what", what, "attempt", n, "wait", wait, "err", err)
		if c.opts.OnRetry != nil {
			c.opts.OnRetry(what, n, err, wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w (while waiting to retry after: %v)", what, context.Cause(ctx), err)
		case <-t.C:
		}
	}
}

// attempt runs one try under a watched context; when the watch cancelled it, the error
// says so.
func (c *Client) attempt(ctx context.Context, attempt func(ctx context.Context, w *watch) error) error {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	w := c.startWatch(cancel)
	defer w.stop()
	err := attempt(actx, w)
	if err != nil && ctx.Err() == nil {
		if cause := context.Cause(actx); errors.Is(cause, errTooSlow) {
			return transient(cause)
		}
	}
	return err
}

// errTooSlow is the cause of an attempt abandoned by its watch.
var errTooSlow = errors.New("upstream too slow")

// watch cancels an attempt whose answer is slower than the Options allow: no headers
// within HeaderTimeout, or fewer than MinRate×RateWindow bytes in a RateWindow of the
// body. One timer does both, with no goroutine of its own: it runs fire when it expires
// (a goroutine, a timer and a ticker per attempt cost a sync of 22,000 requests two
// scheduler wake-ups each).
type watch struct {
	n        atomic.Int64 // body bytes since the last check
	answer   atomic.Bool  // the headers came
	over     atomic.Bool  // stopped: the attempt ended
	t        *time.Timer
	cancel   context.CancelCauseFunc
	window   time.Duration
	need     int64 // bytes wanted in each window
	rate     int64
	hdrLimit time.Duration
}

func (c *Client) startWatch(cancel context.CancelCauseFunc) *watch {
	w := &watch{cancel: cancel, window: c.opts.RateWindow, rate: c.opts.MinRate, hdrLimit: c.opts.HeaderTimeout}
	w.need = max(1, int64(float64(w.rate)*w.window.Seconds()))
	w.t = time.AfterFunc(w.hdrLimit, w.fire)
	return w
}

// fire is the timer's: the headers are late, or the last window's bytes too few; else
// the next window starts.
func (w *watch) fire() {
	if w.over.Load() {
		return
	}
	if !w.answer.Load() {
		w.cancel(fmt.Errorf("%w: no answer within %s", errTooSlow, w.hdrLimit))
		return
	}
	if got := w.n.Swap(0); got < w.need {
		w.cancel(fmt.Errorf("%w: %d bytes in %s, want at least %d (%d bytes/s)", errTooSlow, got, w.window, w.need, w.rate))
		return
	}
	w.t.Reset(w.window)
}

func (w *watch) stop() {
	w.over.Store(true)
	w.t.Stop()
}

// body marks the headers as come and wraps the response body so that its bytes count
// as progress.
func (w *watch) body(r io.Reader) io.Reader {
	w.answered()
	return &countingReader{r: r, w: w}
}

// answered marks the headers as come: the first body window starts.
func (w *watch) answered() {
	if w.answer.Load() {
		return
	}
	// A timer that could not be stopped has fired: past the header limit, it cancels.
	stopped := w.t.Stop()
	w.n.Store(0)
	w.answer.Store(true)
	if stopped {
		w.t.Reset(w.window)
	}
}

type countingReader struct {
	r io.Reader
	w *watch
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.w.n.Add(int64(n))
	return n, err
}

// retryAfter reads a Retry-After value (seconds or an HTTP date) relative to now; 0 when
// absent or unreadable, at most an hour.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.Atoi(v); err == nil {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d < 0 {
		return 0
	}
	return min(d, time.Hour)
}

func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
