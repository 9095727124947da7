package server

import (
	"strings"
	"testing"
)

func TestNegotiate(t *testing.T) {
	tests := []struct {
		accept string
		want   string // offered media type, "" for 406
	}{
		{"", mediaTextHTML},
		{"   ", mediaTextHTML},
		{"*/*", mediaTextHTML},
		{"text/*", mediaTextHTML},
		{"application/*", mediaJSONv1},
		{"text/html", mediaTextHTML},
		{"TEXT/HTML", mediaTextHTML},
		{mediaJSONv1, mediaJSONv1},
		{mediaJSONLatest, mediaJSONLatest},
		{mediaHTMLv1, mediaHTMLv1},
		{mediaHTMLLatest, mediaHTMLLatest},
		{mediaJSONv1 + ", " + mediaHTMLv1 + "; q=0.1, text/html; q=0.01", mediaJSONv1},
		{"text/html;q=0.5, " + mediaJSONv1 + ";q=0.4", mediaTextHTML},
		{mediaJSONv1 + ";q=0, */*", mediaTextHTML},
		{mediaJSONv1 + ";q=0", ""},
		{"application/json", ""},
		{"image/png, text/plain", ""},
		{"garbage", mediaTextHTML},                     // nothing parseable: treated as absent
		{"text/html;q=abc", ""},                        // malformed q counts as 0
		{"text/html;q=1.5", ""},                        // out of range q counts as 0
		{"*/html, " + mediaHTMLv1, mediaHTMLv1},        // invalid range skipped
		{mediaHTMLv1 + "," + mediaJSONv1, mediaJSONv1}, // tie: the server prefers JSON
		{"text/html;level=1;q=0.9, application/vnd.pypi.simple.v1+json;q=0.8", mediaTextHTML},
	}
	for _, tc := range tests {
		o, ok := negotiate(tc.accept)
		got := ""
		if ok {
			got = o.media
		}
		if got != tc.want {
			t.Errorf("negotiate(%q) = %q, want %q", tc.accept, got, tc.want)
		}
	}
}

func TestFormatOverride(t *testing.T) {
	for in, want := range map[string]string{
		"json": mediaJSONv1, "html": mediaTextHTML, mediaJSONv1: mediaJSONv1, "TEXT/HTML": mediaTextHTML, mediaHTMLLatest: mediaHTMLLatest, "xml": "",
	} {
		o, ok := formatOverride(in)
		if (ok && o.media != want) || (!ok && want != "") {
			t.Errorf("formatOverride(%q) = %q %v, want %q", in, o.media, ok, want)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for in, want := range map[string]bool{"": false, "gzip": true, "gzip, deflate": true, "br;q=1, gzip;q=0": false, "deflate": false, "GZIP;q=0.5": true} {
		if got := acceptsGzip(in); got != want {
			t.Errorf("acceptsGzip(%q) = %v", in, got)
		}
	}
}

func TestETagMatches(t *testing.T) {
	for _, tc := range []struct {
		inm, etag string
		want      bool
	}{
		{`"a"`, `"a"`, true}, {`W/"a"`, `"a"`, true}, {`"b", "a"`, `"a"`, true}, {`*`, `"a"`, true}, {`"b"`, `"a"`, false}, {`a`, `"a"`, false},
	} {
		if got := etagMatches(tc.inm, tc.etag); got != tc.want {
			t.Errorf("etagMatches(%q, %q) = %v", tc.inm, tc.etag, got)
		}
	}
}

// FuzzNegotiate: any header gives a decision without panicking, and the decision is one
// of the offers; parsed ranges are sane.
func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{
		"", "*/*", "text/html", mediaJSONv1 + ", " + mediaHTMLv1 + "; q=0.1, text/html; q=0.01",
		"a/b;q=0.5;q=0.7,,,;", "text/html;q=", ";;;", "*/x", "application/vnd.pypi.simple.v1+json;q=0.001",
		"text/html; q=1.0000", "\x00/\x00", "text/html;q=-0", "a/b;c=d;q=0.3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		for _, r := range parseAccept(accept) {
			if r.q < 0 || r.q > 1000 || r.typ == "" || r.sub == "" || strings.ContainsAny(r.typ+r.sub, " \t,;") {
				t.Fatalf("bad range %+v from %q", r, accept)
			}
		}
		o, ok := negotiate(accept)
		if !ok {
			return
		}
		found := false
		for _, of := range offers {
			if of.media == o.media {
				found = true
			}
		}
		if !found {
			t.Fatalf("negotiate(%q) chose %q, not an offer", accept, o.media)
		}
		if q, _ := match(parseAccept(accept), o.media); len(parseAccept(accept)) > 0 && q <= 0 {
			t.Fatalf("negotiate(%q) chose %q which the client refuses", accept, o.media)
		}
	})
}
