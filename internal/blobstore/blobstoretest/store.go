package blobstoretest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/errs"
)

// countingDriver counts the writes started through it.
type countingDriver struct {
	blobstore.Driver
	writers atomic.Int32
}

func (c *countingDriver) Writer(ctx context.Context) (blobstore.Writer, error) {
	c.writers.Add(1)
	return c.Driver.Writer(ctx)
}

// unreadable fails the test when read.
type unreadable struct{ t *testing.T }

func (u unreadable) Read([]byte) (int, error) {
	u.t.Error("the bytes of a stored blob were read again")
	return 0, errors.New("unreadable")
}

// testStatBeforeWrite: with the digest and size known, a stored blob is found by Stat and
// neither read nor written again; anything else still goes through a verified write.
func testStatBeforeWrite(t *testing.T, d blobstore.Driver, _ func() []string) {
	ctx := context.Background()
	cd := &countingDriver{Driver: d}
	s := blobstore.NewStore(cd)
	data := []byte("stat before write")
	sha, size := sum(data), int64(len(data))
	if res, err := s.Write(ctx, bytes.NewReader(data), sha, size); err != nil || !res.Created {
		t.Fatalf("first write = %+v, %v", res, err)
	}
	if n := cd.writers.Load(); n != 1 {
		t.Fatalf("%d writes for one new blob", n)
	}
	res, err := s.Write(ctx, unreadable{t}, sha, size)
	if err != nil || res.Created || res.SHA256 != sha || res.Size != size {
		t.Errorf("write of a stored blob = %+v, %v; want success, not created", res, err)
	}
	if n := cd.writers.Load(); n != 1 {
		t.Errorf("a stored blob with a known digest was written again (%d writes)", n)
	}
	// A known digest with another size is not taken as stored: the bytes are read and
	// checked, and the wrong claim is refused without touching the blob.
	if _, err := s.Write(ctx, bytes.NewReader(data), sha, size+1); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("write with a wrong size: %v, want ErrInvalid", err)
	}
	// Without the digest, the bytes must be read to learn it.
	if res, err := s.Write(ctx, bytes.NewReader(data), "", -1); err != nil || res.Created || res.SHA256 != sha {
		t.Errorf("write without a digest = %+v, %v", res, err)
	}
	if r, n, err := s.Open(ctx, sha); err != nil || n != size {
		t.Errorf("Open after the writes = %d, %v", n, err)
	} else {
		got, _ := io.ReadAll(r)
		r.Close()
		if !bytes.Equal(got, data) {
			t.Errorf("the stored blob changed: %q", got)
		}
	}
	if _, err := s.Write(ctx, strings.NewReader("x"), "not-a-digest", 1); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("write with a malformed digest: %v, want ErrInvalid", err)
	}
}

// testRedirect: a driver that is a blobstore.Redirector gives a URL that serves the
// blob's bytes; any other driver gives none, and the blob is streamed from Open, which
// is what the server falls back to.
func testRedirect(t *testing.T, d blobstore.Driver, _ func() []string) {
	ctx := context.Background()
	s := blobstore.NewStore(d)
	data := []byte("fetched directly, or streamed")
	sha, _, err := s.Put(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.URLFor(ctx, "../etc/passwd", time.Minute); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("URLFor of a bad digest: %v, want ErrInvalid", err)
	}
	u, err := s.URLFor(ctx, sha, time.Minute)
	if err != nil {
		t.Fatalf("URLFor: %v", err)
	}
	if _, ok := d.(blobstore.Redirector); !ok {
		if u != "" {
			t.Fatalf("a driver without URLFor gave the URL %q", u)
		}
		r, _, err := s.Open(ctx, sha)
		if err != nil {
			t.Fatalf("no redirect and no stream: %v", err)
		}
		got, _ := io.ReadAll(r)
		r.Close()
		if !bytes.Equal(got, data) {
			t.Errorf("streamed %q", got)
		}
		return
	}
	if u == "" {
		t.Fatal("a Redirector gave no URL")
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatalf("URLFor gave %q: %v", u, err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, data) {
		t.Errorf("GET %s: %d, %q", u, resp.StatusCode, got)
	}
}
