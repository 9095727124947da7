package simpleindex_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/simpleindex"
	"github.com/pydepot/pydepot/internal/simpleindex/faultyindex"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

// fastOpts retry quickly and call an upstream slow below 64 KiB/s over 100 ms.
func fastOpts() simpleindex.Options {
	return simpleindex.Options{
		Retry:   simpleindex.RetryPolicy{Attempts: 4, BaseDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxElapsed: 10 * time.Second},
		MinRate: 64 << 10, RateWindow: 100 * time.Millisecond, HeaderTimeout: 300 * time.Millisecond,
	}
}

var allFaults = []faultyindex.Fault{
	{Kind: faultyindex.Status, Code: 500},
	{Kind: faultyindex.Status, Code: 503},
	{Kind: faultyindex.Status, Code: 429, RetryAfter: "0"},
	{Kind: faultyindex.Truncate},
	{Kind: faultyindex.Short},
	{Kind: faultyindex.Corrupt},
	{Kind: faultyindex.Slow, Delay: 150 * time.Millisecond, Chunk: 16},
	{Kind: faultyindex.Delay, Delay: time.Second},
	{Kind: faultyindex.Reset},
}

// TestFetchFaults: every fault, for fewer requests than the attempts, ends in a retried
// success with exactly the upstream's bytes; for every request, in an error that names
// the problem, with nothing left in the directory.
func TestFetchFaults(t *testing.T) {
	paths := realWheels(t)
	for _, htmlOnly := range []bool{false, true} {
		srv := faultyindex.New(t, paths, indextest.Options{HTML: htmlOnly})
		c, _ := simpleindex.New([]string{srv.SimpleURL}, nil, fastOpts())
		page, _, err := c.ProjectIfChanged(t.Context(), "setuptools", "", "")
		if err != nil {
			t.Fatal(err)
		}
		f := page.Files[0]
		path := "/files/" + f.Filename
		want := srv.Bytes(f.Filename)
		for _, fault := range allFaults {
			name := fault.Kind.String()
			if fault.Kind == faultyindex.Status {
				name += "-" + strings.Fields(http.StatusText(fault.Code))[0]
			}
			t.Run(name+map[bool]string{false: "-json", true: "-html"}[htmlOnly], func(t *testing.T) {
				dir := t.TempDir()
				fault.Times = 2
				srv.Inject(path, fault)
				hits := srv.Hits(path)
				got, err := c.Fetch(t.Context(), f, dir)
				if err != nil {
					t.Fatalf("after two faults: %v", err)
				}
				data, err := os.ReadFile(got)
				if err != nil || !bytes.Equal(data, want) {
					t.Fatalf("fetched bytes differ from the upstream's (%d bytes, %v)", len(data), err)
				}
				if n := srv.Hits(path) - hits; n != 3 {
					t.Errorf("%d requests, want 3", n)
				}
				os.Remove(got)

				fault.Times = 0
				srv.Inject(path, fault)
				defer srv.Clear(path)
				start := time.Now()
				_, err = c.Fetch(t.Context(), f, dir)
				if err == nil {
					t.Fatal("fetch with a fault on every attempt succeeded")
				}
				if !strings.Contains(err.Error(), "giving up after 4 attempts") || !strings.Contains(err.Error(), f.Filename) {
					t.Errorf("error does not say it gave up: %v", err)
				}
				if fault.Kind == faultyindex.Corrupt {
					if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), f.SHA256()) || strings.Count(err.Error(), "sha256") < 1 {
						t.Errorf("a wrong hash must name both digests and wrap ErrInvalid: %v", err)
					}
				}
				if fault.Kind == faultyindex.Slow || fault.Kind == faultyindex.Delay {
					if !strings.Contains(err.Error(), "too slow") {
						t.Errorf("a slow upstream's error: %v", err)
					}
				}
				t.Logf("%s: %v", time.Since(start).Round(time.Millisecond), err)
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("gave up after %s", d)
				}
				assertEmpty(t, dir)
			})
		}
	}
}

