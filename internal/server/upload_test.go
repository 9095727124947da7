package server

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/server/wire"
)

func TestLegacyUploadHappyPath(t *testing.T) {
	e := newEnv(t, Config{})
	whl := makeWheel(t, "demo-pkg", "1.0", wheelOpts{requiresPython: ">=3.8"})
	code, body := e.upload("/legacy/", adminSecret, form{filename: wheelName("demo-pkg", "1.0"), content: whl})
	if code != http.StatusOK {
		t.Fatalf("upload: %d %s", code, body)
	}
	before := e.state("main")
	if len(before.files) != 1 || before.versions != 2 {
		t.Fatalf("after one upload: %s", before)
	}
	// An identical re-upload answers 200 and changes nothing.
	code, body = e.upload("/legacy/", adminSecret, form{filename: wheelName("demo-pkg", "1.0"), content: whl})
	if code != http.StatusOK {
		t.Fatalf("re-upload: %d %s", code, body)
	}
	if after := e.state("main"); after.String() != before.String() {
		t.Fatalf("re-upload changed the repository: %s -> %s", before, after)
	}
	// Bearer works as well as Basic; the base-path form of the URL too.
	b, ct := form{filename: wheelName("demo-pkg", "1.1"), content: makeWheel(t, "demo-pkg", "1.1", wheelOpts{})}.body()
	resp := e.request(http.MethodPost, "/main/legacy/", b, "Content-Type: "+ct, "Authorization: Bearer "+adminSecret)
	if got := readBody(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("bearer upload: %d %s", resp.StatusCode, got)
	}
	// The answer says what the upload did, in headers: twine and pip read the status
	// only, and the body stays PyPI's.
	after := e.state("main")
	if got, v := resp.Header.Get(wire.UploadExistedHeader), resp.Header.Get(wire.RepositoryVersionHeader); got != "false" || v != fmt.Sprint(after.versions-1) {
		t.Errorf("new upload: %s %q, %s %q; the repository is at %s", wire.UploadExistedHeader, got, wire.RepositoryVersionHeader, v, after)
	}
	b, ct = form{filename: wheelName("demo-pkg", "1.1"), content: makeWheel(t, "demo-pkg", "1.1", wheelOpts{})}.body()
	resp = e.request(http.MethodPost, "/main/legacy/", b, "Content-Type: "+ct, "Authorization: Bearer "+adminSecret)
	if got := readBody(t, resp); resp.StatusCode != http.StatusOK || got != "OK\n" ||
		resp.Header.Get(wire.UploadExistedHeader) != "true" || resp.Header.Get(wire.RepositoryVersionHeader) != "" {
		t.Errorf("identical re-upload: %d %q %v", resp.StatusCode, got, resp.Header)
	}
	if err := e.spoolEmpty(); err != nil {
		t.Fatal(err)
	}
}

