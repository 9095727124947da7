package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pydepot/pydepot/internal/buildinfo"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/server/wire"
	"github.com/pydepot/pydepot/internal/tasks"
)

// DefaultDistribution is the distribution served without a base path.
const DefaultDistribution = "main"

// Config tunes the server. The zero value is usable.
type Config struct {
	// MaxUpload caps an upload request body in bytes (413 over it); 0 means 1 GiB.
	MaxUpload int64
	// TempDir receives spooled uploads; "" means os.TempDir().
	TempDir string
	// Docs serves /doc/ (the rendered help topics); nil leaves /doc/ unanswered (404).
	Docs http.Handler
	// PublicURL is the URL clients reach the server at ("https://pypi.example.com"), named
	// by the absolute links of the PyPI JSON API and the project pages. When "", ListenURL
	// is used, and when that is "" too the links are relative to the server's root. The
	// request's Host header is never used: anyone can forge it.
	PublicURL string
	// ListenURL is the URL of the address the server listens on ("http://127.0.0.1:8080").
	ListenURL string
	// StateTTL is how long the list of distributions and the latest version of each
	// repository are trusted before being read again (changes made through this server are
	// seen at once). 0 means one second; a negative value reads them on every request.
	StateTTL time.Duration
	// PageCacheBytes caps the memory of rendered simple pages; 0 means 64 MiB.
	PageCacheBytes int64
	// ClientBinary is the path of a pydepot binary offered at /api/client; "" means the
	// running executable.
	ClientBinary string
	// Tasks is the task queue behind /api/tasks; nil answers those with 503 (tasks off).
	Tasks tasks.Queue
	// Remotes serves /api/remotes and the sync endpoint; nil answers them 404.
	Remotes RemoteService
	// Checks serves /api/checks; nil answers them 503 (checks off).
	Checks CheckService
	// Vulns fills the PyPI JSON API's vulnerabilities; nil leaves them empty.
	Vulns VulnMatcher

	// Limits on slow clients (see HTTPServer); 0 means the Default... constant of the same
	// name. HeaderTimeout bounds the sending of the request headers, IdleTimeout the wait
	// for the next request on a kept-alive connection, WriteTimeout the stall of any one
	// write of a response. A request body must bring BodyMinBytes in every BodyWindow, or
	// it is cut with 408.
	HeaderTimeout time.Duration
	IdleTimeout   time.Duration
	WriteTimeout  time.Duration
	BodyMinBytes  int64
	BodyWindow    time.Duration
}

func (c Config) withDefaults() Config {
	if c.MaxUpload <= 0 {
		c.MaxUpload = 1 << 30
	}
	if c.TempDir == "" {
		c.TempDir = os.TempDir()
	}
	if c.StateTTL == 0 {
		c.StateTTL = time.Second
	}
	if c.PageCacheBytes <= 0 {
		c.PageCacheBytes = 64 << 20
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	c.ListenURL = strings.TrimRight(c.ListenURL, "/")
	c.HeaderTimeout = orDefault(c.HeaderTimeout, DefaultHeaderTimeout)
	c.IdleTimeout = orDefault(c.IdleTimeout, DefaultIdleTimeout)
	c.WriteTimeout = orDefault(c.WriteTimeout, DefaultWriteTimeout)
	c.BodyWindow = orDefault(c.BodyWindow, DefaultBodyWindow)
	c.BodyMinBytes = orDefault(c.BodyMinBytes, DefaultBodyMinBytes)
	return c
}

func orDefault[T int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// server holds the handlers' shared state.
type server struct {
	api   index.API
	cfg   Config
	log   *slog.Logger
	ew    *errorWriter
	pages *pageCache
	dist  *http.ServeMux // routes below a distribution's base path

	stateMu sync.Mutex // serializes reloads
	state   atomic.Pointer[snapshot]
}

// snapshot is the routing state: the distributions and each repository's latest version.
type snapshot struct {
	at     time.Time
	dists  map[string]index.Distribution
	latest map[string]int
	// created is each repository's creation time (Unix microseconds), for the ETags that
	// name a version (stream.go).
	created map[string]int64
}

// New returns pydepot's HTTP handler over api.
func New(api index.API, cfg Config, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	s := &server{
		api:   api,
		cfg:   cfg,
		log:   log,
		ew:    &errorWriter{log: log, ids: newRequestIDs()},
		pages: newPageCache(cfg.PageCacheBytes),
	}
	// A version made in process (a sync or check task, not a request) is served at once.
	if n, ok := api.(interface{ OnVersion(func(string)) }); ok {
		n.OnVersion(func(string) { s.changed() })
	}
	s.dist = s.distRoutes()
	mux := http.NewServeMux()
	s.apiRoutes(mux)
	if s.cfg.Docs != nil {
		mux.Handle("/doc/", s.cfg.Docs)
		mux.Handle("GET /doc", http.RedirectHandler("/doc/", http.StatusMovedPermanently))
	}
	mux.Handle("/", s.ew.wrap(s.routeDistribution, false))
	return s.limits(versionHeader(mux))
}

// versionHeader stamps every response with the server's version.
func versionHeader(next http.Handler) http.Handler {
	v := []string{buildinfo.Version}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()[wire.VersionHeader] = v
		next.ServeHTTP(w, r)
	})
}

