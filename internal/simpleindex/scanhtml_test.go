package simpleindex

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// plainPages are index pages as their servers write them: each is read by the one-pass
// scanner, not by html.Parse.
var plainPages = map[string]string{
	"nginx tree (bench/synctree)": `<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.0"><title>Links for bench-project-00000</title></head><body>
<h1>Links for bench-project-00000</h1>
<a href="../../files/bench_project_00000-1.0-py3-none-any.whl#sha256=1238de855981f8df6e86225395ba2bedb6c9dfff1c72c586579d1dcd7141964c" data-requires-python="&gt;=3.8">bench_project_00000-1.0-py3-none-any.whl</a><br/>
<a href="../../files/bench_project_00000-1.1-py3-none-any.whl#sha256=4b34dc58c84512a30ab29a0cbf89c28b6eb47c8691c7e788ffa63d1ae8b96708" data-requires-python="&gt;=3.8">bench_project_00000-1.1-py3-none-any.whl</a><br/>
</body></html>
`,
	"PyPI": `<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="1.3">
    <title>Links for six</title>
  </head>
  <body>
    <h1>Links for six</h1>
    <a href="https://files.pythonhosted.org/packages/six-1.16.0-py2.py3-none-any.whl#sha256=8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254" data-requires-python="&gt;=2.7, !=3.0.*, !=3.1.*, !=3.2.*" data-dist-info-metadata="sha256=1f6b7f1f" data-core-metadata="sha256=1f6b7f1f">six-1.16.0-py2.py3-none-any.whl</a><br />
    <a href="https://files.pythonhosted.org/packages/six-1.0.tar.gz#sha256=00" data-yanked="broken &amp; &lt;old&gt;">six-1.0.tar.gz</a><br />
  </body>
</html>
<!--SERIAL 26214592-->`,
	"pypiserver": `<html><head><title>Links for lib</title></head><body><h1>Links for lib</h1>
<a href="/packages/lib-1.0.tar.gz#sha256=ab12">lib-1.0.tar.gz</a><br>
<a href="/packages/lib-1.0-py3-none-any.whl#sha256=cd34" data-requires-python="&gt;=3.7">lib-1.0-py3-none-any.whl</a><br>
</body></html>`,
	"pydepot": `<!DOCTYPE html>
<html>
<head>
<meta name="pypi:repository-version" content="1.4">
<meta name="pypi:project-status" content="deprecated">
<meta name="pypi:project-status-reason" content="use &lt;other&gt; &#34;now&#34; &#39;please&#39;">
<title>Links for Attr_Demo</title>
</head>
<body>
<h1>Links for Attr_Demo</h1>
<a href="../../files/attr_demo-1.0-py3-none-any.whl#sha256=ff" data-dist-info-metadata="sha256=ee" data-core-metadata="sha256=ee" data-yanked="">attr_demo-1.0-py3-none-any.whl</a><br>
</body>
</html>
`,
	"devpi, base and upper case": `<HTML><HEAD><BASE HREF="https://cdn.example/root/"><TITLE>Links for x</TITLE></HEAD>
<BODY><A HREF='x-1.0.zip#md5=00' DATA-REQUIRES-PYTHON=">=3">x-1.0.zip</A><BR>
<a href=x-2.0.zip>  x-2.0.zip  </a>
<p><a href="x-3.0.zip">x-3.0.zip</a></p><hr></BODY></HTML>`,
}

