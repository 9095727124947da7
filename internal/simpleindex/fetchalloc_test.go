package simpleindex_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"testing"

	"github.com/pydepot/pydepot/internal/simpleindex"
)

// memSink is a simpleindex.Sink in memory.
type memSink struct{ bytes.Buffer }

func (m *memSink) Reset() error { m.Buffer.Reset(); return nil }

// TestFetchUnknownSizeAllocatesLittle: a small file, of a size the index gives or not (a
// PEP 503 page), is copied through a buffer of the client's pool, not one allocated per
// download (a sync downloads thousands of them): what a fetch allocates is the HTTP
// exchange's, about 10 KiB. FetchInto and Fetch leave the same bytes.
func TestFetchUnknownSizeAllocatesLittle(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops its items at random under the race detector (the run without it counts)")
	}
	data := bytes.Repeat([]byte("w"), 3000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data)
	}))
	defer srv.Close()
	c, err := simpleindex.New([]string{srv.URL + "/simple/"}, srv.Client(), simpleindex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := simpleindex.File{Filename: "w-1.0-py3-none-any.whl", URL: srv.URL + "/files/w-1.0-py3-none-any.whl", Size: -1,
		Hashes: map[string]string{"sha256": fmt.Sprintf("%x", sha256.Sum256(data))}}
	for _, size := range []int64{-1, int64(len(data))} {
		f.Size = size
		fetchAllocs(t, c, f, data)
	}
	path, err := c.Fetch(t.Context(), f, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
		t.Errorf("Fetch left %d bytes", len(got))
	}
}

// fetchAllocs fails t when a FetchInto of f (data) allocates more than 16 KiB. The
// count is the whole process's (the test server's side of the exchange included), and
// a GC empties the buffer pool, so the least of five rounds counts: noise only adds.
func fetchAllocs(t *testing.T, c *simpleindex.Client, f simpleindex.File, data []byte) {
	var sink memSink
	sink.Grow(8 << 10)
	if _, err := c.FetchInto(t.Context(), f, &sink); err != nil { // warm the connection
		t.Fatal(err)
	}
	const runs = 20
	least := uint64(1 << 62)
	for range 5 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		before := m.TotalAlloc
		for range runs {
			sink.Reset()
			n, err := c.FetchInto(t.Context(), f, &sink)
			if err != nil || n != int64(len(data)) || !bytes.Equal(sink.Bytes(), data) {
				t.Fatalf("fetched %d bytes, %v", n, err)
			}
		}
		runtime.ReadMemStats(&m)
		least = min(least, (m.TotalAlloc-before)/runs)
	}
	if least > 16<<10 {
		t.Errorf("a fetch of %d bytes (the index says %d) allocates %d bytes, want at most %d", len(data), f.Size, least, 16<<10)
	} else {
		t.Logf("size %d: %d bytes a fetch", f.Size, least)
	}
}