// snapshot returns the routing state, reloading it when older than the TTL.
func (s *server) snapshot(ctx context.Context) (*snapshot, error) {
	if sn := s.state.Load(); sn != nil && s.cfg.StateTTL > 0 && time.Since(sn.at) < s.cfg.StateTTL {
		return sn, nil
	}
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if sn := s.state.Load(); sn != nil && s.cfg.StateTTL > 0 && time.Since(sn.at) < s.cfg.StateTTL {
		return sn, nil
	}
	dists, err := s.api.Distributions(ctx)
	if err != nil {
		return nil, fmt.Errorf("list distributions: %w", err)
	}
	repos, err := s.api.Repositories(ctx)
	if err != nil {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	sn := &snapshot{at: time.Now(), dists: make(map[string]index.Distribution, len(dists)), latest: make(map[string]int, len(repos)), created: make(map[string]int64, len(repos))}
	for _, d := range dists {
		sn.dists[d.BasePath] = d
	}
	for _, r := range repos {
		sn.latest[r.Name] = r.Latest
		sn.created[r.Name] = r.CreatedAt.UnixMicro()
	}
	s.state.Store(sn)
	return sn, nil
}

// changed forgets the routing state after a change made through this server.
func (s *server) changed() { s.state.Store(nil) }

// distKey is the context key of the distribution a request addresses.
type distKey struct{}

// distRequest is what routeDistribution found.
type distRequest struct {
	d       index.Distribution
	version int         // the repository version the distribution serves now
	prefix  string      // URL path prefix of the distribution: "" or "/team/dev"
	merged  *mergedView // nil unless d has sources (views.go)
}

func distOf(r *http.Request) *distRequest { return r.Context().Value(distKey{}).(*distRequest) }

// routeDistribution finds the longest known base path that prefixes the URL (or the default
// distribution) and hands the rest of the path to the distribution routes.
func (s *server) routeDistribution(w http.ResponseWriter, r *http.Request) error {
	sn, err := s.snapshot(r.Context())
	if err != nil {
		return err
	}
	p := r.URL.Path
	var (
		d      index.Distribution
		found  bool
		prefix string
		rest   = p
	)
	// Try the longest prefix first: "/a/b/c/simple/x/" tries a/b/c/simple/x, ..., a.
	for end := strings.LastIndexByte(p, '/'); end > 0; end = strings.LastIndexByte(p[:end], '/') {
		if cand, ok := sn.dists[p[1:end]]; ok {
			if end == len("/"+index.PyPIBasePath) && p[1:end] == index.PyPIBasePath && !pypiTakes(p[end:]) {
				break // the root distribution's /pypi/PROJECT/json; nothing nests under pypi
			}
			d, found, prefix, rest = cand, true, p[:end], p[end:]
			break
		}
	}
	if !found {
		if p == "/" {
			return s.landing(w, r, sn)
		}
		d, found = sn.dists[DefaultDistribution]
		if !found {
			return fmt.Errorf("no distribution serves %s: %w", p, errs.ErrNotFound)
		}
	}
	rt := &routed{Context: r.Context(), dr: distRequest{d: d, prefix: prefix}, u: *r.URL}
	dr := &rt.dr
	dr.version = sn.latest[d.Repository]
	if d.Pinned != nil {
		dr.version = *d.Pinned
	}
	if d.Sources != nil {
		mergedRequest(dr, sn)
	}
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && !d.Public {
		if err := s.authorize(r, index.ActionRead, d.Repository); err != nil {
			return err
		}
	}
	r2 := r.WithContext(rt)
	rt.u.Path, rt.u.RawPath = rest, ""
	r2.URL = &rt.u
	s.dist.ServeHTTP(w, r2)
	return nil
}

// pypiTakes reports whether the distribution "pypi" takes rest, the path below /pypi
// ("/simple/x/"): only when its first segment is a distribution route. Every other
// /pypi/... path is the root distribution's PyPI JSON API (index.PyPIBasePath has the rule).
func pypiTakes(rest string) bool {
	seg := rest[1:]
	if i := strings.IndexByte(seg, '/'); i >= 0 {
		seg = seg[:i]
	}
	return index.IsDistributionRoute(seg)
}

// routed is what routeDistribution hands on, in one allocation on the hot path: the
// request's context carrying the distribution request (as context.WithValue would) and
// the URL rewritten below the base path.
type routed struct {
	context.Context
	dr distRequest
	u  url.URL
}

func (c *routed) Value(key any) any {
	if _, ok := key.(distKey); ok {
		return &c.dr
	}
	return c.Context.Value(key)
}

// distRoute is one route below a base path. The first segment of every pattern is a word
// index.IsDistributionRoute knows (a test checks both ways), which CheckBasePath reserves
// and routeDistribution reads for the distribution "pypi".
type distRoute struct {
	pattern string
	h       handler
}

// distRouteTable lists the routes below a base path.
func (s *server) distRouteTable() []distRoute {
	return []distRoute{
		{"GET /simple/{$}", s.simpleIndex},
		{"GET /simple", s.addSlash},
		{"GET /simple/{project}/{$}", s.simpleProject},
		{"GET /simple/{project}", s.addSlash},
		{"GET /files/{sha256}/{filename}", s.serveFile},
		{"GET /packages/{sha256}/{filename}", s.serveFile}, // the PyPI JSON API's file URLs
		{"POST /pypi", s.xmlrpc},
		{"GET /pypi/{project}/json", s.pypiProject},
		{"GET /pypi/{project}/{version}/json", s.pypiRelease},
		{"GET /project/{project}/{$}", s.projectPage},
		{"GET /project/{project}", s.addSlash},
		{"GET /project/{project}/{version}/{$}", s.projectPage},
		{"GET /project/{project}/{version}", s.addSlash},
		{"POST /legacy/{$}", s.legacyUpload},
		{"/legacy", func(w http.ResponseWriter, r *http.Request) error {
			http.Redirect(w, r, distOf(r).prefix+"/legacy/", http.StatusPermanentRedirect)
			return nil
		}},
	}
}

// distRoutes are the routes below a base path.
func (s *server) distRoutes() *http.ServeMux {
	m := http.NewServeMux()
	for _, rt := range s.distRouteTable() {
		m.Handle(rt.pattern, s.ew.wrap(rt.h, false))
	}
	m.Handle("/", s.ew.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("%s: no such page: %w", r.URL.Path, errs.ErrNotFound)
	}, false))
	return m
}

// addSlash redirects a directory-like URL given without its trailing slash.
func (s *server) addSlash(w http.ResponseWriter, r *http.Request) error {
	target := distOf(r).prefix + r.URL.Path + "/"
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, target, http.StatusMovedPermanently)
	return nil
}
