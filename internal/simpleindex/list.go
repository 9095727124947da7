package simpleindex

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/names"
)

// ListEntry is one project of the root listing.
type ListEntry struct {
	Name   string // as the index spells it (a valid PEP 508 name)
	Serial int64  // the JSON "_last-serial" of the project; 0 when not given (HTML)
}

// ProjectList streams the root listing (/simple/) of the client's one index URL,
// calling fn with each project name; see ProjectListEntries.
func (c *Client) ProjectList(ctx context.Context, fn func(name string) error) (serial int64, err error) {
	return c.ProjectListEntries(ctx, func(e ListEntry) error { return fn(e.Name) })
}

// ProjectListEntries streams the root listing, the PEP 691 JSON "projects" or the PEP 503
// HTML anchors, in bounded memory (a few MiB, whatever the number of projects), calling fn
// for each entry in the order of the listing. It returns the index's serial
// (X-PyPI-Last-Serial, else the JSON meta "_last-serial", else PyPI's HTML SERIAL
// comment; 0 when none).
//
// A transient failure restarts the listing (Options.Retry): fn then sees again the
// names it saw before, so it must tolerate duplicates. An error from fn stops the listing
// and is returned as it is.
//
// Errors: a name that is not a PEP 508 name or is longer than Options.MaxNameLength, a
// malformed listing or an api-version other than 1.x wrap errs.ErrInvalid; more than
// Options.MaxProjects names or a body over Options.MaxListSize wrap errs.ErrTooLarge; a
// client over several index URLs errs.ErrInvalid.
func (c *Client) ProjectListEntries(ctx context.Context, fn func(ListEntry) error) (serial int64, err error) {
	base, err := c.single("ProjectList")
	if err != nil {
		return 0, err
	}
	what := "project list " + redact(base.String())
	var fnErr error
	err = c.retry(ctx, what, func(ctx context.Context, w *watch) error {
		resp, err := c.do(ctx, base.String(), reqOpts{accept: Accept})
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		lim := listLimits{maxNames: c.opts.MaxProjects, maxName: c.opts.MaxNameLength, maxBytes: c.opts.MaxListSize}
		serial, err = parseList(w.body(resp.Body), ct, lim, func(e ListEntry) error {
			if err := fn(e); err != nil {
				fnErr = err
				return err
			}
			return nil
		})
		if err != nil {
			if fnErr != nil {
				return fnErr
			}
			return bodyError(ctx, err)
		}
		serial = headerSerial(resp.Header, serial)
		return nil
	})
	if fnErr != nil && errors.Is(err, fnErr) {
		return 0, fnErr
	}
	return serial, err
}

// listLimits bound a listing: names, the length of one, the bytes of the body.
type listLimits struct {
	maxNames, maxName int
	maxBytes          int64
}

// maxToken bounds what the parsers buffer for one token (a JSON value, an HTML tag).
const maxToken = 1 << 20

// parseList parses a listing of content type ct (sniffed from its first byte when
// neither JSON nor HTML), calling fn per entry, and returns the listing's own serial.
func parseList(r io.Reader, ct string, lim listLimits, fn func(ListEntry) error) (int64, error) {
	br := bufio.NewReader(&capReader{r: r, left: lim.maxBytes})
	useJSON := isJSON(ct)
	if !useJSON && !isHTML(ct) {
		for {
			b, err := br.Peek(1)
			if err != nil {
				useJSON = false
				break
			}
			if b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n' {
				br.ReadByte()
				continue
			}
			useJSON = b[0] == '{'
			break
		}
	}
	lp := &listParser{lim: lim, fn: fn}
	if useJSON {
		return lp.json(br)
	}
	return lp.html(br)
}

type listParser struct {
	lim listLimits
	fn  func(ListEntry) error
	n   int
}