func TestLegacyUploadRealWheels(t *testing.T) {
	e := newEnv(t, Config{})
	for _, name := range []string{"wheel-0.38.4-py3-none-any.whl", "pip-23.0.1-py3-none-any.whl"} {
		data := readFile(t, "/usr/share/python-wheels/"+name)
		if code, body := e.upload("/legacy/", adminSecret, form{filename: name, content: data}); code != http.StatusOK {
			t.Fatalf("upload %s: %d %s", name, code, body)
		}
	}
	resp := e.request(http.MethodGet, "/simple/pip/", nil, "Accept: application/vnd.pypi.simple.v1+json")
	body := readBody(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(body, `"pip-23.0.1-py3-none-any.whl"`) || !strings.Contains(body, `"requires-python":"\u003e=3.7"`) {
		t.Fatalf("pip page: %d %s", resp.StatusCode, body)
	}
}

func TestLegacyRedirect(t *testing.T) {
	e := newEnv(t, Config{})
	for path, want := range map[string]string{"/legacy": "/legacy/", "/main/legacy": "/main/legacy/"} {
		resp := e.request(http.MethodPost, path, strings.NewReader("x"), "Content-Type: text/plain")
		resp.Body.Close()
		if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
			t.Errorf("POST %s: %d Location %q, want 308 %s", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
}

// TestLegacyUploadRefusals: every bad input gets its status and message and leaves the
// repository exactly as it was.
func TestLegacyUploadRefusals(t *testing.T) {
	e := newEnv(t, Config{MaxUpload: 4 << 20})
	e.mustUpload(wheelName("taken", "1.0"), makeWheel(t, "taken", "1.0", wheelOpts{}))
	readToken, _, err := e.svc.CreateToken(t.Context(), "reader", "read", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateRepository(t.Context(), "other", ""); err != nil {
		t.Fatal(err)
	}
	otherUpload, _, err := e.svc.CreateToken(t.Context(), "other-uploader", "upload", "other")
	if err != nil {
		t.Fatal(err)
	}
	good := makeWheel(t, "fine", "1.0", wheelOpts{})
	goodName := wheelName("fine", "1.0")
	zeros := strings.Repeat("\x00", 50<<20)

	tests := []struct {
		name     string
		token    string
		form     form
		rawBody  []byte // sent as is with a multipart content type when set
		status   int
		contains string
	}{
		{"no token", "", form{filename: goodName, content: good}, nil, 401, "token is required"},
		{"wrong token", "not-a-token", form{filename: goodName, content: good}, nil, 401, "not valid"},
		{"read-only token", readToken, form{filename: goodName, content: good}, nil, 403, "does not grant upload"},
		{"token for another repository", otherUpload, form{filename: goodName, content: good}, nil, 403, "does not grant upload on repository main"},
		{"garbage zip", adminSecret, form{filename: goodName, content: []byte("this is not a zip file at all")}, nil, 400, ""},
		{"truncated zip", adminSecret, form{filename: goodName, content: good[:len(good)/2]}, nil, 400, ""},
		{"zip bomb", adminSecret, form{filename: wheelName("bomb", "1.0"), content: makeWheel(t, "bomb", "1.0", wheelOpts{extra: []member{{name: "bomb/zeros.bin", body: zeros}}})}, nil, 400, "decompression bomb"},
		{"parent member path", adminSecret, form{filename: wheelName("evil", "1.0"), content: makeWheel(t, "evil", "1.0", wheelOpts{extra: []member{{name: "../../etc/evil.py", body: "x"}}})}, nil, 400, ".."},
		{"absolute member path", adminSecret, form{filename: wheelName("evil", "1.0"), content: makeWheel(t, "evil", "1.0", wheelOpts{extra: []member{{name: "/etc/evil.py", body: "x"}}})}, nil, 400, ""},
		{"symlink member", adminSecret, form{filename: wheelName("evil", "1.0"), content: makeWheel(t, "evil", "1.0", wheelOpts{extra: []member{{name: "evil/link", body: "/etc/passwd", mode: 0o777 | fs.ModeSymlink}}})}, nil, 400, "link"},
		{"filename disagrees with metadata", adminSecret, form{filename: wheelName("alpha", "1.0"), content: makeWheel(t, "alpha", "1.0", wheelOpts{metaName: "beta"})}, nil, 400, ""},
		{"version disagrees with metadata", adminSecret, form{filename: wheelName("alpha", "1.0"), content: makeWheel(t, "alpha", "1.0", wheelOpts{metaVersion: "2.0"})}, nil, 400, ""},
		{"form name disagrees", adminSecret, form{filename: goodName, content: good, fields: map[string]string{"name": "other"}}, nil, 400, ""},
		{"invalid version", adminSecret, form{filename: wheelName("alpha", "1.0.junk!"), content: makeWheel(t, "alpha", "1.0.junk!", wheelOpts{})}, nil, 400, ""},
		{"wrong sha256_digest", adminSecret, form{filename: goodName, content: good, fields: map[string]string{"sha256_digest": strings.Repeat("ab", 32)}}, nil, 400, "digest"},
		{"wrong md5_digest", adminSecret, form{filename: goodName, content: good, fields: map[string]string{"md5_digest": strings.Repeat("ab", 16)}}, nil, 400, "digest"},
		{"same filename other content", adminSecret, form{filename: wheelName("taken", "1.0"), content: makeWheel(t, "taken", "1.0", wheelOpts{summary: "changed"})}, nil, 400, "File already exists"},
		{"over the size limit", adminSecret, form{filename: wheelName("big", "1.0"), content: makeWheel(t, "big", "1.0", wheelOpts{padding: 5 << 20})}, nil, 413, "limit"},
		{"path in filename", adminSecret, form{filename: "../" + goodName, content: good}, nil, 400, "path"},
		{"no file", adminSecret, form{filename: goodName}, nil, 400, "does not have a file"},
		{"unknown action", adminSecret, form{filename: goodName, content: good, fields: map[string]string{":action": "submit"}}, nil, 400, ":action"},
		{"no action", adminSecret, form{filename: goodName, content: good, fields: map[string]string{":action": ""}}, nil, 400, ":action"},
		{"bad protocol", adminSecret, form{filename: goodName, content: good, fields: map[string]string{"protocol_version": "2"}}, nil, 400, "protocol_version"},
		{"wrong filetype", adminSecret, form{filename: goodName, content: good, fields: map[string]string{"filetype": "sdist"}}, nil, 400, "filetype"},
		{"sdist extension unknown", adminSecret, form{filename: "fine-1.0.exe", content: good}, nil, 400, ""},
		{"malformed multipart", adminSecret, form{}, []byte("--nope\r\nwhatever"), 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.state("main")
			var code int
			var body string
			if tc.rawBody != nil {
				hdr := []string{"Content-Type: multipart/form-data; boundary=xyz", basic(tc.token)}
				resp := e.request(http.MethodPost, "/legacy/", bytes.NewReader(tc.rawBody), hdr...)
				code, body = resp.StatusCode, readBody(t, resp)
			} else {
				code, body = e.upload("/legacy/", tc.token, tc.form)
			}
			t.Logf("%d %s", code, strings.TrimSpace(body))
			switch {
			case tc.status == 0 && code != 400 && code != 413:
				t.Errorf("status %d, want 400 or 413; body %q", code, body)
			case tc.status != 0 && code != tc.status:
				t.Errorf("status %d, want %d; body %q", code, tc.status, body)
			}
			if !strings.Contains(body, tc.contains) {
				t.Errorf("body %q does not say %q", body, tc.contains)
			}
			if len(strings.TrimSpace(body)) < 10 {
				t.Errorf("body %q does not explain the refusal", body)
			}
			if after := e.state("main"); after.String() != before.String() {
				t.Errorf("repository changed: %s -> %s", before, after)
			}
			if err := e.spoolEmpty(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestLegacyUploadTooLargeChunked: without a Content-Length the limit holds while reading.
func TestLegacyUploadTooLargeChunked(t *testing.T) {
	e := newEnv(t, Config{MaxUpload: 1 << 20})
	before := e.state("main")
	b, ct := form{filename: wheelName("big", "1.0"), content: makeWheel(t, "big", "1.0", wheelOpts{padding: 2 << 20})}.body()
	// io.MultiReader hides the length, so the client sends the body chunked.
	resp := e.request(http.MethodPost, "/legacy/", io.MultiReader(b), "Content-Type: "+ct, basic(adminSecret))
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d %q, want 413", resp.StatusCode, body)
	}
	if after := e.state("main"); after.String() != before.String() {
		t.Fatalf("repository changed: %s -> %s", before, after)
	}
	if err := e.spoolEmpty(); err != nil {
		t.Fatal(err)
	}
}

// TestLegacyUploadConcurrentSameFilename: two uploads of one filename with different
// bytes: exactly one is stored, the other gets 400 File already exists.
func TestLegacyUploadConcurrentSameFilename(t *testing.T) {
	e := newEnv(t, Config{})
	for round := range 5 {
		name := wheelName("race", fmt.Sprintf("1.%d", round))
		contents := [][]byte{
			makeWheel(t, "race", fmt.Sprintf("1.%d", round), wheelOpts{summary: "first"}),
			makeWheel(t, "race", fmt.Sprintf("1.%d", round), wheelOpts{summary: "second"}),
		}
		var wg sync.WaitGroup
		codes := make([]int, 2)
		bodies := make([]string, 2)
		for i := range 2 {
			wg.Go(func() {
				codes[i], bodies[i] = e.upload("/legacy/", adminSecret, form{filename: name, content: contents[i]})
			})
		}
		wg.Wait()
		ok, exists := 0, 0
		for i := range 2 {
			switch {
			case codes[i] == 200:
				ok++
			case codes[i] == 400 && strings.Contains(bodies[i], "File already exists"):
				exists++
			default:
				t.Errorf("round %d: unexpected answer %d %q", round, codes[i], bodies[i])
			}
		}
		if ok != 1 || exists != 1 {
			t.Fatalf("round %d: %d stored, %d refused; want 1 and 1", round, ok, exists)
		}
		st := e.state("main")
		if len(st.files) != round+1 {
			t.Fatalf("round %d: files %v", round, st.files)
		}
	}
}

// TestLegacyUploadDisconnect: a client that goes away in the middle of the body leaves no
// blob, no row and no spooled file.
func TestLegacyUploadDisconnect(t *testing.T) {
	e := newEnv(t, Config{})
	before := e.state("main")
	b, ct := form{filename: wheelName("gone", "1.0"), content: makeWheel(t, "gone", "1.0", wheelOpts{padding: 2 << 20})}.body()
	full := b.Bytes()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /legacy/ HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n\r\n", ct, len(full), basic(adminSecret))
	if _, err := conn.Write(full[:len(full)*2/3]); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	time.Sleep(300 * time.Millisecond)
	if err := e.spoolEmpty(); err != nil {
		t.Fatal(err)
	}
	// Let the handler finish, then nothing may have changed.
	resp := e.request(http.MethodGet, "/simple/", nil)
	resp.Body.Close()
	if after := e.state("main"); after.String() != before.String() {
		t.Fatalf("repository changed: %s -> %s", before, after)
	}
}
