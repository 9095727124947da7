package simpleindex

import (
	"strings"
	"testing"
	"time"
)

// TestFileFieldsBothFormats: every field sync carries, read from a JSON file entry and
// from the HTML anchor another index would write for the same file. Size and upload
// time exist in JSON only (PEP 700).
func TestFileFieldsBothFormats(t *testing.T) {
	const sha = "ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789"
	const lsha = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
	tests := []struct {
		name       string
		json, html string
		check      func(t *testing.T, f File, isJSON bool)
	}{
		{"sha256 from hashes / fragment",
			`"hashes":{"sha256":"` + sha + `"}`, `href="x-1.0.tar.gz#sha256=` + sha + `"`,
			func(t *testing.T, f File, _ bool) {
				if f.SHA256() != lsha {
					t.Errorf("sha256 %q", f.SHA256())
				}
			}},
		{"sha256 from the URL fragment only",
			`"url":"x-1.0.tar.gz#SHA256=` + sha + `","hashes":{}`, `href="x-1.0.tar.gz#SHA256=` + sha + `"`,
			func(t *testing.T, f File, _ bool) {
				if f.SHA256() != lsha || f.URL != "https://idx.example/main/simple/lib/x-1.0.tar.gz" {
					t.Errorf("sha256 %q url %q", f.SHA256(), f.URL)
				}
			}},
		{"hashes win over the fragment",
			`"url":"x-1.0.tar.gz#sha256=00","hashes":{"sha256":"` + sha + `"}`, `href="x-1.0.tar.gz#sha256=` + sha + `"`,
			func(t *testing.T, f File, _ bool) {
				if f.SHA256() != lsha {
					t.Errorf("sha256 %q", f.SHA256())
				}
			}},
		{"requires-python",
			`"requires-python":" >=3.8, <4 "`, `data-requires-python="&gt;=3.8, &lt;4"`,
			func(t *testing.T, f File, _ bool) {
				if f.RequiresPython != ">=3.8, <4" {
					t.Errorf("requires-python %q", f.RequiresPython)
				}
			}},
		{"yanked with a reason",
			`"yanked":"broken & bad"`, `data-yanked="broken &amp; bad"`,
			func(t *testing.T, f File, _ bool) {
				if !f.Yanked || f.YankedReason != "broken & bad" {
					t.Errorf("yanked %v %q", f.Yanked, f.YankedReason)
				}
			}},
		{"yanked without a reason",
			`"yanked":true`, `data-yanked=""`,
			func(t *testing.T, f File, _ bool) {
				if !f.Yanked || f.YankedReason != "" {
					t.Errorf("yanked %v %q", f.Yanked, f.YankedReason)
				}
			}},
		{"not yanked",
			`"yanked":false`, ``,
			func(t *testing.T, f File, _ bool) {
				if f.Yanked {
					t.Error("yanked")
				}
			}},
		{"PEP 714 core-metadata with hashes",
			`"core-metadata":{"sha256":"` + sha + `"}`, `data-core-metadata="sha256=` + sha + `"`,
			func(t *testing.T, f File, _ bool) {
				if !f.CoreMetadata || f.CoreMetadataHashes["sha256"] != lsha {
					t.Errorf("core metadata %v %v", f.CoreMetadata, f.CoreMetadataHashes)
				}
			}},
		{"the older dist-info-metadata key alone",
			`"dist-info-metadata":{"sha256":"` + sha + `"}`, `data-dist-info-metadata="sha256=` + sha + `"`,
			func(t *testing.T, f File, _ bool) {
				if !f.CoreMetadata || f.CoreMetadataHashes["sha256"] != lsha {
					t.Errorf("core metadata %v %v", f.CoreMetadata, f.CoreMetadataHashes)
				}
			}},
		{"core-metadata wins over dist-info-metadata",
			`"core-metadata":false,"dist-info-metadata":true`, `data-core-metadata="false" data-dist-info-metadata="true"`,
			func(t *testing.T, f File, _ bool) {
				if f.CoreMetadata {
					t.Error("metadata announced")
				}
			}},
		{"metadata without hashes",
			`"core-metadata":true`, `data-core-metadata="true"`,
			func(t *testing.T, f File, _ bool) {
				if !f.CoreMetadata || len(f.CoreMetadataHashes) != 0 {
					t.Errorf("core metadata %v %v", f.CoreMetadata, f.CoreMetadataHashes)
				}
			}},
		{"size and upload time (PEP 700, JSON only)",
			`"size":1234,"upload-time":"2024-01-02T03:04:05.123456Z"`, ``,
			func(t *testing.T, f File, isJSON bool) {
				want := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
				if isJSON && (f.Size != 1234 || !f.UploadTime.Equal(want)) {
					t.Errorf("size %d upload time %v", f.Size, f.UploadTime)
				}
				if !isJSON && (f.Size != -1 || !f.UploadTime.IsZero()) {
					t.Errorf("HTML: size %d upload time %v", f.Size, f.UploadTime)
				}
			}},
		{"upload time with an offset, or without a zone",
			`"upload-time":"2024-01-02T04:04:05+01:00"`, ``,
			func(t *testing.T, f File, isJSON bool) {
				if isJSON && !f.UploadTime.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
					t.Errorf("upload time %v", f.UploadTime)
				}
			}},
		{"upload time without a zone is UTC",
			`"upload-time":"2024-01-02T03:04:05.5"`, ``,
			func(t *testing.T, f File, isJSON bool) {
				if isJSON && !f.UploadTime.Equal(time.Date(2024, 1, 2, 3, 4, 5, 5e8, time.UTC)) {
					t.Errorf("upload time %v", f.UploadTime)
				}
			}},
		{"size not given, or negative",
			`"size":-3`, ``,
			func(t *testing.T, f File, _ bool) {
				if f.Size != -1 {
					t.Errorf("size %d", f.Size)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := `{"meta":{"api-version":"1.1"},"files":[{"filename":"x-1.0.tar.gz","url":"x-1.0.tar.gz","hashes":{},` + tc.json + `}]}`
			// later keys win in encoding/json: the case's own url and hashes replace the defaults
			page, err := ParseJSON([]byte(j), pageURL)
			if err != nil || len(page.Files) != 1 {
				t.Fatalf("JSON %s: %v", j, err)
			}
			tc.check(t, page.Files[0], true)
			h := tc.html
			if !strings.Contains(h, "href=") {
				h = `href="x-1.0.tar.gz" ` + h
			}
			doc := `<html><body><a ` + h + `>x-1.0.tar.gz</a></body></html>`
			page, err = ParseHTML([]byte(doc), pageURL)
			if err != nil || len(page.Files) != 1 {
				t.Fatalf("HTML %s: %v", doc, err)
			}
			tc.check(t, page.Files[0], false)
		})
	}
}

