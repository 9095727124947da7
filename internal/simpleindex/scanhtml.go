package simpleindex

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
)

// pageItem is what ParseHTML reads from a page, in document order: a comment (its
// text), or one of the elements base, meta, title and a, with its attributes (names
// lower-cased, values unescaped; attr skips any with a namespace) and its text (a
// title's first text, an anchor's text).
type pageItem struct {
	comment bool
	tag     string
	attrs   []html.Attribute
	text    string
	hasText bool // a title with a text in it
}

// scanSimpleHTML reads the items of a page written in the plain subset of HTML that
// index pages use (PEP 503's "a valid HTML5 page" as every index writes it), in one pass
// and without building a tree: html.Parse took two thirds of the CPU of reading a
// 10-file page. It gives up (ok false) at anything whose meaning the HTML5 parsing
// algorithm could change: a tag outside a few harmless ones, a tag inside an anchor or a
// title, an unknown character reference, a carriage return or NUL in a value, an
// unclosed tag or quote, a comment of the odd forms. ParseHTML then parses the page with
// html.Parse; FuzzScanSimpleHTML holds that both read the same items whenever this one
// does not give up. The work is linear in the page: each byte is looked at a bounded
// number of times.
func scanSimpleHTML(data []byte) (items []pageItem, ok bool) {
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, false
	}
	i := 0
	for {
		lt := bytes.IndexByte(data[i:], '<')
		if lt < 0 {
			if !plainText(data[i:]) {
				return nil, false
			}
			return items, true
		}
		if !plainText(data[i : i+lt]) {
			return nil, false
		}
		i += lt
		rest := data[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("-->"))
			if end < 0 {
				return nil, false
			}
			c := rest[4 : 4+end]
			// "<!-->", "<!--->", "--!>" and nested openings are where HTML5 comments
			// differ from the first "-->".
			if bytes.HasPrefix(c, []byte(">")) || bytes.HasPrefix(c, []byte("->")) || bytes.Contains(c, []byte("--!")) ||
				bytes.Contains(c, []byte("<!--")) || bytes.HasSuffix(c, []byte("-")) || bytes.ContainsRune(c, '\r') {
				return nil, false
			}
			items = append(items, pageItem{comment: true, text: string(c)})
			i += 4 + end + 3
		case len(rest) > 9 && bytes.EqualFold(rest[:9], []byte("<!doctype")):
			end := bytes.IndexByte(rest, '>')
			if end < 0 || bytes.ContainsAny(rest[1:end], "<\"'") {
				return nil, false
			}
			i += end + 1
		case len(rest) > 2 && rest[1] == '/':
			name, n := tagName(rest[2:])
			if name == "" || !simpleTags[name] {
				return nil, false
			}
			j := 2 + n
			for j < len(rest) && isSpace(rest[j]) {
				j++
			}
			if j >= len(rest) || rest[j] != '>' {
				return nil, false
			}
			i += j + 1
		default:
			name, n := tagName(rest[1:])
			if name == "" || !simpleTags[name] {
				return nil, false
			}
			attrs, end, selfClosing, ok := scanAttrs(rest, 1+n)
			if !ok || selfClosing && !voidTags[name] {
				return nil, false
			}
			i += end
			item := pageItem{tag: name, attrs: attrs}
			if name == "title" || name == "a" {
				// Text up to the closing tag; any tag before it gives up.
				lt := bytes.IndexByte(data[i:], '<')
				if lt < 0 || !isClosing(data[i+lt:], name) {
					return nil, false
				}
				raw := data[i : i+lt]
				if bytes.IndexByte(raw, '\r') >= 0 {
					return nil, false
				}
				text, ok := unescapeSimple(raw)
				if !ok {
					return nil, false
				}
				if name == "a" {
					item.text = strings.TrimSpace(text)
				} else {
					item.text, item.hasText = text, text != ""
				}
				i += lt // the closing tag is read by the loop
			}
			if name == "base" || name == "meta" || name == "title" || name == "a" {
				items = append(items, item)
			}
		}
	}
}

// simpleTags are the elements scanSimpleHTML reads; anything else sends the page to
// html.Parse. None has raw-text content, foreign content or table rules, and none is
// moved by the tree builder in a way that changes the order of the items.
var simpleTags = map[string]bool{
	"html": true, "head": true, "body": true, "meta": true, "title": true, "base": true,
	"a": true, "br": true, "h1": true, "h2": true, "h3": true, "p": true, "hr": true, "link": true,
}

// voidTags may end in "/>".
var voidTags = map[string]bool{"meta": true, "base": true, "br": true, "hr": true, "link": true}

// tagName reads an ASCII tag name (letters, then letters and digits) at the start of b,
// lower-cased, and its length; "" when there is none or it is not followed by a space,
// "/" or ">".
func tagName(b []byte) (string, int) {
	n := 0
	for n < len(b) && (isLetter(b[n]) || n > 0 && b[n] >= '0' && b[n] <= '9') {
		n++
	}
	if n == 0 || n == len(b) || !(isSpace(b[n]) || b[n] == '/' || b[n] == '>') {
		return "", 0
	}
	return lowerName(b[:n]), n
}

// knownNames are the tag and attribute names of index pages, so that reading one
// allocates nothing.
var knownNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{"href", "data-requires-python", "data-yanked", "data-core-metadata",
		"data-dist-info-metadata", "name", "content", "rel", "class"} {
		m[n] = n
	}
	for n := range simpleTags {
		m[n] = n
	}
	return m
}()

