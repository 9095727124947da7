package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/docs"
	"github.com/pydepot/pydepot/internal/server"
)

// envOr returns the environment variable key, or def when it is unset or empty.
func envOr(env Env, key, def string) string {
	if v := env.Getenv(key); v != "" {
		return v
	}
	return def
}

// serveFlags are serve's flags as given (parsed by options).
type serveFlags struct {
	data, listen, adminToken, maxUpload, publicURL, baseURL string
	headerTimeout, idleTimeout, writeTimeout, minBodyRate   string
}

func newServeCmd(env Env) *cobra.Command {
	var fl serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the package index server",
		Long: `Run the package index server on the embedded default backends: SQLite metadata and
file blobs under the data directory.

On first start it creates repository "main", the public distribution "main" serving it
(at /simple/ and /main/simple/), and an admin token: PYDEPOT_ADMIN_TOKEN when set,
otherwise a generated one, printed once.

Absolute links (the PyPI JSON API, the project pages) name --public-url; without it they
name the listen address, or are relative when listening on all interfaces. The request's
Host header is never used. Slow clients are cut by the timeouts and the minimum body
rate: see 'pydepot help show limits'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := fl.options()
			if err != nil {
				return err
			}
			return serve(cmd.Context(), env, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.data, "data", envOr(env, "PYDEPOT_DATA", "./pydepot-data"), "data directory (env PYDEPOT_DATA)")
	f.StringVar(&fl.listen, "listen", envOr(env, "PYDEPOT_LISTEN", "127.0.0.1:8080"), "address to listen on (env PYDEPOT_LISTEN)")
	f.StringVar(&fl.adminToken, "admin-token", env.Getenv("PYDEPOT_ADMIN_TOKEN"), "admin token; another one at a later start replaces the old admin token (env PYDEPOT_ADMIN_TOKEN)")
	f.StringVar(&fl.maxUpload, "max-upload", envOr(env, "PYDEPOT_MAX_UPLOAD", "1GiB"), "largest upload accepted, e.g. 200MB (env PYDEPOT_MAX_UPLOAD)")
	f.StringVar(&fl.publicURL, "public-url", env.Getenv("PYDEPOT_PUBLIC_URL"), "URL clients reach the server at, e.g. https://pypi.example.com, for absolute links (env PYDEPOT_PUBLIC_URL)")
	f.StringVar(&fl.baseURL, "base-url", env.Getenv("PYDEPOT_BASE_URL"), "old name of --public-url (env PYDEPOT_BASE_URL)")
	_ = f.MarkDeprecated("base-url", "use --public-url")
	f.StringVar(&fl.headerTimeout, "header-timeout", envOr(env, "PYDEPOT_HEADER_TIMEOUT", server.DefaultHeaderTimeout.String()), "longest time a client may take to send its request headers (env PYDEPOT_HEADER_TIMEOUT)")
	f.StringVar(&fl.idleTimeout, "idle-timeout", envOr(env, "PYDEPOT_IDLE_TIMEOUT", server.DefaultIdleTimeout.String()), "longest time an idle kept-alive connection is kept (env PYDEPOT_IDLE_TIMEOUT)")
	f.StringVar(&fl.writeTimeout, "write-timeout", envOr(env, "PYDEPOT_WRITE_TIMEOUT", server.DefaultWriteTimeout.String()), "longest time one write of a response may stall (env PYDEPOT_WRITE_TIMEOUT)")
	f.StringVar(&fl.minBodyRate, "min-body-rate", envOr(env, "PYDEPOT_MIN_BODY_RATE", defaultMinBodyRate), "slowest request body accepted, as SIZE/DURATION: that much must arrive in every such period, or 408 (env PYDEPOT_MIN_BODY_RATE)")
	for _, name := range []string{"listen", "admin-token", "max-upload", "public-url", "base-url", "header-timeout", "idle-timeout", "write-timeout", "min-body-rate"} {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
	}
	_ = cmd.MarkFlagDirname("data")
	return cmd
}

var defaultMinBodyRate = strings.ReplaceAll(humanize.IBytes(server.DefaultBodyMinBytes), " ", "") + "/" + server.DefaultBodyWindow.String()

type serveOptions struct {
	data, listen, adminToken, publicURL string
	maxUpload                           int64
	headerTimeout, idleTimeout          time.Duration
	writeTimeout, bodyWindow            time.Duration
	bodyMinBytes                        int64
}

// options parses and checks the flags.
func (fl serveFlags) options() (serveOptions, error) {
	o := serveOptions{data: fl.data, listen: fl.listen, adminToken: fl.adminToken}
	limit, err := humanize.ParseBytes(fl.maxUpload)
	if err != nil {
		return o, fmt.Errorf("--max-upload %q: %w", fl.maxUpload, err)
	}
	o.maxUpload = int64(limit)
	if o.publicURL, err = publicURL(fl.publicURL, fl.baseURL); err != nil {
		return o, err
	}
	for _, d := range []struct {
		flag, v string
		to      *time.Duration
	}{{"header-timeout", fl.headerTimeout, &o.headerTimeout}, {"idle-timeout", fl.idleTimeout, &o.idleTimeout}, {"write-timeout", fl.writeTimeout, &o.writeTimeout}} {
		if *d.to, err = positiveDuration(d.v); err != nil {
			return o, fmt.Errorf("--%s %q: %w", d.flag, d.v, err)
		}
	}
	size, window, ok := strings.Cut(fl.minBodyRate, "/")
	n, err := humanize.ParseBytes(size)
	if err == nil && n == 0 {
		err = errors.New("the size must be at least one byte")
	}
	if err == nil {
		o.bodyWindow, err = positiveDuration(window)
	}
	if !ok || err != nil {
		return o, fmt.Errorf("--min-body-rate %q: want SIZE/DURATION, e.g. %s: %v", fl.minBodyRate, defaultMinBodyRate, err)
	}
	o.bodyMinBytes = int64(n)
	return o, nil
}

func positiveDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err == nil && d <= 0 {
		err = errors.New("must be more than zero")
	}
	return d, err
}

// publicURL checks --public-url (or its old name): an http or https URL, no query.
func publicURL(public, old string) (string, error) {
	flag := "--public-url"
	if public == "" {
		public, flag = old, "--base-url"
	}
	if public == "" {
		return "", nil
	}
	u, err := url.Parse(public)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%s %q: want the server's root URL, such as https://pypi.example.com", flag, public)
	}
	return strings.TrimRight(public, "/"), nil
}

// listenURL is the URL of the listen address, for absolute links when no public URL is
// set; "" when the address is every interface (no one address is right for all clients).
func listenURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP == nil || tcp.IP.IsUnspecified() {
		return ""
	}
	return "http://" + tcp.String()
}

func serve(ctx context.Context, env Env, o serveOptions) error {
	log := env.Logger()
	data, err := filepath.Abs(o.data)
	if err != nil {
		return fmt.Errorf("data directory %s: %w", o.data, err)
	}
	svc, closeIndex, err := backends.OpenDir(ctx, data, log)
	if err != nil {
		return fmt.Errorf("open data directory %s: %w", data, err)
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
	tmp := filepath.Join(data, "tmp")
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
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.listen, err)
	}
	cfg := server.Config{
		MaxUpload: o.maxUpload, TempDir: tmp, Docs: set.Handler(),
		PublicURL: o.publicURL, ListenURL: listenURL(ln.Addr()),
		HeaderTimeout: o.headerTimeout, IdleTimeout: o.idleTimeout, WriteTimeout: o.writeTimeout,
		BodyMinBytes: o.bodyMinBytes, BodyWindow: o.bodyWindow,
	}
	if cfg.PublicURL == "" && cfg.ListenURL == "" {
		log.Warn("no --public-url: listening on all interfaces, the JSON API gives relative links", "listen", o.listen)
	}
	srv := server.HTTPServer(server.New(svc, cfg, log), cfg)
	log.Info("pydepot serving", "url", "http://"+ln.Addr().String()+"/", "data", data)
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
