package server

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReusedFilenameStatusLine: a reused filename is refused with PyPI's text in the status
// line itself (twine prints the reason phrase without --verbose), with a well-formed
// response around it: the body kept, a matching Content-Length, Connection: close.
func TestReusedFilenameStatusLine(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustUpload(wheelName("taken", "1.0"), makeWheel(t, "taken", "1.0", wheelOpts{}))
	b, ct := form{filename: wheelName("taken", "1.0"), content: makeWheel(t, "taken", "1.0", wheelOpts{summary: "other"})}.body()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/legacy/", b)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	k, v, _ := strings.Cut(basic(adminSecret), ": ")
	req.Header.Set(k, v)

	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if want := "HTTP/1.1 400 File already exists."; !strings.HasPrefix(line, want) || !strings.HasSuffix(line, "\r\n") {
		t.Fatalf("status line %q, want it to start with %q", line, want)
	}
	var hdr []string
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if l == "\r\n" {
			break
		}
		hdr = append(hdr, strings.TrimRight(l, "\r\n"))
	}
	h := http.Header{}
	for _, l := range hdr {
		k, v, ok := strings.Cut(l, ": ")
		if !ok {
			t.Fatalf("malformed header line %q", l)
		}
		h.Add(k, v)
	}
	body, err := io.ReadAll(br) // the server closes the connection after the body
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := strconv.Atoi(h.Get("Content-Length")); n != len(body) || h.Get("Connection") != "close" || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Fatalf("headers %v for a body of %d bytes", h, len(body))
	}
	if !strings.Contains(string(body), "File already exists") {
		t.Fatalf("body %q", body)
	}
	// Go's client reads the same response.
	b2, ct2 := form{filename: wheelName("taken", "1.0"), content: makeWheel(t, "taken", "1.0", wheelOpts{summary: "third"})}.body()
	resp := e.request(http.MethodPost, "/legacy/", b2, "Content-Type: "+ct2, basic(adminSecret))
	if got := readBody(t, resp); resp.StatusCode != 400 || !strings.HasPrefix(resp.Status, "400 File already exists") || !strings.Contains(got, "File already exists") {
		t.Fatalf("second refusal: %q %q", resp.Status, got)
	}
}

// TestReusedFilenameBodySaysWhy: behind PyPI's status line, the body of a refused upload
// keeps the domain's message: which file is already there for a PEP 440-equal version, and
// whether a filename came back after a removal or after a rollback.
func TestReusedFilenameBodySaysWhy(t *testing.T) {
	e := newEnv(t, Config{})
	upload := func(filename string, content []byte) (*http.Response, string) {
		b, ct := form{filename: filename, content: content}.body()
		resp := e.request(http.MethodPost, "/legacy/", b, "Content-Type: "+ct, basic(adminSecret))
		return resp, readBody(t, resp)
	}
	e.mustUpload(wheelName("taken", "1.0"), makeWheel(t, "taken", "1.0", wheelOpts{}))
	resp, body := upload(wheelName("taken", "01.0"), makeWheel(t, "taken", "01.0", wheelOpts{summary: "other"}))
	if !strings.HasPrefix(resp.Status, "400 File already exists") || !strings.Contains(body, wheelName("taken", "1.0")+" is already there") {
		t.Errorf("PEP 440-equal version: %q %q", resp.Status, body)
	}

	e.mustUpload(wheelName("gone", "1.0"), makeWheel(t, "gone", "1.0", wheelOpts{}))
	if resp := e.request(http.MethodDelete, "/api/repositories/main/projects/gone/versions/1.0", nil, basic(adminSecret)); resp.StatusCode/100 != 2 {
		t.Fatalf("remove: %s %s", resp.Status, readBody(t, resp))
	}
	resp, body = upload(wheelName("gone", "1.0"), makeWheel(t, "gone", "1.0", wheelOpts{summary: "other"}))
	if !strings.HasPrefix(resp.Status, "400 This filename has already been used") || !strings.Contains(body, "was removed in repository version") {
		t.Errorf("after removal: %q %q", resp.Status, body)
	}

	resp = e.request(http.MethodGet, "/api/repositories/main", nil, basic(adminSecret))
	var repo struct{ Latest int }
	if err := json.Unmarshal([]byte(readBody(t, resp)), &repo); err != nil {
		t.Fatal(err)
	}
	e.mustUpload(wheelName("back", "1.0"), makeWheel(t, "back", "1.0", wheelOpts{}))
	rb := strings.NewReader(`{"to":` + strconv.Itoa(repo.Latest) + `}`)
	if resp := e.request(http.MethodPost, "/api/repositories/main/rollback", rb, basic(adminSecret), "Content-Type: application/json"); resp.StatusCode != 200 {
		t.Fatalf("rollback: %s %s", resp.Status, readBody(t, resp))
	}
	resp, body = upload(wheelName("back", "1.0"), makeWheel(t, "back", "1.0", wheelOpts{summary: "other"}))
	if !strings.HasPrefix(resp.Status, "400 This filename has already been used") || !strings.Contains(body, "was rolled back in repository version") {
		t.Errorf("after rollback: %q %q", resp.Status, body)
	}
}

// TestWrongTokenMessage: a token the server does not know is refused with one plain
// sentence, not "the API token is not valid: invalid token".
func TestWrongTokenMessage(t *testing.T) {
	e := newEnv(t, Config{})
	resp := e.request(http.MethodGet, "/api/tokens", nil, basic("pyd_not-a-token-of-this-server"))
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not valid") || strings.Contains(body, "invalid token") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

// TestUploadConflictMessageEnd: the management API's upload conflicts end with the
// explanation, not with the sentinel's name (": filename reused").
func TestUploadConflictMessageEnd(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustUpload(wheelName("gone", "1.0"), makeWheel(t, "gone", "1.0", wheelOpts{}))
	if resp := e.request(http.MethodDelete, "/api/repositories/main/projects/gone/versions/1.0", nil, basic(adminSecret)); resp.StatusCode/100 != 2 {
		t.Fatalf("remove: %s %s", resp.Status, readBody(t, resp))
	}
	e.mustUpload(wheelName("gone", "2.0"), makeWheel(t, "gone", "2.0", wheelOpts{}))
	for _, name := range []string{wheelName("gone", "1.0"), wheelName("gone", "02.0")} {
		b, ct := form{filename: name, content: makeWheel(t, "gone", strings.Split(name, "-")[1], wheelOpts{summary: "other"})}.body()
		resp := e.request(http.MethodPost, "/api/repositories/main/upload", b, "Content-Type: "+ct, basic(adminSecret))
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusConflict || strings.Contains(body, "filename reused\"") || strings.Contains(body, "these tags\"") {
			t.Errorf("%s: %d %s", name, resp.StatusCode, body)
		}
	}
}
