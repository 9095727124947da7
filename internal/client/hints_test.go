package client

import (
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
)

func TestParseServerURL(t *testing.T) {
	for raw, want := range map[string]string{
		"http://127.0.0.1:8080":        "http://127.0.0.1:8080",
		"http://127.0.0.1:8080/":       "http://127.0.0.1:8080",
		"https://pypi.example.com":     "https://pypi.example.com",
		"https://example.com/pydepot/": "https://example.com/pydepot",
	} {
		if got, err := ParseServerURL(raw); err != nil || got != want {
			t.Errorf("ParseServerURL(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for raw, want := range map[string]string{
		"127.0.0.1:8080":            "such as http://127.0.0.1:8080",
		"localhost:8080":            "such as http://localhost:8080",
		"ftp://h":                   `scheme "ftp"`,
		"http://":                   "no host",
		"http://h:8080/simple/":     "such as http://h:8080",
		"http://h/team/dev/simple/": "/simple/ URL, not its root",
		"http://h/legacy/":          "/legacy/",
		"http://h/api/":             "/api/",
		"http://h/?x=1":             "query",
	} {
		_, err := ParseServerURL(raw)
		if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "set PYDEPOT_URL") {
			t.Errorf("ParseServerURL(%q): %v; want an ErrInvalid naming %q and PYDEPOT_URL", raw, err, want)
		}
	}
	// A client made with a bad URL refuses every call with that error, before any I/O.
	if _, err := New("localhost:8080", "", nil).Repositories(t.Context()); !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "PYDEPOT_URL") {
		t.Fatalf("client with a bad URL: %v", err)
	}
}

// TestHints: a refused connection asks whether 'pydepot serve' runs there; a 401 says
// what to set, depending on whether a token was sent.
func TestHints(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	_, err = New(closed, "", nil).Repositories(t.Context())
	if !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), "is 'pydepot serve' running at "+closed+"?") {
		t.Fatalf("refused connection: %v", err)
	}
	if strings.Count(err.Error(), closed) != 2 {
		t.Errorf("the URL is repeated: %v", err)
	}

	srv := realServer(t)
	_, err = New(srv.URL, "", srv.Client()).Repositories(t.Context())
	if !errors.Is(err, errs.ErrUnauthorized) || !strings.Contains(err.Error(), "set PYDEPOT_TOKEN") {
		t.Fatalf("no token: %v", err)
	}
	_, err = New(srv.URL, "not-a-token-of-this-server", srv.Client()).Repositories(t.Context())
	if !errors.Is(err, errs.ErrUnauthorized) || !strings.Contains(err.Error(), "does not accept the token in PYDEPOT_TOKEN") {
		t.Fatalf("bad token: %v", err)
	}
}
