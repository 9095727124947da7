package simpleindex

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
)

var testLimits = listLimits{maxNames: 100, maxName: 50, maxBytes: 1 << 20}

func collect(t testing.TB, body, ct string, lim listLimits) ([]ListEntry, int64, error) {
	t.Helper()
	var got []ListEntry
	serial, err := parseList(strings.NewReader(body), ct, lim, func(e ListEntry) error {
		got = append(got, e)
		return nil
	})
	return got, serial, err
}

func TestParseList(t *testing.T) {
	tests := []struct {
		name, ct, body string
		want           string // names joined by ",", with "@serial" when given
		serial         int64
	}{
		{"json", "application/vnd.pypi.simple.v1+json",
			`{"meta":{"api-version":"1.1","_last-serial":42},"projects":[{"name":"Django","_last-serial":40},{"name":"zope.interface","x":{"y":[1,{"z":null}]}}],"extra":[1,2]}`,
			"Django@40,zope.interface", 42},
		{"json with projects before meta", "application/json",
			`{"projects":[{"_last-serial":null,"name":"a"}],"meta":{"_last-serial":7,"api-version":"1.0"}}`, "a", 7},
		{"json sniffed", "", "\n  {\"meta\":{\"api-version\":\"1.0\"},\"projects\":[]}", "", 0},
		{"html", "text/html", `<!DOCTYPE html><html><head><meta name="pypi:repository-version" content="1.0"><title>Simple index</title></head><body>
<a href="/simple/django/">Django</a><br/>
<a href="zope-interface/"> zope.interface </a>
<a href="../simple/no-text/"></a>
<a name="x"></a>
<!--SERIAL 99-->
</body></html>`, "Django,zope.interface,no-text", 99},
		{"nginx autoindex", "text/html", `<html>
<head><title>Index of /simple/</title></head>
<body>
<h1>Index of /simple/</h1><hr><pre><a href="../">../</a>
<a href="django/">django/</a>                                            01-Dec-2026 18:00       -
<a href="zope-interface/">zope-interface/</a>                                    01-Dec-2026 18:00       -
</pre><hr></body>
</html>`, "django,zope-interface", 0},
		{"html sniffed, entities", "", `<a href="a/">a&#x2D;b</a><a href='c/'>c</a>`, "a-b,c", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, serial, err := collect(t, tc.body, tc.ct, testLimits)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range got {
				if e.Serial != 0 {
					names = append(names, fmt.Sprintf("%s@%d", e.Name, e.Serial))
				} else {
					names = append(names, e.Name)
				}
			}
			if strings.Join(names, ",") != tc.want || serial != tc.serial {
				t.Errorf("got %v serial %d, want %s serial %d", names, serial, tc.want, tc.serial)
			}
		})
	}
}

