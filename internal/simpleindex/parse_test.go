package simpleindex

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
)

var pageURL, _ = url.Parse("https://idx.example/main/simple/lib/")

func TestParseJSON(t *testing.T) {
	data := []byte(`{
	  "meta": {"api-version": "1.1"},
	  "name": "lib",
	  "versions": ["1.0", "2.0"],
	  "files": [
	    {"filename": "lib-1.0-py3-none-any.whl", "url": "../../files/lib-1.0-py3-none-any.whl",
	     "hashes": {"sha256": "ABCDEF"}, "requires-python": ">=3.8", "core-metadata": {"sha256": "1234"},
	     "yanked": false, "size": 1234, "upload-time": "2024-01-02T03:04:05.123456Z"},
	    {"filename": "lib-2.0.tar.gz", "url": "https://cdn.example/lib-2.0.tar.gz#sha256=ff",
	     "hashes": {}, "dist-info-metadata": true, "yanked": "broken build"},
	    {"filename": "lib-2.0-py3-none-any.whl", "url": "lib-2.0-py3-none-any.whl", "hashes": {"md5": "00"},
	     "requires-python": null, "core-metadata": false, "yanked": true}
	  ]}`)
	page, err := ParseJSON(data, pageURL)
	if err != nil {
		t.Fatal(err)
	}
	if page.Name != "lib" || page.APIVersion != "1.1" || len(page.Versions) != 2 || len(page.Files) != 3 {
		t.Fatalf("page = %+v", page)
	}
	f := page.Files[0]
	if f.URL != "https://idx.example/main/files/lib-1.0-py3-none-any.whl" || f.SHA256() != "abcdef" ||
		f.RequiresPython != ">=3.8" || !f.CoreMetadata || f.CoreMetadataHashes["sha256"] != "1234" ||
		f.Yanked || f.Size != 1234 || !f.UploadTime.Equal(time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)) {
		t.Errorf("file 0 = %+v", f)
	}
	f = page.Files[1]
	if f.URL != "https://cdn.example/lib-2.0.tar.gz" || !f.CoreMetadata || f.CoreMetadataHashes != nil ||
		!f.Yanked || f.YankedReason != "broken build" || f.Size != -1 {
		t.Errorf("file 1 = %+v", f)
	}
	f = page.Files[2]
	if f.URL != "https://idx.example/main/simple/lib/lib-2.0-py3-none-any.whl" || f.CoreMetadata || !f.Yanked || f.YankedReason != "" || f.Hashes["md5"] != "00" {
		t.Errorf("file 2 = %+v", f)
	}
}

