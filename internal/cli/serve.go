package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/docs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/server"
)

// envOr returns the environment variable key, or def when it is unset or empty.
func envOr(env Env, key, def string) string {
	if v := env.Getenv(key); v != "" {
		return v
	}
	return def
}

func newServeCmd(env Env) *cobra.Command {
	var (
		data, listen, adminToken, maxUpload, baseURL string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the package index server",
		Long: `Run the package index server on the embedded default backends: SQLite metadata and
file blobs under the data directory.

On first start it creates repository "main", the public distribution "main" serving it
(at /simple/ and /main/simple/), and an admin token: PYDEPOT_ADMIN_TOKEN when set,
otherwise a generated one, printed once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			limit, err := humanize.ParseBytes(maxUpload)
			if err != nil {
				return fmt.Errorf("--max-upload %q: %w", maxUpload, err)
			}
			return serve(cmd.Context(), env, serveOptions{
				data: data, listen: listen, adminToken: adminToken, maxUpload: int64(limit), baseURL: baseURL,
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", envOr(env, "PYDEPOT_DATA", "./pydepot-data"), "data directory (env PYDEPOT_DATA)")
	f.StringVar(&listen, "listen", envOr(env, "PYDEPOT_LISTEN", "127.0.0.1:8080"), "address to listen on (env PYDEPOT_LISTEN)")
	f.StringVar(&adminToken, "admin-token", env.Getenv("PYDEPOT_ADMIN_TOKEN"), "admin token; another one at a later start replaces the old admin token (env PYDEPOT_ADMIN_TOKEN)")
	f.StringVar(&maxUpload, "max-upload", envOr(env, "PYDEPOT_MAX_UPLOAD", "1GiB"), "largest upload accepted, e.g. 200MB (env PYDEPOT_MAX_UPLOAD)")
	f.StringVar(&baseURL, "base-url", env.Getenv("PYDEPOT_BASE_URL"), "external URL of the server for absolute links (env PYDEPOT_BASE_URL)")
	return cmd
}

type serveOptions struct {
	data, listen, adminToken, baseURL string
	maxUpload                         int64
}

func serve(ctx context.Context, env Env, o serveOptions) error {
	log := env.Logger()
	svc, closeIndex, err := index.Open(ctx, o.data, log)
	if err != nil {
		return fmt.Errorf("open data directory %s: %w", o.data, err)
	}
	defer closeIndex()
	if err := svc.EnsureDefaults(ctx); err != nil {
		return fmt.Errorf("create the default repository and distribution: %w", err)
	}
	token, err := svc.Bootstrap(ctx, o.adminToken)
	if err != nil {
		return fmt.Errorf("create the admin token: %w", err)
	}
	if token != "" && o.adminToken == "" {
		fmt.Fprintf(env.Stdout, "Admin token (shown once, store it now):\n  %s\nUse it as PYDEPOT_TOKEN, or as the password of user __token__ for twine.\n", token)
	}
	tmp := filepath.Join(o.data, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return fmt.Errorf("upload spool directory: %w", err)
	}
	// Spooled uploads of a previous run that died are garbage.
	if old, _ := filepath.Glob(filepath.Join(tmp, "upload-*")); len(old) > 0 {
		for _, p := range old {
			os.Remove(p)
		}
	}
	set, err := docs.Load()
	if err != nil {
		return err
	}
	h := server.New(svc, server.Config{
		MaxUpload: o.maxUpload, TempDir: tmp, Docs: set.Handler(), BaseURL: o.baseURL,
	}, log)
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.listen, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	log.Info("pydepot serving", "url", "http://"+ln.Addr().String()+"/", "data", o.data)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
