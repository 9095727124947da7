package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/checks"
	"github.com/pydepot/pydepot/internal/docs"
	"github.com/pydepot/pydepot/internal/gctune"
	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/osv"
	"github.com/pydepot/pydepot/internal/server"
	"github.com/pydepot/pydepot/internal/tasks"
)

// heapFloor is the heap serve lets grow before a collection, however little is live
// (a sync's 10 MB). It costs at most this much memory more, and nothing once the live
// heap is half of it.
const heapFloor = 64 << 20

// envOr returns the environment variable key, or def when it is unset or empty.
func envOr(env Env, key, def string) string {
	if v := env.Getenv(key); v != "" {
		return v
	}
	return def
}

// serveFlags are serve's flags as given (parsed by options).
type serveFlags struct {
	listen, adminToken, maxUpload, publicURL, baseURL     string
	headerTimeout, idleTimeout, writeTimeout, minBodyRate string
	tlsCert, tlsKey                                       string
	workers, taskStaleAfter                               string
	// The storage settings combine (--data is short for the other two), so each keeps
	// where it came from.
	data, database, blobs setting
}

func newServeCmd(env Env) *cobra.Command {
	var fl serveFlags // bound to the flags below; read by loadServeConfig
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the package index server",
		Long: `Run the package index server. By default it keeps SQLite metadata and file blobs
under the data directory: --data DIR is short for
--database sqlite:///DIR/pydepot.db --blobs file:///DIR/blobs. Each may be given on its
own (flags beat the PYDEPOT_* variables); postgres:// and s3:// come with the scale-out
issue and are refused until then.

On first start it creates repository "main", the public distribution "main" serving it
(at /simple/ and /main/simple/), and an admin token: PYDEPOT_ADMIN_TOKEN when set,
otherwise a generated one, printed once.

Absolute links (the PyPI JSON API, the project pages) name --public-url; without it they
name the listen address, or are relative when listening on all interfaces. The request's
Host header is never used. Slow clients are cut by the timeouts and the minimum body
rate: see 'pydepot help show limits'.

--tls-cert FILE --tls-key FILE (PEM; the certificate file may hold the chain) make it
speak HTTPS only, and its links default to https://. See 'pydepot help show serve'.


Long operations (a sync) run as tasks, kept in the database: serve runs --workers of them
at once (0: none, for a server that only answers while others work), and retries or fails
a task whose server died (no sign of life for --task-stale-after). See
'pydepot help show tasks'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadServeConfig(cmd, env)
			if err != nil {
				return err
			}
			return serve(cmd.Context(), env, c)
		},
	}
	f := cmd.Flags()
	def := defaultServeConfig() // the flags' defaults come from the one place
	f.StringVar(&fl.data.value, "data", envOr(env, "PYDEPOT_DATA", defaultDataDir), "data directory, short for --database sqlite:///DIR/pydepot.db --blobs file:///DIR/blobs (env PYDEPOT_DATA)")
	f.StringVar(&fl.database.value, "database", env.Getenv("PYDEPOT_DATABASE"), "metadata store URL, sqlite:///path/pydepot.db (env PYDEPOT_DATABASE)")
	f.StringVar(&fl.blobs.value, "blobs", env.Getenv("PYDEPOT_BLOBS"), "blob store URL, file:///path (env PYDEPOT_BLOBS)")
	f.StringVar(&fl.listen, "listen", envOr(env, "PYDEPOT_LISTEN", def.Listen), "address to listen on (env PYDEPOT_LISTEN)")
	f.StringVar(&fl.adminToken, "admin-token", env.Getenv("PYDEPOT_ADMIN_TOKEN"), "admin token; another one at a later start replaces the old admin token (env PYDEPOT_ADMIN_TOKEN)")
	f.StringVar(&fl.maxUpload, "max-upload", envOr(env, "PYDEPOT_MAX_UPLOAD", strings.ReplaceAll(humanize.IBytes(uint64(def.HTTP.MaxUpload)), ".0 ", "")), "largest upload accepted, e.g. 200MB (env PYDEPOT_MAX_UPLOAD)")
	f.StringVar(&fl.publicURL, "public-url", env.Getenv("PYDEPOT_PUBLIC_URL"), "URL clients reach the server at, e.g. https://pypi.example.com, for absolute links (env PYDEPOT_PUBLIC_URL)")
	f.StringVar(&fl.baseURL, "base-url", env.Getenv("PYDEPOT_BASE_URL"), "old name of --public-url (env PYDEPOT_BASE_URL)")
	_ = f.MarkDeprecated("base-url", "use --public-url")
	f.StringVar(&fl.headerTimeout, "header-timeout", envOr(env, "PYDEPOT_HEADER_TIMEOUT", def.HTTP.HeaderTimeout.String()), "longest time a client may take to send its request headers (env PYDEPOT_HEADER_TIMEOUT)")
	f.StringVar(&fl.idleTimeout, "idle-timeout", envOr(env, "PYDEPOT_IDLE_TIMEOUT", def.HTTP.IdleTimeout.String()), "longest time an idle kept-alive connection is kept (env PYDEPOT_IDLE_TIMEOUT)")
	f.StringVar(&fl.writeTimeout, "write-timeout", envOr(env, "PYDEPOT_WRITE_TIMEOUT", def.HTTP.WriteTimeout.String()), "longest time one write of a response may stall (env PYDEPOT_WRITE_TIMEOUT)")
	f.StringVar(&fl.minBodyRate, "min-body-rate", envOr(env, "PYDEPOT_MIN_BODY_RATE", defaultMinBodyRate), "slowest request body accepted, as SIZE/DURATION: that much must arrive in every such period, or 408 (env PYDEPOT_MIN_BODY_RATE)")
	f.StringVar(&fl.tlsCert, "tls-cert", env.Getenv("PYDEPOT_TLS_CERT"), "PEM certificate (chain) to serve HTTPS with; needs --tls-key (env PYDEPOT_TLS_CERT)")
	f.StringVar(&fl.tlsKey, "tls-key", env.Getenv("PYDEPOT_TLS_KEY"), "PEM private key of --tls-cert; keep it mode 600 (env PYDEPOT_TLS_KEY)")
	_ = cmd.MarkFlagFilename("tls-cert", "pem", "crt", "cert")
	_ = cmd.MarkFlagFilename("tls-key", "pem", "key")
	f.StringVar(&fl.workers, "workers", envOr(env, "PYDEPOT_WORKERS", strconv.Itoa(def.Tasks.Workers)), "tasks this server runs at once; 0 runs none, leaving them to other servers on the database (env PYDEPOT_WORKERS)")
	f.StringVar(&fl.taskStaleAfter, "task-stale-after", envOr(env, "PYDEPOT_TASK_STALE_AFTER", def.Tasks.StaleAfter.String()), "a running task whose server gives no sign of life for this long is retried or failed (env PYDEPOT_TASK_STALE_AFTER)")
	for _, name := range []string{"listen", "admin-token", "max-upload", "public-url", "base-url", "header-timeout", "idle-timeout", "write-timeout", "min-body-rate", "workers", "task-stale-after"} {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
	}
	_ = cmd.MarkFlagDirname("data")
	_ = cmd.RegisterFlagCompletionFunc("database", completeSchemes(backends.DatabaseSchemes))
	_ = cmd.RegisterFlagCompletionFunc("blobs", completeSchemes(backends.BlobsSchemes))
	return cmd
}

var defaultMinBodyRate = strings.ReplaceAll(humanize.IBytes(uint64(defaultServeConfig().HTTP.BodyMinBytes)), " ", "") + "/" + defaultServeConfig().HTTP.BodyWindow.String()

// loadServeConfig reads serve's flags (their defaults are the PYDEPOT_* variables) into a
// checked serveConfig.
func loadServeConfig(cmd *cobra.Command, env Env) (serveConfig, error) {
	get := func(name string) string { return cmd.Flags().Lookup(name).Value.String() }
	fl := serveFlags{
		listen: get("listen"), adminToken: get("admin-token"), maxUpload: get("max-upload"),
		publicURL: get("public-url"), baseURL: get("base-url"), headerTimeout: get("header-timeout"),
		idleTimeout: get("idle-timeout"), writeTimeout: get("write-timeout"), minBodyRate: get("min-body-rate"),
		tlsCert: get("tls-cert"), tlsKey: get("tls-key"),
		workers: get("workers"), taskStaleAfter: get("task-stale-after"),
	}
	for _, s := range []struct {
		flag, env string
		to        *setting
	}{{"data", "PYDEPOT_DATA", &fl.data}, {"database", "PYDEPOT_DATABASE", &fl.database}, {"blobs", "PYDEPOT_BLOBS", &fl.blobs}} {
		s.to.value = get(s.flag)
		if cmd.Flags().Changed(s.flag) {
			s.to.from = fromFlag
		} else if env.Getenv(s.env) != "" {
			s.to.from = fromEnv
		}
	}
	c, err := fl.config()
	if err != nil {
		return c, err
	}
	return c, c.Validate()
}

// completeSchemes offers the URL schemes a store flag takes (the path is the user's).
func completeSchemes(schemes []string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, s := range schemes {
			if strings.HasPrefix(s+"/", toComplete) {
				out = append(out, s+"/")
			}
		}
		return out, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	}
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
func listenURL(addr net.Addr, scheme string) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP == nil || tcp.IP.IsUnspecified() {
		return ""
	}
	return scheme + "://" + tcp.String()
}

func serve(ctx context.Context, env Env, c serveConfig) error {
	log := env.Logger()
	// A sync holds little live and allocates fast: without a floor the collector ran 52
	// times in a sync of 20,000 files (an eighth of its CPU); GOGC, when set, still
	// applies above it. See internal/gctune.
	gctune.HeapFloor(ctx, heapFloor)
	svc, closeIndex, err := backends.Open(ctx, c.Database, c.Blobs, log)
	if err != nil {
		if c.DataDir != "" {
			return fmt.Errorf("open data directory %s: %w", c.DataDir, err)
		}
		return fmt.Errorf("open the stores: %w", err)
	}
	defer closeIndex()
	queue, closeQueue, err := backends.OpenQueue(ctx, c.Database, tasks.Config{Workers: c.Tasks.Workers, StaleAfter: c.Tasks.StaleAfter, Logger: log})
	if err != nil {
		return fmt.Errorf("open the task queue: %w", err)
	}
	defer closeQueue()
	if err := svc.EnsureDefaults(ctx); err != nil {
		return fmt.Errorf("create the default repository and distribution: %w", err)
	}
	token, err := svc.Bootstrap(ctx, c.AdminToken)
	if err != nil {
		return fmt.Errorf("create the admin token: %w", err)
	}
	if token != "" && c.AdminToken == "" {
		fmt.Fprintf(env.Stdout, "Admin token (shown once, store it now):\n  %s\nUse it as PYDEPOT_TOKEN, or as the password of user __token__ for twine.\n", token)
	}
	tmp := c.SpoolDir
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return fmt.Errorf("upload spool directory: %w", err)
	}
	// Spooled uploads of a previous run that died are garbage.
	// So are the files of a sync that died (its project list sync-list-*, its downloads
	// .fetch-*.part): the blobs they became are reused.
	// And the folders of checks that died (check-*): their tasks run again.
	for _, pattern := range []string{"upload-*", "sync-*", ".fetch-*.part", "check-*"} {
		old, _ := filepath.Glob(filepath.Join(tmp, pattern))
		for _, p := range old {
			os.RemoveAll(p)
		}
	}
	set, err := docs.Load()
	if err != nil {
		return err
	}
	scheme := "http"
	var tlsConfig *tls.Config
	if c.TLSCert != "" {
		if tlsConfig, err = c.loadTLS(); err != nil {
			return err
		}
		scheme = "https"
	}
	for _, w := range c.Warnings() {
		log.Warn("serve setting", "warning", w)
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Listen, err)
	}
	cfg := c.HTTP
	cfg.TempDir, cfg.Docs, cfg.ListenURL, cfg.Tasks = tmp, set.Handler(), listenURL(ln.Addr(), scheme), queue
	remotes := mirror.New(svc, mirror.Options{Logger: log, HTTPClient: NewHTTPClient(DefaultResponseTimeout), TempDir: tmp})
	cfg.Remotes = remotes
	vulns := osv.New(svc.Store(), osv.Limits{})
	cfg.Vulns = vulns
	checker := checks.New(svc, queue, testCheckRunner(env, checkRunner(svc, vulns, log)), checks.Options{Logger: log, TempDir: tmp})
	cfg.Checks = checker
	registerTaskKinds(queue, remotes, checker)
	svc.SetRemoteFetcher(remotes)    // on_demand and streamed files
	svc.SetProjectRefresher(remotes) // pull-through distributions
	if cfg.PublicURL == "" && cfg.ListenURL == "" {
		log.Warn("no --public-url: listening on all interfaces, the JSON API gives relative links", "listen", c.Listen)
	}
	// The workers start once everything they may need is ready; they stop after the HTTP
	// server, with the same grace.
	if err := queue.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	srv := server.HTTPServer(server.New(svc, cfg, log), cfg)
	srv.TLSConfig = tlsConfig // ServeTLS below adds HTTP/2 to it
	srv.ErrorLog = httpErrorLog(log)
	where := []any{"url", scheme + "://" + ln.Addr().String() + "/"}
	if c.DataDir != "" {
		where = append(where, "data", c.DataDir)
	}
	where = append(where, "database", c.Database, "blobs", c.Blobs)
	log.Info("pydepot serving", where...)
	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// A request still running after the grace period (a slow upload, a long
		// download) is cut: a stop asked for is not a failure of the server.
		log.Warn("requests still running 15s after the stop were cut", "err", err)
		_ = srv.Close()
	}
	// A task still running after the grace is canceled; the queue puts it back to
	// waiting, and a server (this one at its next start) runs it again.
	if err := queue.Stop(sctx); err != nil {
		log.Warn("stopping the tasks", "err", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// httpErrorLog routes net/http's own messages to log: failed TLS handshakes (port scans,
// plain HTTP sent to the TLS port, clients that do not trust the certificate) are expected
// and logged at Debug, anything else (a handler's panic) at Warn.
func httpErrorLog(log *slog.Logger) *stdlog.Logger {
	return stdlog.New(httpErrorWriter{log}, "", 0)
}

type httpErrorWriter struct{ log *slog.Logger }

func (w httpErrorWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	if strings.Contains(msg, "TLS handshake error") {
		w.log.Debug("tls handshake failed", "err", msg)
	} else {
		w.log.Warn("http server", "err", msg)
	}
	return len(p), nil
}