// TestPageSerial: the serial of a page from JSON meta or PyPI's HTML comment.
func TestPageSerial(t *testing.T) {
	page, err := ParseJSON([]byte(`{"meta":{"api-version":"1.1","_last-serial":77},"files":[]}`), pageURL)
	if err != nil || page.Serial != 77 {
		t.Errorf("JSON serial %v, %v", page, err)
	}
	page, err = ParseHTML([]byte(`<html><body><a href="x-1.0.tar.gz">x-1.0.tar.gz</a></body></html>
<!--SERIAL 88-->`), pageURL)
	if err != nil || page.Serial != 88 {
		t.Errorf("HTML serial %v, %v", page, err)
	}
}

// TestParseHTMLAutoindex: a project page that is nginx's autoindex of the files (no
// hashes): the parent link is skipped, every file listed.
func TestParseHTMLAutoindex(t *testing.T) {
	page, err := ParseHTML([]byte(`<html>
<head><title>Index of /simple/lib/</title></head>
<body>
<h1>Index of /simple/lib/</h1><hr><pre><a href="../">../</a>
<a href="lib-1.0-py3-none-any.whl">lib-1.0-py3-none-any.whl</a>                           01-Dec-2026 18:00    1234
<a href="lib-1.0.tar.gz">lib-1.0.tar.gz</a>                                     01-Dec-2026 18:00    2345
</pre><hr></body>
</html>`), pageURL)
	if err != nil || len(page.Files) != 2 || page.Files[0].Filename != "lib-1.0-py3-none-any.whl" || page.Files[1].URL != "https://idx.example/main/simple/lib/lib-1.0.tar.gz" {
		t.Fatalf("autoindex page: %+v, %v", page, err)
	}
}