// TestPageFaults: project pages and the project list are retried through every fault
// that a retry can cure; a listing broken off part-way starts again (names may repeat,
// none is missing).
func TestPageFaults(t *testing.T) {
	paths := realWheels(t)
	for _, htmlOnly := range []bool{false, true} {
		srv := faultyindex.New(t, paths, indextest.Options{HTML: htmlOnly})
		c, _ := simpleindex.New([]string{srv.SimpleURL}, nil, fastOpts())
		for _, fault := range allFaults {
			if fault.Kind == faultyindex.Corrupt || fault.Kind == faultyindex.Short {
				continue // a garbled page is malformed, not transient (see TestPageGarbled)
			}
			fault.Times = 2
			srv.Inject("/simple/pip/", fault)
			page, _, err := c.ProjectIfChanged(t.Context(), "pip", "", "")
			if err != nil || len(page.Files) != 1 {
				t.Errorf("html=%v page after two %v faults: %v", htmlOnly, fault.Kind, err)
			}
			srv.Inject("/simple/", fault)
			seen := map[string]int{}
			if _, err := c.ProjectList(t.Context(), func(n string) error { seen[n]++; return nil }); err != nil {
				t.Errorf("html=%v list after two %v faults: %v", htmlOnly, fault.Kind, err)
			}
			for _, n := range []string{"pip", "setuptools", "wheel"} {
				if seen[n] == 0 {
					t.Errorf("html=%v list after %v faults lacks %s: %v", htmlOnly, fault.Kind, n, seen)
				}
			}
			srv.Clear("/simple/")
			srv.Clear("/simple/pip/")
		}
		if hits, faulted := srv.Hits("/simple/"), srv.Faulted("/simple/"); faulted != 2*7 || hits != 3*7 {
			t.Errorf("html=%v: the list was asked %d times, %d faulted; want 21 and 14", htmlOnly, hits, faulted)
		}
	}
}

// TestPageGarbled: a corrupt or cut page is a clear ErrInvalid, not retried into
// something else.
func TestPageGarbled(t *testing.T) {
	srv := faultyindex.New(t, realWheels(t), indextest.Options{})
	c, _ := simpleindex.New([]string{srv.SimpleURL}, nil, fastOpts())
	srv.Inject("/simple/pip/", faultyindex.Fault{Kind: faultyindex.Short, Times: 1})
	if _, _, err := c.ProjectIfChanged(t.Context(), "pip", "", ""); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("half a JSON page: %v", err)
	}
	srv.Inject("/simple/", faultyindex.Fault{Kind: faultyindex.Short, Times: 1})
	if _, err := c.ProjectList(t.Context(), func(string) error { return nil }); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("half a JSON listing: %v", err)
	}
}

// TestRetryAfter: a 429's Retry-After is waited for; one beyond the time budget gives up
// at once, saying why; a cancelled context ends the waiting.
func TestRetryAfter(t *testing.T) {
	srv := faultyindex.New(t, realWheels(t), indextest.Options{})
	c, _ := simpleindex.New([]string{srv.SimpleURL}, nil, fastOpts())
	srv.Inject("/simple/pip/", faultyindex.Fault{Kind: faultyindex.Status, Code: 429, RetryAfter: "1", Times: 1})
	start := time.Now()
	if _, _, err := c.ProjectIfChanged(t.Context(), "pip", "", ""); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("retried after %s, before the 1 s Retry-After", d)
	}
	srv.Inject("/simple/pip/", faultyindex.Fault{Kind: faultyindex.Status, Code: 429, RetryAfter: "3600", Times: 1})
	start = time.Now()
	_, _, err := c.ProjectIfChanged(t.Context(), "pip", "", "")
	if err == nil || !strings.Contains(err.Error(), "limit") || time.Since(start) > time.Second {
		t.Errorf("Retry-After beyond the budget: %v after %s", err, time.Since(start))
	}
	var retries []int
	opts := fastOpts()
	opts.Retry.BaseDelay, opts.Retry.MaxDelay = time.Hour, time.Hour
	opts.Retry.MaxElapsed = 2 * time.Hour
	ctx, cancel := context.WithCancel(t.Context())
	opts.OnRetry = func(what string, attempt int, err error, wait time.Duration) {
		retries = append(retries, attempt)
		time.AfterFunc(50*time.Millisecond, cancel)
	}
	slow, _ := simpleindex.New([]string{srv.SimpleURL}, nil, opts)
	srv.Inject("/simple/pip/", faultyindex.Fault{Kind: faultyindex.Status, Code: 502, Times: 1})
	start = time.Now()
	_, _, err = slow.ProjectIfChanged(ctx, "pip", "", "")
	if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second || len(retries) != 1 {
		t.Errorf("cancelled while waiting: %v after %s, retries %v", err, time.Since(start), retries)
	}
}

