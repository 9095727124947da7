package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rawConn dials the test server.
func (e *testEnv) rawConn() net.Conn {
	e.t.Helper()
	c, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

// uploadHead is the start of a legacy upload whose file part is size bytes long: the
// request head and the multipart body up to the file's content.
func uploadHead(host string, size int) string {
	const boundary = "trickle-boundary"
	part := "--" + boundary + "\r\nContent-Disposition: form-data; name=\":action\"\r\n\r\nfile_upload\r\n" +
		"--" + boundary + "\r\nContent-Disposition: form-data; name=\"content\"; filename=\"slow-1.0-py3-none-any.whl\"\r\n" +
		"Content-Type: application/octet-stream\r\n\r\n"
	tail := "\r\n--" + boundary + "--\r\n"
	return fmt.Sprintf("POST /legacy/ HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\n\r\n%s",
		host, adminSecret, boundary, len(part)+size+len(tail), part)
}

// TestSlowUploadCut: a client that trickles an upload body (one byte every 100 ms, far
// under the minimum rate) is answered 408 naming the limit within a bounded time, and its
// spool file is removed. So is one that stops sending altogether.
func TestSlowUploadCut(t *testing.T) {
	window := 700 * time.Millisecond
	e := newEnv(t, Config{BodyMinBytes: 4 << 10, BodyWindow: window})
	for _, tc := range []struct {
		name  string
		every time.Duration // 0: send nothing after the head
	}{
		{"trickle", 100 * time.Millisecond},
		{"stall", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.rawConn()
			start := time.Now()
			if _, err := io.WriteString(c, uploadHead(e.srv.Listener.Addr().String(), 1<<20)); err != nil {
				t.Fatal(err)
			}
			// Wait for the spool file: the server has started receiving the upload.
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				if left, _ := os.ReadDir(e.spool); len(left) > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no spool file appeared")
				}
			}
			answered := make(chan string, 1)
			go func() {
				_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					answered <- "error: " + err.Error()
					return
				}
				b, _ := io.ReadAll(resp.Body)
				answered <- fmt.Sprintf("%d %s", resp.StatusCode, b)
			}()
			var got string
		trickle:
			for {
				if tc.every == 0 {
					got = <-answered
					break
				}
				select {
				case got = <-answered:
					break trickle
				case <-time.After(tc.every):
					if _, err := c.Write([]byte{'x'}); err != nil {
						got = <-answered
						break trickle
					}
				}
			}
			elapsed := time.Since(start)
			if !strings.HasPrefix(got, "408 ") || !strings.Contains(got, "minimum body rate") || !strings.Contains(got, "4.0 KiB in 700ms") {
				t.Errorf("answer %q, want 408 naming the minimum body rate", got)
			}
			if elapsed > 3*window+time.Second {
				t.Errorf("cut after %s, want about %s", elapsed, window)
			}
			if err := e.spoolEmpty(); err != nil {
				t.Error(err)
			}
		})
	}
	// The server still answers.
	if resp := e.request(http.MethodGet, "/simple/", nil); resp.StatusCode != 200 {
		t.Fatalf("after the cuts: %d", resp.StatusCode)
	}
}

// TestSlowSteadyUploadKept: an upload slower than a window in total but above the minimum
// rate is not cut (no whole-request timeout).
func TestSlowSteadyUploadKept(t *testing.T) {
	window := 800 * time.Millisecond // generous: a loaded machine delays the sender
	e := newEnv(t, Config{BodyMinBytes: 1 << 10, BodyWindow: window, WriteTimeout: window})
	whl := makeWheel(t, "steady", "1.0", wheelOpts{padding: 40 << 10})
	b, ct := form{filename: wheelName("steady", "1.0"), content: whl}.body()
	body := b.Bytes()
	pr, pw := io.Pipe()
	go func() {
		for len(body) > 0 {
			n := min(len(body), 2<<10)
			if _, err := pw.Write(body[:n]); err != nil {
				return
			}
			body = body[n:]
			time.Sleep(100 * time.Millisecond)
		}
		pw.Close()
	}()
	start := time.Now()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/legacy/", pr)
	req.ContentLength = int64(b.Len())
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+adminSecret)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := readBody(t, resp); resp.StatusCode != 200 {
		t.Fatalf("steady upload: %d %s", resp.StatusCode, got)
	}
	if took := time.Since(start); took < 2*window {
		t.Fatalf("the upload took %s, not several windows: the test proves nothing", took)
	}
}

// TestSlowHeadersCut: a client that never finishes its request headers is disconnected
// after the header timeout.
func TestSlowHeadersCut(t *testing.T) {
	e := newEnv(t, Config{HeaderTimeout: 500 * time.Millisecond})
	c := e.rawConn()
	start := time.Now()
	if _, err := io.WriteString(c, "GET /simple/ HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("still connected after %s", time.Since(start))
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("cut after %s, want about 500ms", took)
	}
}

// TestStalledDownloadCut: a client that stops reading a large response is cut once a write
// stalls past the write timeout, while the response is still being sent; a client that
// reads is served the whole of it.
func TestStalledDownloadCut(t *testing.T) {
	big := filepath.Join(t.TempDir(), "client")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	const size = 64 << 20 // sparse: far more than the socket buffers hold
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	e := newEnv(t, Config{ClientBinary: big, WriteTimeout: 500 * time.Millisecond})

	c := e.rawConn()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(16 << 10)
	}
	if _, err := io.WriteString(c, "GET /api/client HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // stall: the server's writes block, then time out
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	n, _ := io.Copy(io.Discard, c)
	if n >= size {
		t.Fatalf("the stalled client still received all %d bytes", n)
	}

	resp := e.request(http.MethodGet, "/api/client", nil)
	n, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != size {
		t.Fatalf("a reading client got %d bytes, err %v; want %d", n, err, size)
	}
}
