package simpleindex_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/pydepot/pydepot/internal/buildinfo"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/simpleindex"
	"github.com/pydepot/pydepot/internal/testserver"
)

const admin = "simpleindex-test-admin"

// pydepotServer runs the real pydepot stack with the wheel package in main, served
// publicly at /simple/ and privately at /secret/simple/; wrap, when not nil, wraps its
// handler.
func pydepotServer(t *testing.T, wrap func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	upload := testserver.UploadFiles("main", pick(t, realWheels(t), "wheel-"))
	return testserver.Start(t, testserver.Options{Admin: admin, Wrap: wrap, Setup: func(ctx context.Context, svc *index.Service) error {
		if err := upload(ctx, svc); err != nil {
			return err
		}
		_, err := svc.CreateDistribution(ctx, index.Distribution{BasePath: "secret", Repository: "main"})
		return err
	}}).Server
}

// TestHintsFromPydepot: a 401 from a private index says to set PYDEPOT_TOKEN or
// ~/.netrc; a refused connection asks whether 'pydepot serve' runs there.
func TestHintsFromPydepot(t *testing.T) {
	srv := pydepotServer(t, nil)
	ctx := t.Context()
	c, err := simpleindex.New([]string{srv.URL + "/secret/simple/"}, srv.Client(), simpleindex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Project(ctx, "wheel")
	if !errors.Is(err, errs.ErrUnauthorized) || !strings.Contains(err.Error(), "PYDEPOT_TOKEN") || !strings.Contains(err.Error(), "~/.netrc") {
		t.Fatalf("anonymous read of a private index: %v", err)
	}
	c, _ = simpleindex.New([]string{srv.URL + "/secret/simple/"}, srv.Client(), simpleindex.Options{Token: "wrong-token-for-this-index"})
	if _, err = c.Project(ctx, "wheel"); !errors.Is(err, errs.ErrUnauthorized) || !strings.Contains(err.Error(), "the index refused the token (PYDEPOT_TOKEN)") {
		t.Fatalf("wrong token: %v", err)
	}
	netrc := filepath.Join(t.TempDir(), "netrc")
	if err := os.WriteFile(netrc, []byte("machine 127.0.0.1 login __token__ password wrong-token-in-netrc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _ = simpleindex.New([]string{srv.URL + "/secret/simple/"}, srv.Client(), simpleindex.Options{NetrcPath: netrc})
	if _, err = c.Project(ctx, "wheel"); !errors.Is(err, errs.ErrUnauthorized) || !strings.Contains(err.Error(), "refused the netrc entry for 127.0.0.1") {
		t.Fatalf("wrong netrc entry: %v", err)
	}
	c, _ = simpleindex.New([]string{srv.URL + "/secret/simple/"}, srv.Client(), simpleindex.Options{Token: admin})
	if _, err = c.Project(ctx, "wheel"); err != nil {
		t.Fatalf("with the token: %v", err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	c, _ = simpleindex.New([]string{closed + "/simple/"}, nil, simpleindex.Options{})
	_, err = c.Project(ctx, "wheel")
	if !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), "is 'pydepot serve' running at "+closed+"?") {
		t.Fatalf("refused connection: %v", err)
	}
	for _, bad := range []string{"127.0.0.1:8080/simple/", "ftp://h/simple/", "http:///simple/"} {
		if _, err := simpleindex.New([]string{bad}, nil, simpleindex.Options{}); !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "http://127.0.0.1:8080/simple/") {
			t.Errorf("index URL %q: %v", bad, err)
		}
	}
}

// versionRewriter answers as a server of version v would, and records the versions that
// requests carried.
type versionRewriter struct {
	http.ResponseWriter
	v string
}

func (w versionRewriter) WriteHeader(code int) {
	w.Header().Set(buildinfo.VersionHeader, w.v)
	w.ResponseWriter.WriteHeader(code)
}

func (w versionRewriter) Write(p []byte) (int, error) {
	w.Header().Set(buildinfo.VersionHeader, w.v)
	return w.ResponseWriter.Write(p)
}

// TestVersionHeaderAndMismatch: every request carries the client's version, as the CLI's
// client sends it, and a server of another version is warned about once.
func TestVersionHeaderAndMismatch(t *testing.T) {
	var mu sync.Mutex
	var sent []string
	srv := pydepotServer(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			sent = append(sent, r.Header.Get(buildinfo.VersionHeader)+" "+r.UserAgent())
			mu.Unlock()
			next.ServeHTTP(versionRewriter{w, "99.0.0"}, r)
		})
	})
	var warn bytes.Buffer
	c, err := simpleindex.New([]string{srv.URL + "/simple/"}, srv.Client(), simpleindex.Options{Warnings: &warn, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.Project(t.Context(), "wheel")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Metadata(t.Context(), page.Files[0]); err != nil {
		t.Fatal(err)
	}
	if err := c.Download(t.Context(), page.Files[0], &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := append([]string(nil), sent...)
	mu.Unlock()
	if len(got) < 3 {
		t.Fatalf("%d requests", len(got))
	}
	for _, s := range got {
		if s != buildinfo.Version+" "+buildinfo.UserAgent() {
			t.Errorf("request sent version and agent %q, want %q", s, buildinfo.Version+" "+buildinfo.UserAgent())
		}
	}
	w := warn.String()
	if strings.Count(w, "warning") != 1 || !strings.Contains(w, "99.0.0") || !strings.Contains(w, srv.URL+"/api/client") {
		t.Fatalf("warnings: %q", w)
	}

	// Without Warnings, the warning goes to the logger.
	var logs bytes.Buffer
	c, _ = simpleindex.New([]string{srv.URL + "/simple/"}, srv.Client(), simpleindex.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if _, err := c.Project(t.Context(), "wheel"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "99.0.0") {
		t.Fatalf("logs: %q", logs.String())
	}
}