// TestFetchMetadata: the PEP 658 file through faults that a retry cures; a corrupt one
// every time is ErrInvalid naming both digests; none announced is ErrNotFound.
func TestFetchMetadata(t *testing.T) {
	srv := faultyindex.New(t, realWheels(t), indextest.Options{})
	c, _ := simpleindex.New([]string{srv.SimpleURL}, nil, fastOpts())
	page, _, err := c.ProjectIfChanged(t.Context(), "pip", "", "")
	if err != nil {
		t.Fatal(err)
	}
	f := page.Files[0]
	path := "/files/" + f.Filename + ".metadata"
	srv.Inject(path, faultyindex.Fault{Kind: faultyindex.Reset, Times: 1}, faultyindex.Fault{Kind: faultyindex.Corrupt, Times: 1}, faultyindex.Fault{Kind: faultyindex.Status, Code: 502, Times: 1})
	data, err := c.FetchMetadata(t.Context(), f)
	if err != nil || !bytes.Equal(data, srv.Metadata(f.Filename)) || srv.Hits(path) != 4 {
		t.Fatalf("after three faults: %d bytes, %v, %d requests", len(data), err, srv.Hits(path))
	}
	srv.Inject(path, faultyindex.Fault{Kind: faultyindex.Corrupt})
	if _, err := c.FetchMetadata(t.Context(), f); !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), f.CoreMetadataHashes["sha256"]) {
		t.Errorf("always corrupt: %v", err)
	}
	none := f
	none.CoreMetadata = false
	if _, err := c.FetchMetadata(t.Context(), none); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("not announced: %v", err)
	}
}

// TestFetchResumes: a body that breaks off is resumed with Range from where it broke
// (If-Range guarding it), and the digest still covers every byte; a mismatch starts
// over from byte 0.
func TestFetchResumes(t *testing.T) {
	srv := faultyindex.New(t, realWheels(t), indextest.Options{})
	c, _ := simpleindex.New([]string{srv.SimpleURL}, nil, fastOpts())
	page, _, err := c.ProjectIfChanged(t.Context(), "setuptools", "", "")
	if err != nil {
		t.Fatal(err)
	}
	f := page.Files[0]
	path := "/files/" + f.Filename
	size := int64(len(srv.Bytes(f.Filename)))
	srv.Inject(path, faultyindex.Fault{Kind: faultyindex.Truncate, Times: 1}, faultyindex.Fault{Kind: faultyindex.Reset, Times: 1})
	dir := t.TempDir()
	got, err := c.Fetch(t.Context(), f, dir)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(got)
	if !bytes.Equal(data, srv.Bytes(f.Filename)) {
		t.Fatal("resumed bytes differ from the upstream's")
	}
	// The truncated answer brings exactly half; the reset of the rest loses what was in
	// flight (a RST discards unread data), so the last resume starts between half and
	// three quarters.
	r := srv.Ranges(path)
	half := size / 2
	if len(r) != 3 || r[0] != "" || r[1] != fmt.Sprintf("bytes=%d-", half) {
		t.Fatalf("ranges asked %q, want none, then from byte %d, then further", r, half)
	}
	var last int64
	if _, err := fmt.Sscanf(r[2], "bytes=%d-", &last); err != nil || last < half || last > half+(size-half)/2 {
		t.Errorf("after the reset, asked %q", r[2])
	}
	os.Remove(got)

	// A cut, then a corrupt rest: the digest fails, and the next attempt starts over.
	srv.Inject(path, faultyindex.Fault{Kind: faultyindex.Truncate, Times: 1}, faultyindex.Fault{Kind: faultyindex.Corrupt, Times: 1})
	before := len(srv.Ranges(path))
	got, err = c.Fetch(t.Context(), f, dir)
	if err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(got)
	if !bytes.Equal(data, srv.Bytes(f.Filename)) {
		t.Fatal("bytes differ after a corrupt resumed part")
	}
	if r := srv.Ranges(path)[before:]; len(r) != 3 || r[0] != "" || r[1] == "" || r[2] != "" {
		t.Errorf("ranges asked %q, want none, the rest, then none (start over)", r)
	}
}
