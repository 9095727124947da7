package simpleindex

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
)

// hashAlgos are the digests Fetch can check, strongest first: it checks sha256 when the
// index gives it, else the first of the others that it gives.
var hashAlgos = []struct {
	name string
	new  func() hash.Hash
	size int
}{
	{"sha256", sha256.New, sha256.Size},
	{"sha512", sha512.New, sha512.Size},
	{"sha384", sha512.New384, sha512.Size384},
	{"sha224", sha256.New224, sha256.Size224},
	{"sha1", sha1.New, sha1.Size},
	{"md5", md5.New, md5.Size},
}

// Fetch downloads f into a new temporary file under dir and returns its path, which the
// caller renames or removes. The bytes are checked against the index's size (when given)
// and digest (sha256 when given, else the strongest other it gives; none when it gives
// none, so a caller that needs a sha256 checks f.SHA256() first) before Fetch returns:
// no unverified byte is ever left under dir.
//
// Transient failures are retried as Options.Retry says (5xx, 429 with its Retry-After,
// resets, timeouts, bodies cut short, an upstream slower than Options.MinRate), a size or
// digest mismatch included, since a proxy or a flaky disk upstream may have garbled one
// answer. Each attempt starts over.
//
// Errors: a digest that still differs after the retries wraps errs.ErrInvalid and names
// both digests; so does a digest in the index that is not hex of the right length
// (without downloading anything). A file over Options.MaxFileSize wraps errs.ErrTooLarge;
// a file gone upstream errs.ErrNotFound. On any error nothing is left under dir.
func (c *Client) Fetch(ctx context.Context, f File, dir string) (path string, err error) {
	what := "downloading " + f.Filename
	algo, want, err := expectedDigest(f)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if f.Size > c.opts.MaxFileSize {
		return "", fmt.Errorf("%s: %w: the index says %d bytes, over the %d limit", what, errs.ErrTooLarge, f.Size, c.opts.MaxFileSize)
	}
	tmp, err := os.CreateTemp(dir, ".fetch-*.part")
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	defer func() {
		if cerr := tmp.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("%s: %w", what, cerr)
		}
		if err != nil {
			os.Remove(tmp.Name())
			path = ""
		}
	}()
	if _, err = c.fetchInto(ctx, f, fileSink{tmp}, algo, want); err != nil {
		return "", err
	}
	return tmp.Name(), nil
}

// Sink receives a download (FetchInto): Write appends, Reset empties it for an attempt
// that starts over. blobstore.Spool is one.
type Sink interface {
	io.Writer
	Reset() error
}

// Grower is a Sink told how many more bytes to expect before they come (the index's
// size, else the answer's Content-Length), so that it makes room for them at once.
type Grower interface {
	Grow(n int64)
}

// FetchInto is Fetch into dst instead of a file of its own, so that the caller chooses
// where the bytes land (a sync writes them straight into its blob batch's folder). It
// returns the size. On error dst holds unverified bytes: the caller discards them.
func (c *Client) FetchInto(ctx context.Context, f File, dst Sink) (int64, error) {
	what := "downloading " + f.Filename
	algo, want, err := expectedDigest(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if f.Size > c.opts.MaxFileSize {
		return 0, fmt.Errorf("%s: %w: the index says %d bytes, over the %d limit", what, errs.ErrTooLarge, f.Size, c.opts.MaxFileSize)
	}
	return c.fetchInto(ctx, f, dst, algo, want)
}

func (c *Client) fetchInto(ctx context.Context, f File, dst Sink, algo int, want string) (int64, error) {
	st := &fetchState{dst: dst, algo: algo}
	err := c.retry(ctx, "downloading "+f.Filename, func(ctx context.Context, w *watch) error {
		return c.fetchOnce(ctx, w, f, st, want)
	})
	return st.n, err
}

// fileSink is a Sink on a file.
type fileSink struct{ f *os.File }

func (s fileSink) Write(p []byte) (int, error) { return s.f.Write(p) }

func (s fileSink) Reset() error {
	if err := s.f.Truncate(0); err != nil {
		return err
	}
	_, err := s.f.Seek(0, io.SeekStart)
	return err
}

// fetchState is what the attempts of one Fetch share: the bytes already in the temp
// file, hashed, and the validator of the answer they came from. A body that breaks off
// is resumed with Range and If-Range (when the answer had a strong ETag or a
// Last-Modified); anything else starts over. The digest covers every byte either way.
type fetchState struct {
	dst       Sink
	algo      int // index in hashAlgos, -1 for none
	n         int64
	h         hash.Hash
	validator string
	dirty     bool // bytes may have reached dst since the last reset
}

func (st *fetchState) reset() error {
	written := st.n > 0 || st.dirty
	st.n, st.validator, st.h, st.dirty = 0, "", nil, false
	if st.algo >= 0 {
		st.h = hashAlgos[st.algo].new()
	}
	if !written { // the first attempt: nothing to empty
		return nil
	}
	return st.dst.Reset()
}

// expectedDigest is the digest Fetch checks: algorithm and lower-case hex, "" for none.
func expectedDigest(f File) (algo int, want string, err error) {
	for i, a := range hashAlgos {
		v, ok := f.Hashes[a.name]
		if !ok {
			continue
		}
		if b, err := hex.DecodeString(v); err != nil || len(b) != a.size {
			return 0, "", fmt.Errorf("%w: the index gives %s %.140q, which is not a %s digest", errs.ErrInvalid, a.name, v, a.name)
		}
		return i, v, nil
	}
	return -1, "", nil
}

func (c *Client) fetchOnce(ctx context.Context, w *watch, f File, st *fetchState, want string) error {
	o := reqOpts{identity: true}
	if st.n > 0 && st.validator != "" {
		o.rangeFrom, o.ifRange = st.n, st.validator
	} else if err := st.reset(); err != nil {
		return err
	}
	resp, err := c.do(ctx, f.URL, o)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent && contentRangeStart(resp.Header.Get("Content-Range")) == st.n:
		c.log.Debug("resuming a download", "file", f.Filename, "from", st.n)
	case resp.StatusCode == http.StatusPartialContent:
		st.validator = "" // an answer for other bytes: start over next time
		return transient(fmt.Errorf("%w: a range answer (%s) that does not start at byte %d", errs.ErrInvalid, resp.Header.Get("Content-Range"), st.n))
	default:
		if st.n > 0 { // the whole file again (the server ignored the range, or it changed)
			if err := st.reset(); err != nil {
				return err
			}
		}
	}
	st.validator = resp.Header.Get("ETag")
	if strings.HasPrefix(st.validator, "W/") || st.validator == "" {
		st.validator = resp.Header.Get("Last-Modified")
	}
	if resp.ContentLength > c.opts.MaxFileSize-st.n {
		return fmt.Errorf("%w: %d bytes, over the %d limit", errs.ErrTooLarge, st.n+resp.ContentLength, c.opts.MaxFileSize)
	}
	dst := io.Writer(st.dst)
	if st.h != nil {
		dst = io.MultiWriter(st.dst, st.h)
	}
	st.dirty = true
	expect := int64(-1)
	if f.Size >= 0 {
		expect = f.Size - st.n
	} else if resp.ContentLength >= 0 {
		expect = resp.ContentLength // a PEP 503 page gives no size
	}
	if g, ok := st.dst.(Grower); ok && expect > 0 {
		g.Grow(expect)
	}
	buf := c.buffer()
	n, err := copyBody(dst, w.body(io.LimitReader(resp.Body, c.opts.MaxFileSize-st.n+1)), *buf)
	c.putBuffer(buf)
	st.n += n
	if err != nil {
		return err // a broken body: the next attempt resumes from st.n
	}
	total := st.n
	st.validator = "" // complete: a mismatch below starts the next attempt over
	if total > c.opts.MaxFileSize {
		return fmt.Errorf("%w: over %d bytes", errs.ErrTooLarge, c.opts.MaxFileSize)
	}
	if f.Size >= 0 && total != f.Size {
		return transient(fmt.Errorf("%w: got %d bytes, the index says %d", errs.ErrInvalid, total, f.Size))
	}
	if st.h != nil {
		if got := hex.EncodeToString(st.h.Sum(nil)); got != want {
			return transient(fmt.Errorf("%w: %s %s, the index says %s", errs.ErrInvalid, hashAlgos[st.algo].name, got, want))
		}
	}
	return nil
}