// TestScanSimpleHTML: the pages of index servers are read by the one-pass scanner and
// give what html.Parse gives; pages outside its subset send ParseHTML to html.Parse
// and still parse.
func TestScanSimpleHTML(t *testing.T) {
	for name, page := range plainPages {
		if _, ok := scanSimpleHTML([]byte(page)); !ok {
			t.Errorf("%s: the scanner gave up on the page", name)
			continue
		}
		fast, slow, ferr, serr := bothWays(t, []byte(page))
		if ferr != nil || serr != nil || !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s: scanner %+v (%v), html.Parse %+v (%v)", name, fast, ferr, slow, serr)
		}
		if len(fast.Files) == 0 {
			t.Errorf("%s: no files", name)
		}
	}
	for _, page := range []string{
		`<a href="a-1.whl">a-1.whl<a href="b-1.whl">b-1.whl</a>`, // an anchor in an anchor
		`<script>document.write('<a href="x-1.whl">x</a>')</script>`,
		`<a href="a-1.whl">a-<b>1</b>.whl</a>`,
		`<a href="a-1.whl?x=1&y=2">a-1.whl</a>`, // a bare "&"
		`<a href="a-1.whl">a-1.whl</a><!--> <a href="b-1.whl">b</a> -->`,
		`<svg><a href="a-1.whl">a-1.whl</a></svg>`,
		`<a href="a-1.whl"`,
		`<title>Links for <b></title><a href="a-1.whl">a-1.whl</a>`,
		`<a href="a-1.whl" data-yanked="x` + "\r\n" + `y">a-1.whl</a>`,
		`<a href = "a-1.whl">a-1.whl</a>`,
		`<a href="a-1.whl"/>`,
	} {
		if _, ok := scanSimpleHTML([]byte(page)); ok {
			t.Errorf("the scanner read %q", page)
		}
		// html.Parse reads it instead, as it read every page before the scanner.
		if _, err := ParseHTML([]byte(page), pageURL); err != nil {
			t.Errorf("ParseHTML(%q): %v", page, err)
		}
	}
	// The page the scanner gives up on is read by html.Parse all the same.
	page, err := ParseHTML([]byte(`<a href="a-1.whl">a-<b>1</b>.whl</a>`), pageURL)
	if err != nil || len(page.Files) != 1 || page.Files[0].Filename != "a-1.whl" {
		t.Errorf("fallback: %+v, %v", page, err)
	}
}

// bothWays parses data with the scanner (which must not give up) and with html.Parse.
func bothWays(t *testing.T, data []byte) (fast, slow *ProjectPage, ferr, serr error) {
	t.Helper()
	items, ok := scanSimpleHTML(data)
	if !ok {
		t.Fatal("the scanner gave up")
	}
	doc, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("html.Parse: %v", err)
	}
	fast, ferr = pageOf(items, pageURL)
	slow, serr = pageOf(treeItems(doc), pageURL)
	return fast, slow, ferr, serr
}

// FuzzScanSimpleHTML: whenever the one-pass scanner reads a page, the page (or the
// error) is the one html.Parse's tree gives.
func FuzzScanSimpleHTML(f *testing.F) {
	for _, p := range plainPages {
		f.Add([]byte(p))
	}
	f.Add([]byte(`<!-- a --><!----><a href="x-1.whl">x &amp; y</a><base href="/r/"><a href="y-1.whl"></a>`))
	f.Add([]byte(`<title></title><title> Links for q </title><meta name=pypi:repository-version content=2.0>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, ok := scanSimpleHTML(data); !ok {
			return
		}
		fast, slow, ferr, serr := bothWays(t, data)
		if fmt.Sprint(ferr) != fmt.Sprint(serr) || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("scanner %+v (%v), html.Parse %+v (%v)", fast, ferr, slow, serr)
		}
	})
}

// BenchmarkParseHTML reads a 10-file page of bench/synctree's kind, by ParseHTML (the
// scanner) and by html.Parse's tree, as ParseHTML did before the scanner.
func BenchmarkParseHTML(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.0"><title>Links for bench-project-00000</title></head><body>
<h1>Links for bench-project-00000</h1>
`)
	for i := range 10 {
		fmt.Fprintf(&sb, `<a href="../../files/bench_project_00000-1.%d-py3-none-any.whl#sha256=1238de855981f8df6e86225395ba2bedb6c9dfff1c72c586579d1dcd7141964c" data-requires-python="&gt;=3.8">bench_project_00000-1.%d-py3-none-any.whl</a><br/>`+"\n", i, i)
	}
	sb.WriteString("</body></html>\n")
	data := []byte(sb.String())
	b.Run("scanner", func(b *testing.B) {
		for b.Loop() {
			if p, err := ParseHTML(data, pageURL); err != nil || len(p.Files) != 10 {
				b.Fatal(p, err)
			}
		}
	})
	b.Run("tree", func(b *testing.B) {
		for b.Loop() {
			doc, err := html.Parse(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			if p, err := pageOf(treeItems(doc), pageURL); err != nil || len(p.Files) != 10 {
				b.Fatal(p, err)
			}
		}
	})
}
