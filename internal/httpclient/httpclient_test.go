package httpclient

import (
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
)

// testProxy is a forward proxy: absolute-URI requests for plain http, CONNECT tunnels
// for https. It counts both and records the Proxy-Authorization it saw.
type testProxy struct {
	*httptest.Server
	forwarded, tunnels atomic.Int64
	auth               atomic.Value
}

func newTestProxy(t *testing.T) *testProxy {
	p := &testProxy{}
	p.auth.Store("")
	upstream := &http.Transport{}
	t.Cleanup(upstream.CloseIdleConnections)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.auth.Store(r.Header.Get("Proxy-Authorization"))
		if r.Method == http.MethodConnect {
			p.tunnels.Add(1)
			dst, err := net.DialTimeout("tcp", r.Host, 5*time.Second)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			w.WriteHeader(http.StatusOK)
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				dst.Close()
				return
			}
			go func() { io.Copy(dst, buf); dst.Close() }()
			io.Copy(conn, dst)
			conn.Close()
			return
		}
		if !r.URL.IsAbs() {
			http.Error(w, "not a proxy request", http.StatusBadRequest)
			return
		}
		p.forwarded.Add(1)
		out, _ := http.NewRequestWithContext(r.Context(), r.Method, r.URL.String(), r.Body)
		resp, err := upstream.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(p.Close)
	return p
}

func get(t *testing.T, c *http.Client, url string) error {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "hello" {
		t.Errorf("GET %s: %d %q", url, resp.StatusCode, body)
	}
	return nil
}

func hello(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }

// TestCACertFile: a server whose CA is in the file is trusted; without the file it is
// not; --insecure trusts any.
func TestCACertFile(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(hello))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := New(time.Minute)
	if err := get(t, plain, srv.URL); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA: %v", err)
	}
	withCA, err := NewWith(Config{CACertFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	if err := get(t, withCA, srv.URL); err != nil {
		t.Errorf("with the CA file: %v", err)
	}
	pemBytes, _ := os.ReadFile(ca)
	withPEM, err := NewWith(Config{CACertPEM: pemBytes, MaxIdleConnsPerHost: 8})
	if err != nil {
		t.Fatal(err)
	}
	if err := get(t, withPEM, srv.URL); err != nil {
		t.Errorf("with the CA as bytes: %v", err)
	}
	if n := withPEM.Transport.(*http.Transport).MaxIdleConnsPerHost; n != 8 {
		t.Errorf("MaxIdleConnsPerHost %d", n)
	}
	if _, err := NewWith(Config{CACertPEM: []byte("junk")}); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("CA bytes without PEM: %v", err)
	}
	insecure, err := NewWith(Config{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := get(t, insecure, srv.URL); err != nil {
		t.Errorf("insecure: %v", err)
	}
	notPEM := filepath.Join(t.TempDir(), "x.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o644)
	for _, bad := range []string{notPEM, filepath.Join(t.TempDir(), "missing.pem")} {
		if _, err := NewWith(Config{CACertFile: bad}); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("CA file %s: %v", bad, err)
		}
	}
}

// TestProxy: every request goes through the configured proxy (plain http forwarded,
// https tunnelled with CONNECT and still verified against the CA file), with the
// proxy's credentials; a proxy URL of another scheme is refused.
func TestProxy(t *testing.T) {
	proxy := newTestProxy(t)
	plainSrv := httptest.NewServer(http.HandlerFunc(hello))
	defer plainSrv.Close()
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(hello))
	defer tlsSrv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}), 0o644)

	proxyURL := strings.Replace(proxy.URL, "http://", "http://bob:pw@", 1)
	c, err := NewWith(Config{Proxy: proxyURL, CACertFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	if err := get(t, c, plainSrv.URL+"/x"); err != nil {
		t.Fatal(err)
	}
	if proxy.forwarded.Load() != 1 {
		t.Errorf("plain request: %d forwarded by the proxy, want 1", proxy.forwarded.Load())
	}
	if got := proxy.auth.Load().(string); !strings.HasPrefix(got, "Basic ") {
		t.Errorf("the proxy saw Proxy-Authorization %q", got)
	}
	if err := get(t, c, tlsSrv.URL+"/y"); err != nil {
		t.Fatal(err)
	}
	if proxy.tunnels.Load() != 1 {
		t.Errorf("https request: %d CONNECT tunnels, want 1", proxy.tunnels.Load())
	}
	noCA, _ := NewWith(Config{Proxy: proxy.URL})
	if err := get(t, noCA, tlsSrv.URL+"/z"); err == nil {
		t.Error("through the proxy, an untrusted certificate was accepted")
	}
	for _, bad := range []string{"ftp://proxy:21", "proxy:3128", "http://"} {
		if _, err := NewWith(Config{Proxy: bad}); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("proxy %q: %v", bad, err)
		}
	}
	if _, err := NewWith(Config{Proxy: "ftp://u:secret@proxy"}); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("the error shows the proxy password: %v", err)
	}
}

// TestCACertFileCapped: a CA file over MaxCACertFile is refused naming the bound, not read
// whole (it is valid PEM, so only the size can refuse it).
func TestCACertFileCapped(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(hello))
	defer srv.Close()
	one := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	big := filepath.Join(t.TempDir(), "big.pem")
	if err := os.WriteFile(big, []byte(strings.Repeat(string(one), MaxCACertFile/len(one)+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := NewWith(Config{ResponseTimeout: time.Minute, CACertFile: big})
	if err == nil || !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "over 1048576 bytes") {
		t.Fatalf("a CA file over the cap: %v", err)
	}
}
