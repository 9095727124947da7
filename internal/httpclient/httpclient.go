// Package httpclient builds the one HTTP client a pydepot command uses for every server
// it talks to (the management API, simple indexes, file downloads). It is a leaf so that
// the client-side packages can share it without depending on the CLI.
//
// Nothing in pydepot uses http.DefaultClient, which has no timeouts: a command builds one
// client with New and passes it down; a package given none builds its own with New.
package httpclient

import (
	"net"
	"net/http"
	"time"
)

// DefaultResponseTimeout bounds the wait for a server's answer once a request is sent:
// long enough for the server to inspect a large upload, short enough that a server that
// hangs does not hang the command.
const DefaultResponseTimeout = 5 * time.Minute

// New returns a client whose connecting and TLS handshake get 10 s each and the answer's
// headers responseTimeout; a body (an upload, a download) may take as long as it needs,
// bounded by the caller's context.
func New(responseTimeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: responseTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
		ForceAttemptHTTP2:     true,
	}}
}

// OrNew returns hc, or a new client from New(DefaultResponseTimeout) when hc is nil.
func OrNew(hc *http.Client) *http.Client {
	if hc != nil {
		return hc
	}
	return New(DefaultResponseTimeout)
}
