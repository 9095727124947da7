// Package httpclient builds the one HTTP client a pydepot command uses for every server
// it talks to (the management API, simple indexes, file downloads). It is a leaf so that
// the client-side packages can share it without depending on the CLI.
//
// Nothing in pydepot uses http.DefaultClient, which has no timeouts: a command builds one
// client with New and passes it down; a package given none builds its own with New. A
// remote index that needs its own proxy, CA or relaxed verification gets a client of its
// own from NewWith.
package httpclient

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
)

// DefaultResponseTimeout bounds the wait for a server's answer once a request is sent:
// long enough for the server to inspect a large upload, short enough that a server that
// hangs does not hang the command.
const DefaultResponseTimeout = 5 * time.Minute

// Config is the transport of one client (one remote index, say).
type Config struct {
	// ResponseTimeout bounds the wait for the answer's headers (0 = DefaultResponseTimeout).
	ResponseTimeout time.Duration
	// Proxy is the proxy URL (http://, https:// or socks5://, userinfo allowed) every
	// request goes through; "" means the environment's (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
	Proxy string
	// CACertFile is a PEM file of CA certificates trusted besides the system's;
	// CACertPEM the same certificates given as bytes (a remote keeps its bundle in the
	// database). Both may be given.
	CACertFile string
	CACertPEM  []byte
	// Insecure skips the verification of the server's certificate (never the default).
	Insecure bool
	// MaxIdleConnsPerHost is how many kept-alive connections per host wait for reuse
	// (default 4; a sync running N downloads at once wants N).
	MaxIdleConnsPerHost int
}

// New returns a client whose connecting and TLS handshake get 10 s each and the answer's
// headers responseTimeout; a body (an upload, a download) may take as long as it needs,
// bounded by the caller's context.
func New(responseTimeout time.Duration) *http.Client {
	c, _ := NewWith(Config{ResponseTimeout: responseTimeout}) // cannot fail without proxy or CA file
	return c
}

// NewWith returns a client as New does, with cfg's proxy and TLS settings. Errors wrap
// errs.ErrInvalid: a proxy URL that does not parse or has another scheme, a CA file that
// cannot be read or holds no PEM certificate.
func NewWith(cfg Config) (*http.Client, error) {
	if cfg.ResponseTimeout <= 0 {
		cfg.ResponseTimeout = DefaultResponseTimeout
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: cfg.ResponseTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   max(cfg.MaxIdleConnsPerHost, 4),
		ForceAttemptHTTP2:     true,
	}
	if cfg.Proxy != "" {
		u, err := url.Parse(cfg.Proxy)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5" && u.Scheme != "socks5h") {
			return nil, fmt.Errorf("proxy %q: want http://HOST:PORT, https://HOST:PORT or socks5://HOST:PORT: %w", redact(cfg.Proxy), errs.ErrInvalid)
		}
		t.Proxy = http.ProxyURL(u)
	}
	if cfg.CACertFile != "" || len(cfg.CACertPEM) > 0 || cfg.Insecure {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if cfg.CACertFile != "" || len(cfg.CACertPEM) > 0 {
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			if cfg.CACertFile != "" {
				pem, err := readCapped(cfg.CACertFile, MaxCACertFile)
				if err != nil {
					return nil, fmt.Errorf("CA certificate file: %v: %w", err, errs.ErrInvalid)
				}
				if !pool.AppendCertsFromPEM(pem) {
					return nil, fmt.Errorf("CA certificate file %s: no PEM certificate in it: %w", cfg.CACertFile, errs.ErrInvalid)
				}
			}
			if len(cfg.CACertPEM) > 0 && !pool.AppendCertsFromPEM(cfg.CACertPEM) {
				return nil, fmt.Errorf("CA certificates: no PEM certificate in them: %w", errs.ErrInvalid)
			}
			tc.RootCAs = pool
		}
		tc.InsecureSkipVerify = cfg.Insecure //nolint:gosec // asked for, per remote (--insecure)
		t.TLSClientConfig = tc
	}
	return &http.Client{Transport: t}, nil
}

// redact drops the password of a URL for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

// OrNew returns hc, or a new client from New(DefaultResponseTimeout) when hc is nil.
func OrNew(hc *http.Client) *http.Client {
	if hc != nil {
		return hc
	}
	return New(DefaultResponseTimeout)
}

// MaxCACertFile bounds a CA certificate file (a bundle of every public CA is ~250 KB).
const MaxCACertFile = 1 << 20

// readCapped reads a whole file of at most limit bytes.
func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is over %d bytes", path, limit)
	}
	return b, nil
}
