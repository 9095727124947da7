package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/hostile"
	"github.com/pydepot/pydepot/internal/inspect"
)

// The pathological uploads of issue 6, through the real stack: each is refused (or, for
// the valid continuation lines, accepted) with the limit named, in bounded time and
// bounded memory (bytes allocated in the process during the request), and a refusal
// stores nothing.

// measured runs fn and returns the bytes allocated and the time taken meanwhile.
func measured(fn func()) (uint64, time.Duration) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	fn()
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, d
}

// refused uploads content as filename, expects want with every one of msgs in the body,
// at most maxAlloc bytes allocated and maxTime taken, and nothing stored.
func (e *testEnv) refused(filename string, content []byte, want int, maxAlloc uint64, maxTime time.Duration, msgs ...string) {
	e.t.Helper()
	before := e.state("main")
	b, ct := form{filename: filename, content: content}.body()
	var code int
	var body string
	alloc, took := measured(func() {
		resp := e.request(http.MethodPost, "/legacy/", b, "Content-Type: "+ct, basic(adminSecret))
		code, body = resp.StatusCode, readBody(e.t, resp)
	})
	if code != want {
		e.t.Errorf("upload of %.60s: %d %s, want %d", filename, code, body, want)
	}
	for _, m := range msgs {
		if !strings.Contains(body, m) {
			e.t.Errorf("upload of %.60s: body %q does not say %q", filename, body, m)
		}
	}
	if alloc > maxAlloc {
		e.t.Errorf("upload of %.60s allocated %d bytes, over %d", filename, alloc, maxAlloc)
	}
	if took > maxTime {
		e.t.Errorf("upload of %.60s took %v, over %v", filename, took, maxTime)
	}
	if after := e.state("main"); after.String() != before.String() {
		e.t.Errorf("a refused upload changed the repository: %s -> %s", before, after)
	}
	e.t.Logf("%.60s: %d in %v, %d bytes allocated: %s", filename, code, took, alloc, strings.TrimSpace(body))
}

// TestHostileContinuationLines: 200,000 continuation lines (600 KB of METADATA) took 37 s
// to upload and 29 s per GET /pypi/<project>/json. The upload is accepted and both are
// now bounded; the GET does not parse the METADATA again.
func TestHostileContinuationLines(t *testing.T) {
	e := newEnv(t, Config{})
	wheel := hostile.ContinuationWheel("cont", 200_000)
	alloc, took := measured(func() { e.mustUpload("cont-1.0-py3-none-any.whl", wheel) })
	t.Logf("upload: %v, %d bytes allocated", took, alloc)
	if alloc > 48<<20 || took > 10*time.Second {
		t.Errorf("uploading %d bytes took %v and allocated %d bytes", len(wheel), took, alloc)
	}
	var info struct {
		Info struct{ Keywords, Summary string } `json:"info"`
	}
	alloc, took = measured(func() {
		resp := e.request(http.MethodGet, "/pypi/cont/json", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /pypi/cont/json: %d", resp.StatusCode)
		}
		if err := json.Unmarshal([]byte(readBody(t, resp)), &info); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("GET /pypi/cont/json: %v, %d bytes allocated", took, alloc)
	if strings.Count(info.Info.Keywords, "b") != 200_000 || info.Info.Summary != "continuation lines" {
		t.Errorf("info: summary %q, %d bytes of keywords", info.Info.Summary, len(info.Info.Keywords))
	}
	if alloc > 32<<20 || took > 5*time.Second {
		t.Errorf("GET /pypi/cont/json took %v and allocated %d bytes", took, alloc)
	}
}

// TestHostileTagSet: a 7 KB wheel name whose tag set is 91 million tags made the server
// allocate 4 GB; a short name of 8,000 tags was expanded too. Both get a 400 naming the
// limit, cheaply.
func TestHostileTagSet(t *testing.T) {
	e := newEnv(t, Config{})
	content := hostile.WheelBytes(hostile.Minimal("tags", hostile.Metadata("tags", "1.0"))...)
	e.refused("tags-1.0-"+hostile.TagSet(450)+".whl", content, http.StatusBadRequest, 8<<20, 5*time.Second,
		"over the limit of 255 bytes")
	e.refused("tags-1.0-"+hostile.TagSet(20)+".whl", content, http.StatusBadRequest, 8<<20, 5*time.Second,
		"expands to 8000 tags, over the limit of 256 tags")
}

// TestHostileBigRecord: a RECORD over the cap (64 MiB here, 1 GiB in the report, where
// the server then held 10 GB) is refused with 413 naming RECORD and the limit, without
// being inflated.
func TestHostileBigRecord(t *testing.T) {
	e := newEnv(t, Config{})
	var w bytes.Buffer
	if err := hostile.BigRecordWheel(&w, "bigrec", 2*inspect.MaxRecordSize); err != nil {
		t.Fatal(err)
	}
	e.refused("bigrec-1.0-py3-none-any.whl", w.Bytes(), http.StatusRequestEntityTooLarge, 16<<20, 10*time.Second,
		"bigrec-1.0.dist-info/RECORD", fmt.Sprintf("over the limit of %d bytes", inspect.MaxRecordSize))
}

// TestHostileTopLevel: top_level.txt has a cap of its own.
func TestHostileTopLevel(t *testing.T) {
	e := newEnv(t, Config{})
	files := append(hostile.Minimal("tl", hostile.Metadata("tl", "1.0")),
		hostile.File{Name: "tl-1.0.dist-info/top_level.txt", Body: strings.NewReader(strings.Repeat("name\n", inspect.MaxTopLevelSize/5+1))})
	e.refused("tl-1.0-py3-none-any.whl", hostile.WheelBytes(files...), http.StatusRequestEntityTooLarge, 16<<20, 10*time.Second,
		"tl-1.0.dist-info/top_level.txt", fmt.Sprintf("over the limit of %d bytes", inspect.MaxTopLevelSize))
}

// TestHostileLocalHeader: a wheel whose local header names ../../../etc/pwn while the
// central directory names evil/__init__.py was accepted; it gets a 400.
func TestHostileLocalHeader(t *testing.T) {
	e := newEnv(t, Config{})
	e.refused("evil-1.0-py3-none-any.whl", hostile.LocalHeaderMismatch("evil"), http.StatusBadRequest, 8<<20, 5*time.Second,
		`"evil/__init__.py"`, `the local header says name "../../../etc/pwn"`)
}
