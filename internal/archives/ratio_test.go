package archives

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
)

// RatioChecked is the decompression-bomb rule for any compression (envrun applies it to
// zstd): 64 MiB of zeros from a few KB fail once past 1 MiB; a stream within the ratio
// reads to the end.
func TestRatioChecked(t *testing.T) {
	deflate := func(data []byte) []byte {
		var b bytes.Buffer
		w, _ := flate.NewWriter(&b, flate.BestCompression)
		w.Write(data)
		w.Close()
		return b.Bytes()
	}
	inflate := func(in io.Reader) (io.Reader, error) { return flate.NewReader(in), nil }

	bomb := deflate(make([]byte, 64<<20))
	r, err := RatioChecked(bytes.NewReader(bomb), 100, inflate)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, r)
	if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "compression ratio") || n > 8<<20 {
		t.Errorf("bomb: %d bytes out, %v", n, err)
	}

	plain := []byte(strings.Repeat("pydepot ", 1<<18)) // 2 MiB, compresses about 300 times
	r, err = RatioChecked(bytes.NewReader(deflate(plain)), 1e4, inflate)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("within the ratio: %d bytes, %v", len(got), err)
	}
	if _, err := RatioChecked(strings.NewReader(""), 100, func(io.Reader) (io.Reader, error) { return nil, io.ErrUnexpectedEOF }); err != io.ErrUnexpectedEOF {
		t.Errorf("decoder error: %v", err)
	}
}