// lowerName is b lower-cased, as a string.
func lowerName(b []byte) string {
	if n, ok := knownNames[string(b)]; ok {
		return n
	}
	return strings.ToLower(string(b))
}

// scanAttrs reads the attributes of the start tag in b from j up to its ">", and
// returns them, the offset just past the tag and whether it ended in "/>".
func scanAttrs(b []byte, j int) (attrs []html.Attribute, end int, selfClosing, ok bool) {
	for {
		sp := j
		for j < len(b) && isSpace(b[j]) {
			j++
		}
		if j >= len(b) {
			return nil, 0, false, false
		}
		switch b[j] {
		case '>':
			return attrs, j + 1, false, true
		case '/':
			if j+1 < len(b) && b[j+1] == '>' {
				return attrs, j + 2, true, true
			}
			return nil, 0, false, false
		}
		if j == sp {
			return nil, 0, false, false // attributes run together
		}
		k := j
		for k < len(b) && (isLetter(b[k]) || b[k] >= '0' && b[k] <= '9' || b[k] == '-' || b[k] == '_' || b[k] == ':') {
			k++
		}
		if k == j || k >= len(b) {
			return nil, 0, false, false
		}
		a := html.Attribute{Key: lowerName(b[j:k])}
		j = k
		if b[j] == '=' {
			j++
			if j >= len(b) {
				return nil, 0, false, false
			}
			var raw []byte
			switch q := b[j]; q {
			case '"', '\'':
				e := bytes.IndexByte(b[j+1:], q)
				if e < 0 {
					return nil, 0, false, false
				}
				raw = b[j+1 : j+1+e]
				j += e + 2
			default:
				k := j
				for k < len(b) && !isSpace(b[k]) && b[k] != '>' {
					k++
				}
				raw = b[j:k]
				if len(raw) == 0 || bytes.ContainsAny(raw, "\"'=<`/") {
					return nil, 0, false, false
				}
				j = k
			}
			if bytes.ContainsAny(raw, "\r<") {
				return nil, 0, false, false
			}
			v, ok := unescapeSimple(raw)
			if !ok {
				return nil, 0, false, false
			}
			a.Val = v
		} else if !isSpace(b[j]) && b[j] != '>' && b[j] != '/' {
			return nil, 0, false, false
		}
		attrs = append(attrs, a)
	}
}

// simpleEntities are the character references scanSimpleHTML decodes: with their ";",
// they mean the same in text and in attribute values.
var simpleEntities = []struct{ ref, val string }{
	{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", `"`}, {"&#39;", "'"}, {"&#x27;", "'"}, {"&#34;", `"`},
}

// unescapeSimple decodes the references of simpleEntities in b; ok is false at any
// other "&".
func unescapeSimple(b []byte) (string, bool) {
	amp := bytes.IndexByte(b, '&')
	if amp < 0 {
		return string(b), true
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for amp >= 0 {
		sb.Write(b[:amp])
		b = b[amp:]
		val, n := simpleEntity(b)
		if n == 0 {
			return "", false
		}
		sb.WriteString(val)
		b = b[n:]
		amp = bytes.IndexByte(b, '&')
	}
	sb.Write(b)
	return sb.String(), true
}

// simpleEntity is the value and length of the reference of simpleEntities that b starts
// with; n is 0 when it starts with none.
func simpleEntity(b []byte) (val string, n int) {
	for _, e := range simpleEntities {
		if bytes.HasPrefix(b, []byte(e.ref)) {
			return e.val, len(e.ref)
		}
	}
	return "", 0
}

// plainText reports whether text between tags holds no character reference
// scanSimpleHTML cannot decode (the text outside items is not read, but an odd "&" there
// is as good a sign as any that the page is not of the plain kind).
func plainText(b []byte) bool {
	for amp := bytes.IndexByte(b, '&'); amp >= 0; amp = bytes.IndexByte(b, '&') {
		_, n := simpleEntity(b[amp:])
		if n == 0 {
			return false
		}
		b = b[amp+n:]
	}
	return true
}

// isClosing reports whether b starts with the closing tag of name (any case).
func isClosing(b []byte, name string) bool {
	n := 2 + len(name)
	if len(b) <= n || b[0] != '<' || b[1] != '/' || !bytes.EqualFold(b[2:n], []byte(name)) {
		return false
	}
	return isSpace(b[n]) || b[n] == '>'
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

// treeItems reads the items of a page parsed by html.Parse, as scanSimpleHTML does.
func treeItems(doc *html.Node) []pageItem {
	var items []pageItem
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.CommentNode:
			items = append(items, pageItem{comment: true, text: n.Data})
		case n.Type == html.ElementNode:
			switch n.Data {
			case "base", "meta":
				items = append(items, pageItem{tag: n.Data, attrs: n.Attr})
			case "a":
				items = append(items, pageItem{tag: n.Data, attrs: n.Attr, text: text(n)})
			case "title":
				it := pageItem{tag: n.Data, attrs: n.Attr}
				if n.FirstChild != nil && n.FirstChild.Type == html.TextNode {
					it.text, it.hasText = n.FirstChild.Data, true
				}
				items = append(items, it)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return items
}