// contentRangeStart is the first byte of a "bytes START-END/TOTAL" value, -1 when it is
// not one.
func contentRangeStart(v string) int64 {
	rest, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return -1
	}
	start, _, ok := strings.Cut(rest, "-")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(start, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// copyBody copies the body to dst through buf; a read failure (a reset, a body cut
// short, a timeout) is transient, a write failure (a full disk) is not.
func copyBody(dst io.Writer, body io.Reader, buf []byte) (int64, error) {
	var n int64
	for {
		m, rerr := body.Read(buf)
		if m > 0 {
			if _, werr := dst.Write(buf[:m]); werr != nil {
				return n, werr
			}
			n += int64(m)
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, transient(fmt.Errorf("reading the body: %w", rerr))
		}
	}
}

// copyBuffer is the size of the buffers downloads are copied through.
const copyBuffer = 32 << 10

// buffer takes a copy buffer from the client's pool (a sync of thousands of small files
// allocated one for each); putBuffer gives it back.
func (c *Client) buffer() *[]byte {
	if b, ok := c.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, copyBuffer)
	return &b
}

func (c *Client) putBuffer(b *[]byte) { c.bufs.Put(b) }

// FetchMetadata returns f's PEP 658 metadata file (f.URL+".metadata"), retried as Fetch
// is and checked against f.CoreMetadataHashes' sha256 when given. It does not fall back
// to the distribution file (Metadata does; sync extracts from the file it fetched).
// Errors: f announces no metadata file, or the index has none, wraps errs.ErrNotFound; a
// digest that still differs after the retries errs.ErrInvalid (naming both); a file over
// Options.MaxMetadataSize errs.ErrTooLarge.
func (c *Client) FetchMetadata(ctx context.Context, f File) ([]byte, error) {
	what := "metadata of " + f.Filename
	if !f.CoreMetadata {
		return nil, fmt.Errorf("%s: %w: the index announces no metadata file", what, errs.ErrNotFound)
	}
	want := f.CoreMetadataHashes["sha256"]
	if b, err := hex.DecodeString(want); want != "" && (err != nil || len(b) != sha256.Size) {
		return nil, fmt.Errorf("%s: %w: the index gives sha256 %.140q, which is not a sha256 digest", what, errs.ErrInvalid, want)
	}
	var data []byte
	err := c.retry(ctx, what, func(ctx context.Context, w *watch) error {
		resp, err := c.do(ctx, f.URL+".metadata", reqOpts{identity: true})
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		data, err = readCapped(w.body(resp.Body), c.opts.MaxMetadataSize, "the body")
		if err != nil {
			return bodyError(ctx, err)
		}
		if want != "" {
			sum := sha256.Sum256(data)
			if got := hex.EncodeToString(sum[:]); got != want {
				return transient(fmt.Errorf("%w: sha256 %s, the index says %s", errs.ErrInvalid, got, want))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return data, nil
}
