package metadata

import (
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// continuationLines is a valid METADATA whose Keywords header is followed by n
// continuation lines of three bytes each: the shape that made the old parser quadratic.
func continuationLines(n int) []byte {
	var b strings.Builder
	b.WriteString("Metadata-Version: 2.1\nName: hostile\nVersion: 1.0\nKeywords: a\n")
	for range n {
		b.WriteString(" b\n")
	}
	b.WriteString("Summary: s\n\nbody\n")
	return []byte(b.String())
}

// TestContinuationLinesLinear parses 200,000 continuation lines (600 KB) with a bounded
// number of bytes allocated: the old parser appended each line to the value, copying
// the value every time (gigabytes, tens of seconds).
func TestContinuationLinesLinear(t *testing.T) {
	data := continuationLines(200_000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	m, err := Parse(data)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(m.Keywords, "b"); got != 200_000 {
		t.Errorf("Keywords holds %d continuation values, want 200000", got)
	}
	if m.Summary != "s" || m.Description != "body\n" {
		t.Errorf("fields after the long header: summary %q, description %q", m.Summary, m.Description)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	if limit := uint64(16 * len(data)); alloc > limit {
		t.Errorf("parsing %d bytes allocated %d bytes, over %d: not linear", len(data), alloc, limit)
	}
	if elapsed > 2*time.Second {
		t.Errorf("parsing %d bytes took %v", len(data), elapsed)
	}
}

// referenceSplit is the old line-by-line Split, kept as the reference for its results.
func referenceSplit(text string) ([]Header, string) {
	var headers []Header
	rest := text
	for rest != "" {
		line, next, _ := strings.Cut(rest, "\n")
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			return headers, next
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(headers) == 0 {
				return headers, rest
			}
			headers[len(headers)-1].Value += "\n" + line
			rest = next
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !validHeaderName(name) {
			return headers, rest
		}
		headers = append(headers, Header{Name: name, Value: strings.TrimLeft(value, " \t")})
		rest = next
	}
	return headers, ""
}

func TestSplitMatchesReference(t *testing.T) {
	for _, in := range []string{
		"", "A: b", "A: b\n", "A: b\r\n c\r\n\r\nbody\r\n", "A:\r\n", "A:  \t \r\n x\n",
		" lead\nA: b\n", "A: b\n\tc\n d\r\rx\r\n\r\n", "A: b\r\r\n c\r", "A: b\nnot a header\nC: d\n",
		"A: b\n c\nB:c\n\n", "A: b\n c", "A: b\r", "bad name: x\n", "A: x\n \n\nbody",
	} {
		gh, gb := Split([]byte(in))
		wh, wb := referenceSplit(in)
		if !slices.Equal(gh, wh) || gb != wb {
			t.Errorf("Split(%q) = %q, %q; want %q, %q", in, gh, gb, wh, wb)
		}
	}
}

func BenchmarkParseContinuationLines(b *testing.B) {
	data := continuationLines(200_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzSplitMatchesReference: the linear Split gives the old Split's results.
func FuzzSplitMatchesReference(f *testing.F) {
	f.Add("A: b\r\n c\r\n\r\nbody\r\n")
	f.Add("A: b\n\tc\n d\r\rx\r\n\r\n")
	f.Add(string(continuationLines(100)))
	f.Fuzz(func(t *testing.T, in string) {
		if len(in) > 1<<16 {
			return
		}
		gh, gb := Split([]byte(in))
		wh, wb := referenceSplit(decode([]byte(in)))
		if !slices.Equal(gh, wh) || gb != wb {
			t.Fatalf("Split(%q) = %q, %q; want %q, %q", in, gh, gb, wh, wb)
		}
	})
}
