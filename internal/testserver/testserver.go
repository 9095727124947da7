// Package testserver runs the real pydepot stack in-process for tests: the index on
// temporary storage, with the default repository and distribution and an admin token,
// behind the real HTTP server on 127.0.0.1. The tests of the packages that talk to a
// server (cli, client, simpleindex, analyze) share it; internal/index and
// internal/server import none of them, so there is no import cycle. It is for tests
// only.
package testserver

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/server"
)

// Options say how to start a Server. The zero value is a plain server.
type Options struct {
	// Admin is the admin token to bootstrap; "" makes a random one (Server.Admin).
	Admin string
	// Config configures the HTTP server; TempDir defaults to a t.TempDir().
	Config server.Config
	// Setup, when not nil, fills the index before the server starts (uploads, more
	// repositories or distributions), so that no cached state hides them.
	Setup func(ctx context.Context, svc *index.Service) error
	// Wrap, when not nil, wraps the server's handler (to count or alter requests).
	Wrap func(http.Handler) http.Handler
}

// Server is a running in-process pydepot; it stops when the test ends.
type Server struct {
	*httptest.Server
	Service *index.Service
	Admin   string // the admin token
}

// Start opens the default backends (backends.OpenDir) on t.TempDir(), creates the
// defaults and the admin token, runs o.Setup and serves it. Any failure ends the test.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	ctx := context.Background()
	svc, closeFn, err := backends.OpenDir(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })
	if err := svc.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	admin, err := svc.Bootstrap(ctx, o.Admin)
	if err != nil {
		t.Fatal(err)
	}
	if o.Setup != nil {
		if err := o.Setup(ctx, svc); err != nil {
			t.Fatal(err)
		}
	}
	cfg := o.Config
	if cfg.TempDir == "" {
		cfg.TempDir = t.TempDir()
	}
	if cfg.Remotes == nil {
		m := mirror.New(svc, mirror.Options{TempDir: t.TempDir()})
		cfg.Remotes = m
		svc.SetRemoteFetcher(m)
		svc.SetProjectRefresher(m)
	}
	var h http.Handler = server.New(svc, cfg, nil)
	if o.Wrap != nil {
		h = o.Wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &Server{Server: srv, Service: svc, Admin: admin}
}

// UploadFiles returns a Setup that uploads the files at paths into repo through the
// index (the file name is the path's base name).
func UploadFiles(repo string, paths ...string) func(context.Context, *index.Service) error {
	return func(ctx context.Context, svc *index.Service) error {
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if _, _, err := svc.Upload(ctx, index.Upload{Repository: repo, Filename: filepath.Base(p), Content: bytes.NewReader(data)}); err != nil {
				return fmt.Errorf("upload %s: %w", p, err)
			}
		}
		return nil
	}
}
