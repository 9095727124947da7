package server

import (
	"bytes"
	"html"
	"testing"

	"github.com/pydepot/pydepot/internal/index"
)

// renderProjectHTMLBefore is renderProjectHTML as it was written with a bytes.Buffer and
// whole-string escapes: the oracle of the appending one.
func renderProjectHTMLBefore(p *index.Project) []byte {
	var b bytes.Buffer
	title := html.EscapeString("Links for " + displayName(p.DisplayName, p.Name))
	b.WriteString("<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"" + apiVersion + "\">\n")
	b.WriteString("    <meta name=\"pypi:project-status\" content=\"" + html.EscapeString(projectStatus(p)) + "\">\n")
	if p.StatusReason != "" {
		b.WriteString("    <meta name=\"pypi:project-status-reason\" content=\"" + html.EscapeString(p.StatusReason) + "\">\n")
	}
	b.WriteString("    <title>" + title + "</title>\n" + stylesheetLink + "  </head>\n  <body>\n    <h1>" + title + "</h1>\n")
	files := offeredFiles(p)
	for i := range files {
		f := &files[i]
		b.WriteString("    <a href=\"")
		b.WriteString(html.EscapeString(fileURL(f) + "#sha256=" + f.SHA256))
		b.WriteString("\"")
		if f.RequiresPython != "" {
			b.WriteString(" data-requires-python=\"" + html.EscapeString(f.RequiresPython) + "\"")
		}
		if f.MetadataSHA256 != "" {
			b.WriteString(" data-dist-info-metadata=\"sha256=" + f.MetadataSHA256 + "\" data-core-metadata=\"sha256=" + f.MetadataSHA256 + "\"")
		}
		if f.Yanked {
			b.WriteString(" data-yanked=\"" + html.EscapeString(f.YankReason) + "\"")
		}
		b.WriteString(">" + html.EscapeString(f.Filename) + "</a><br>\n")
	}
	b.WriteString("  </body>\n</html>\n")
	return b.Bytes()
}

// TestRenderProjectHTMLSameBytes: the page is what the buffer-and-escape form wrote, for
// names, reasons and requirements that need escaping and for quarantined projects.
func TestRenderProjectHTMLSameBytes(t *testing.T) {
	odd := `a<b>&"c'd e/f#g?h%`
	for _, p := range []*index.Project{
		newBenchAPI(0, 60).big,
		{Name: "x", DisplayName: odd, Status: "archived", StatusReason: odd, Files: []index.File{
			{Filename: odd + ".whl", SHA256: "ab", RequiresPython: ">=3.8,<4 & " + odd, Yanked: true, YankReason: odd},
			{Filename: "plain-1.0.tar.gz", SHA256: "cd", MetadataSHA256: "ef", Yanked: true},
			{Filename: "caf\u00e9 \xff.zip", SHA256: "01"},
		}},
		{Name: "q", Status: "quarantined", Files: []index.File{{Filename: "hidden.whl", SHA256: "00"}}},
	} {
		if got, want := renderProjectHTML(p), renderProjectHTMLBefore(p); !bytes.Equal(got, want) {
			t.Errorf("renderProjectHTML:\n%s\nwant:\n%s", got, want)
		}
	}
}