func TestParseListErrors(t *testing.T) {
	many := `{"meta":{"api-version":"1.0"},"projects":[` + strings.Repeat(`{"name":"a"},`, 100) + `{"name":"b"}]}`
	manyHTML := strings.Repeat(`<a href="a/">a</a>`, 101)
	deep := `{"meta":{"api-version":"1.0"},"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `,"projects":[]}`
	huge := `{"meta":{"api-version":"1.0"},"x":"` + strings.Repeat("x", 4*maxToken) + `","projects":[]}`
	long := strings.Repeat("a", 51)
	tests := []struct {
		name, ct, body string
		want           error
		lim            *listLimits
	}{
		{"not an object", "application/json", `[1,2]`, errs.ErrInvalid, nil},
		{"no projects", "application/json", `{"meta":{"api-version":"1.0"}}`, errs.ErrInvalid, nil},
		{"api version 2", "application/json", `{"meta":{"api-version":"2.0"},"projects":[]}`, errs.ErrInvalid, nil},
		{"name not a string", "application/json", `{"projects":[{"name":3}]}`, errs.ErrInvalid, nil},
		{"projects not a list", "application/json", `{"projects":{"name":"a"}}`, errs.ErrInvalid, nil},
		{"bad serial", "application/json", `{"projects":[{"name":"a","_last-serial":-1}]}`, errs.ErrInvalid, nil},
		{"path in name", "application/json", `{"projects":[{"name":"../../etc"}]}`, errs.ErrInvalid, nil},
		{"empty name", "application/json", `{"projects":[{"x":1}]}`, errs.ErrInvalid, nil},
		{"long name json", "application/json", `{"projects":[{"name":"` + long + `"}]}`, errs.ErrInvalid, nil},
		{"long name html", "text/html", `<a href="x/">` + long + `</a>`, errs.ErrInvalid, nil},
		{"endless text in an anchor", "text/html", `<a href="x/">` + strings.Repeat("b", 10000), errs.ErrInvalid, nil},
		{"bad name html", "text/html", `<a href="x/">a b</a>`, errs.ErrInvalid, nil},
		{"html version 2", "text/html", `<meta name="pypi:repository-version" content="2.0"><a href="a/">a</a>`, errs.ErrInvalid, nil},
		{"too many json", "application/json", many, errs.ErrTooLarge, nil},
		{"too many html", "text/html", manyHTML, errs.ErrTooLarge, nil},
		{"nested too deep", "application/json", deep, errs.ErrInvalid, nil},
		{"one huge value", "application/json", huge, errs.ErrInvalid, &listLimits{maxNames: 10, maxName: 50, maxBytes: 1 << 30}},
		{"one huge tag", "text/html", `<a href="` + strings.Repeat("x", maxToken+10) + `">a</a>`, errs.ErrInvalid, &listLimits{maxNames: 10, maxName: 50, maxBytes: 1 << 30}},
		{"body over the cap", "application/json", many, errs.ErrTooLarge, &listLimits{maxNames: 1000, maxName: 50, maxBytes: 100}},
		{"cut short", "application/json", `{"projects":[{"name":"a"},`, errs.ErrInvalid, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lim := testLimits
			if tc.lim != nil {
				lim = *tc.lim
			}
			if _, _, err := collect(t, tc.body, tc.ct, lim); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// genListing writes a listing of n projects with long names as it is read, without
// holding it: JSON, or HTML.
type genListing struct {
	n, i int
	html bool
	buf  []byte
}

func (g *genListing) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.i <= g.n+1 {
		switch {
		case g.i == 0 && g.html:
			g.buf = append(g.buf, "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\"></head><body>\n"...)
		case g.i == 0:
			g.buf = append(g.buf, `{"meta":{"api-version":"1.1","_last-serial":123456},"projects":[`...)
		case g.i == g.n+1 && g.html:
			g.buf = append(g.buf, "</body></html>\n"...)
		case g.i == g.n+1:
			g.buf = append(g.buf, "]}"...)
		case g.html:
			g.buf = fmt.Appendf(g.buf, "<a href=\"project-%07d-with-a-rather-long-name-like-real-ones/\">project-%07d-with-a-rather-long-name-like-real-ones</a><br/>\n", g.i, g.i)
		default:
			if g.i > 1 {
				g.buf = append(g.buf, ',')
			}
			g.buf = fmt.Appendf(g.buf, `{"name":"project-%07d-with-a-rather-long-name-like-real-ones","_last-serial":%d}`, g.i, g.i)
		}
		g.i++
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[:copy(g.buf, g.buf[n:])]
	return n, nil
}

// listMemory streams a listing of n names from a real HTTP server through
// ProjectListEntries and returns the body size, the peak heap in use above the start
// (sampled every 10,000 names) and the names seen.
func listMemory(t testing.TB, n int, html bool) (body int64, peak uint64, names int) {
	var sent countWriter
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct := "application/vnd.pypi.simple.v1+json"
		if html {
			ct = "text/html"
		}
		w.Header().Set("Content-Type", ct)
		sent.w = w
		io.Copy(&sent, &genListing{n: n, html: html})
	}))
	defer srv.Close()
	c, err := New([]string{srv.URL + "/simple/"}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	_, err = c.ProjectListEntries(t.(interface{ Context() context.Context }).Context(), func(e ListEntry) error {
		names++
		if names%10000 == 0 {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > base && ms.HeapInuse-base > peak {
				peak = ms.HeapInuse - base
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sent.n, peak, names
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.w.Write(p)
}

// TestProjectListBoundedMemory: 200,000 names (over 17 MB of listing) go through with the
// heap in use staying a few MiB above where it started, in both formats.
func TestProjectListBoundedMemory(t *testing.T) {
	for _, html := range []bool{false, true} {
		body, peak, names := listMemory(t, 200_000, html)
		t.Logf("html=%v: %d names, %.1f MB of listing, peak heap in use +%.1f MiB", html, names, float64(body)/1e6, float64(peak)/(1<<20))
		if names != 200_000 {
			t.Errorf("html=%v: %d names", html, names)
		}
		if peak > 16<<20 || uint64(body) < 4*peak {
			t.Errorf("html=%v: peak heap +%d bytes for a %d-byte listing: not bounded", html, peak, body)
		}
	}
}

// BenchmarkProjectList200k streams a 200,000-name JSON listing over HTTP per iteration;
// peak-heap-MiB is the heap in use above the start.
func BenchmarkProjectList200k(b *testing.B) {
	b.ReportAllocs()
	var peak uint64
	var body int64
	for b.Loop() {
		var p uint64
		body, p, _ = listMemory(b, 200_000, false)
		peak = max(peak, p)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(body)/1e6, "listing-MB")
}

// FuzzParseList: on any input, in either format, the streaming parser ends with an
// error of a category or with valid names within the limits, never more than the cap.
func FuzzParseList(f *testing.F) {
	f.Add(`{"meta":{"api-version":"1.1","_last-serial":3},"projects":[{"name":"a","_last-serial":1},{"name":"B.c"}]}`, true)
	f.Add(`{"projects":[{"name":"a","x":[[{"y":null}]]}],"meta":{}}`, true)
	f.Add(`<html><head><meta name="pypi:repository-version" content="1.0"></head><body><a href="a/">a</a><a href="/simple/b/"></a><!--SERIAL 9--></body></html>`, false)
	f.Add(`<a href="x/">a&amp;b</a><a>`, false)
	f.Fuzz(func(t *testing.T, body string, asJSON bool) {
		ct := "text/html"
		if asJSON {
			ct = "application/json"
		}
		lim := listLimits{maxNames: 20, maxName: 30, maxBytes: 1 << 16}
		n := 0
		_, err := parseList(strings.NewReader(body), ct, lim, func(e ListEntry) error {
			n++
			if len(e.Name) > lim.maxName || e.Name == "" || strings.ContainsAny(e.Name, "/\\ <>\"") {
				t.Fatalf("bad name passed: %q", e.Name)
			}
			return nil
		})
		if n > lim.maxNames {
			t.Fatalf("%d names past the cap", n)
		}
		if err != nil && !errors.Is(err, errs.ErrInvalid) && !errors.Is(err, errs.ErrTooLarge) {
			t.Fatalf("error of no category: %v", err)
		}
	})
}

// BenchmarkParseList200k is the parser alone (no HTTP) on a generated listing.
func BenchmarkParseList200k(b *testing.B) {
	for _, html := range []bool{false, true} {
		ct := "application/json"
		if html {
			ct = "text/html"
		}
		b.Run(ct, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n := 0
				lim := listLimits{maxNames: 1 << 30, maxName: 200, maxBytes: 1 << 40}
				if _, err := parseList(&genListing{n: 200_000, html: html}, ct, lim, func(ListEntry) error { n++; return nil }); err != nil || n != 200_000 {
					b.Fatal(n, err)
				}
			}
		})
	}
}

// BenchmarkGenListing200k is what the generator alone costs, to subtract.
func BenchmarkGenListing200k(b *testing.B) {
	for b.Loop() {
		io.Copy(io.Discard, &genListing{n: 200_000})
	}
}