func TestParseJSONErrors(t *testing.T) {
	tests := map[string]string{
		"not json":        `<html>`,
		"api version 2":   `{"meta":{"api-version":"2.0"},"files":[]}`,
		"no api version":  `{"files":[]}`,
		"slash in name":   `{"meta":{"api-version":"1.0"},"files":[{"filename":"../x.whl","url":"x"}]}`,
		"empty filename":  `{"meta":{"api-version":"1.0"},"files":[{"filename":"","url":"x"}]}`,
		"bad upload time": `{"meta":{"api-version":"1.0"},"files":[{"filename":"a-1.tar.gz","url":"x","upload-time":"yesterday"}]}`,
		"bad yanked":      `{"meta":{"api-version":"1.0"},"files":[{"filename":"a-1.tar.gz","url":"x","yanked":3}]}`,
		"bad metadata":    `{"meta":{"api-version":"1.0"},"files":[{"filename":"a-1.tar.gz","url":"x","core-metadata":"yes"}]}`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseJSON([]byte(in), pageURL); !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestParseHTML(t *testing.T) {
	data := []byte(`<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.1"><title>Links for lib</title></head>
<body>
<a href="../../files/lib-1.0-py3-none-any.whl#sha256=ABCD" data-requires-python="&gt;=3.8, &lt;4" data-core-metadata="sha256=99">lib-1.0-py3-none-any.whl</a><br/>
<a href="https://cdn.example/lib-2.0.tar.gz" data-yanked="">lib-2.0.tar.gz</a>
<a href="lib-3.0.zip#md5=11" data-dist-info-metadata="true" data-yanked="bad &amp; sad"></a>
<a name="anchor-without-href">nothing</a>
</body></html>`)
	page, err := ParseHTML(data, pageURL)
	if err != nil {
		t.Fatal(err)
	}
	if page.Name != "lib" || page.APIVersion != "1.1" || len(page.Files) != 3 {
		t.Fatalf("page = %+v", page)
	}
	want := []File{
		{Filename: "lib-1.0-py3-none-any.whl", URL: "https://idx.example/main/files/lib-1.0-py3-none-any.whl",
			Hashes: map[string]string{"sha256": "abcd"}, RequiresPython: ">=3.8, <4", CoreMetadata: true,
			CoreMetadataHashes: map[string]string{"sha256": "99"}, Size: -1},
		{Filename: "lib-2.0.tar.gz", URL: "https://cdn.example/lib-2.0.tar.gz", Hashes: map[string]string{}, Yanked: true, Size: -1},
		{Filename: "lib-3.0.zip", URL: "https://idx.example/main/simple/lib/lib-3.0.zip", Hashes: map[string]string{"md5": "11"},
			Yanked: true, YankedReason: "bad & sad", CoreMetadata: true, Size: -1},
	}
	for i, w := range want {
		g := page.Files[i]
		if g.Filename != w.Filename || g.URL != w.URL || g.RequiresPython != w.RequiresPython || g.Yanked != w.Yanked ||
			g.YankedReason != w.YankedReason || g.CoreMetadata != w.CoreMetadata || g.Size != w.Size ||
			!sameMap(g.Hashes, w.Hashes) || !sameMap(g.CoreMetadataHashes, w.CoreMetadataHashes) {
			t.Errorf("file %d = %+v\nwant %+v", i, g, w)
		}
	}
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestParseHTMLErrors(t *testing.T) {
	tests := map[string]string{
		"major version 2": `<meta name="pypi:repository-version" content="2.0"><a href="a-1.0.tar.gz">a-1.0.tar.gz</a>`,
		"slash in text":   `<a href="x">../../etc/passwd</a>`,
		"bad href":        `<a href="http://[::1">a-1.0.tar.gz</a>`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseHTML([]byte(in), pageURL); !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`{"meta":{"api-version":"1.0"},"name":"a","files":[{"filename":"a-1.0.tar.gz","url":"../a-1.0.tar.gz","hashes":{"sha256":"00"},"yanked":"x","core-metadata":{"sha256":"11"},"size":3,"upload-time":"2024-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"meta":{"api-version":"1.1"},"files":[]}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		page, err := ParseJSON(data, pageURL)
		checkParsed(t, page, err)
	})
}

func FuzzParseHTML(f *testing.F) {
	f.Add([]byte(`<html><body><a href="../../files/a-1.0.tar.gz#sha256=00" data-requires-python="&gt;=3" data-yanked="" data-core-metadata="sha256=11">a-1.0.tar.gz</a></body></html>`))
	f.Add([]byte(`<base href="https://x/"><a href="a-1.whl">`))
	f.Add([]byte(`<meta name="pypi:repository-version" content="1.0"><title>Links for a</title>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		page, err := ParseHTML(data, pageURL)
		checkParsed(t, page, err)
	})
}

// checkParsed holds what both page parsers promise on any input: an error wrapping
// ErrInvalid, or files with a name and a parsable URL.
func checkParsed(t *testing.T, page *ProjectPage, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("error does not wrap ErrInvalid: %v", err)
		}
		return
	}
	for _, fl := range page.Files {
		if fl.Filename == "" {
			t.Fatal("empty filename accepted")
		}
		if _, err := url.Parse(fl.URL); err != nil {
			t.Fatalf("unparsable URL %q", fl.URL)
		}
	}
}

func TestParseNetrc(t *testing.T) {
	entries := parseNetrc("# comment\nmachine idx.example login alice password s3cret\n\nmacdef init\ncd /\n\ndefault login anon password x\n")
	if l, p, ok := netrcLookup(entries, "idx.example"); !ok || l != "alice" || p != "s3cret" {
		t.Errorf("idx.example = %q %q %v", l, p, ok)
	}
	if l, _, ok := netrcLookup(entries, "other"); !ok || l != "anon" {
		t.Errorf("default = %q %v", l, ok)
	}
	if _, _, ok := netrcLookup(parseNetrc("machine a login b password c"), "z"); ok {
		t.Error("found credentials for an unknown host")
	}
}

func FuzzParseNetrc(f *testing.F) {
	f.Add("machine h login u password p\ndefault login a password b\n")
	f.Add("macdef x\nline\n\nmachine h account z login")
	f.Fuzz(func(t *testing.T, data string) {
		entries := parseNetrc(data)
		for _, e := range entries {
			if strings.ContainsAny(e.machine+e.login+e.password, " \t\n") {
				t.Fatalf("token with a space: %+v", e)
			}
		}
		netrcLookup(entries, "h")
	})
}