func (lp *listParser) emit(e ListEntry) error {
	if len(e.Name) > lp.lim.maxName {
		return fmt.Errorf("%w: a project name of %d bytes (at most %d), starting %.60q", errs.ErrInvalid, len(e.Name), lp.lim.maxName, e.Name)
	}
	if !names.Valid(e.Name) {
		return fmt.Errorf("%w: bad project name %q", errs.ErrInvalid, e.Name)
	}
	lp.n++
	if lp.n > lp.lim.maxNames {
		return fmt.Errorf("%w: over %d projects", errs.ErrTooLarge, lp.lim.maxNames)
	}
	return lp.fn(e)
}

// capReader fails with errs.ErrTooLarge past left bytes.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n > 0 {
			return 0, fmt.Errorf("%w: the listing is over its size limit", errs.ErrTooLarge)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// tokenCapReader fails when the JSON decoder holds more than maxToken unconsumed bytes
// and asks for more: one value too long to be a listing's (json.Decoder buffers a whole
// token). The decoder's buffer so stays under about twice maxToken.
type tokenCapReader struct {
	r    io.Reader
	dec  *json.Decoder
	read int64
	err  error // the reader's own failure (not EOF), which the decoder may hide
}

func (t *tokenCapReader) Read(p []byte) (int, error) {
	if t.dec != nil && t.read-t.dec.InputOffset() > maxToken {
		return 0, fmt.Errorf("%w: a JSON value over %d bytes", errs.ErrInvalid, maxToken)
	}
	n, err := t.r.Read(p)
	t.read += int64(n)
	if err != nil && err != io.EOF {
		t.err = err
	}
	return n, err
}

// maxDepth bounds the nesting of JSON values the listing parser skips.
const maxDepth = 64

func (lp *listParser) json(r io.Reader) (int64, error) {
	tr := &tokenCapReader{r: r}
	dec := json.NewDecoder(tr)
	tr.dec = dec
	serial, err := lp.jsonListing(dec)
	if err != nil && tr.err != nil && !errorsIsAny(err, errs.ErrTooLarge) {
		return 0, tr.err // the body broke off: not the listing's fault
	}
	return serial, err
}

func (lp *listParser) jsonListing(dec *json.Decoder) (int64, error) {
	dec.UseNumber()
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: bad JSON listing: %s", errs.ErrInvalid, fmt.Sprintf(format, a...))
	}
	tok, err := dec.Token()
	if err != nil {
		return 0, jsonErr(err)
	}
	if tok != json.Delim('{') {
		return 0, bad("want an object")
	}
	var serial int64
	sawProjects := false
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return 0, err
		}
		switch key {
		case "meta":
			if serial, err = lp.jsonMeta(dec); err != nil {
				return 0, err
			}
		case "projects":
			sawProjects = true
			if err := lp.jsonProjects(dec); err != nil {
				return 0, err
			}
		default:
			if err := skipValue(dec); err != nil {
				return 0, err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return 0, jsonErr(err)
	}
	if !sawProjects {
		return 0, bad(`no "projects" list`)
	}
	return serial, nil
}

func jsonErr(err error) error {
	if errorsIsAny(err, errs.ErrInvalid, errs.ErrTooLarge) {
		return err
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: bad JSON listing: %v", errs.ErrInvalid, err)
	}
	return err // a read error: the caller decides whether to retry
}

func objectKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", jsonErr(err)
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("%w: bad JSON listing: want a key, got %v", errs.ErrInvalid, tok)
	}
	return key, nil
}

func (lp *listParser) jsonMeta(dec *json.Decoder) (int64, error) {
	if err := expectDelim(dec, '{'); err != nil {
		return 0, err
	}
	var serial int64
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return 0, err
		}
		switch key {
		case "api-version":
			v, err := stringValue(dec, "meta.api-version")
			if err != nil {
				return 0, err
			}
			if major, _, _ := strings.Cut(v, "."); major != "1" {
				return 0, fmt.Errorf("%w: unsupported api-version %.40q", errs.ErrInvalid, v)
			}
		case "_last-serial":
			if serial, err = serialValue(dec); err != nil {
				return 0, err
			}
		default:
			if err := skipValue(dec); err != nil {
				return 0, err
			}
		}
	}
	_, err := dec.Token()
	return serial, jsonErr(err)
}

// jsonProjects decodes the entries one object at a time (dec.Decode is several times
// cheaper than a token walk); the token cap bounds each object.
func (lp *listParser) jsonProjects(dec *json.Decoder) error {
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	for dec.More() {
		var p struct {
			Name   string `json:"name"`
			Serial *int64 `json:"_last-serial"`
		}
		if err := dec.Decode(&p); err != nil {
			return jsonErr(err)
		}
		e := ListEntry{Name: p.Name}
		if p.Serial != nil {
			if *p.Serial < 0 {
				return fmt.Errorf("%w: bad JSON listing: _last-serial %d", errs.ErrInvalid, *p.Serial)
			}
			e.Serial = *p.Serial
		}
		if err := lp.emit(e); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return jsonErr(err)
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return jsonErr(err)
	}
	if tok != d {
		return fmt.Errorf("%w: bad JSON listing: want %v, got %v", errs.ErrInvalid, d, tok)
	}
	return nil
}

func stringValue(dec *json.Decoder, what string) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", jsonErr(err)
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("%w: bad JSON listing: %s is not a string", errs.ErrInvalid, what)
	}
	return s, nil
}

func serialValue(dec *json.Decoder) (int64, error) {
	tok, err := dec.Token()
	if err != nil {
		return 0, jsonErr(err)
	}
	if tok == nil {
		return 0, nil
	}
	num, ok := tok.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%w: bad JSON listing: _last-serial is not a number", errs.ErrInvalid)
	}
	n, err := strconv.ParseInt(num.String(), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: bad JSON listing: _last-serial %.30s", errs.ErrInvalid, num)
	}
	return n, nil
}

// skipValue consumes one value, token by token, nested at most maxDepth deep.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return jsonErr(err)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			if depth > maxDepth {
				return fmt.Errorf("%w: bad JSON listing: nested over %d deep", errs.ErrInvalid, maxDepth)
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// html reads the anchors of a PEP 503 listing with the tokenizer (no tree): each <a> is
// a project, its text the name, else the last segment of its href.
func (lp *listParser) html(r io.Reader) (int64, error) {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(maxToken)
	var serial int64
	inA := false
	var text strings.Builder
	var href string
	for {
		switch z.Next() {
		case html.ErrorToken:
			err := z.Err()
			if errors.Is(err, io.EOF) {
				return serial, nil
			}
			if errors.Is(err, html.ErrBufferExceeded) {
				return 0, fmt.Errorf("%w: bad HTML listing: a tag or text over %d bytes", errs.ErrInvalid, maxToken)
			}
			return 0, err
		case html.CommentToken:
			if n, ok := commentSerial(string(z.Text())); ok {
				serial = n
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch atom.Lookup(name) {
			case atom.A:
				inA, href = true, ""
				text.Reset()
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "href" {
						href = string(v)
					}
				}
			case atom.Meta:
				var metaName, content string
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					switch string(k) {
					case "name":
						metaName = string(v)
					case "content":
						content = string(v)
					}
				}
				if metaName == "pypi:repository-version" {
					if major, _, _ := strings.Cut(content, "."); major != "1" {
						return 0, fmt.Errorf("%w: unsupported repository version %.40q", errs.ErrInvalid, content)
					}
				}
			}
		case html.TextToken:
			if inA {
				if text.Len()+len(z.Raw()) > 4*lp.lim.maxName+64 {
					return 0, fmt.Errorf("%w: a project name over %d bytes", errs.ErrInvalid, lp.lim.maxName)
				}
				text.Write(z.Text())
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); atom.Lookup(name) != atom.A || !inA {
				continue
			}
			inA = false
			if isParentLink(href) {
				continue // an autoindex's parent link
			}
			// An autoindex writes directories as "name/".
			name := strings.TrimSuffix(strings.TrimSpace(text.String()), "/")
			if name == "" {
				name = strings.Trim(href, "/")
				name = name[strings.LastIndex(name, "/")+1:]
			}
			if name == "" && href == "" {
				continue // an anchor without a project
			}
			if err := lp.emit(ListEntry{Name: name}); err != nil {
				return 0, err
			}
		}
	}
}
