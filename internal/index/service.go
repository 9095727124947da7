package index

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
	"golang.org/x/sync/singleflight"
)

// Service implements API over a metadata store and a blob store.
type Service struct {
	store metastore.Store
	blobs *blobstore.Store
	log   *slog.Logger
	now   func() time.Time

	// On-demand fetching (fetch.go): the fetcher, one fetch per file at a time, and a
	// bound on distinct fetches.
	fetcher    RemoteFetcher
	fetches    singleflight.Group
	fetchSlots chan struct{}
	streams    sync.Map // key -> *sharedTemp streamed a moment ago

	// Checks (quarantine.go): told of uploads to repositories with CheckOnUpload.
	uploadHook UploadHook

	// Pull-through (pull.go).
	refresher ProjectRefresher
	refreshes singleflight.Group
	pulls     pulls

	// Staged versions (staged.go).
	gates gates

	// addBatch bounds the adds a batch writes together (addqueue.go): 0 is
	// metastore.MaxBatch, 1 writes each add at once (tests compare the two).
	addBatch int

	// Told of every version this Service makes (OnVersion).
	onVersionMu sync.Mutex
	onVersion   []func(repo string)
}

// OnVersion registers f, called after every repository version this Service makes
// (Apply, a sync's Publish) with the repository's name: the server forgets its routing
// state then, so that what a task wrote in process is served at once rather than after
// the state's TTL. f must be quick.
func (s *Service) OnVersion(f func(repo string)) {
	s.onVersionMu.Lock()
	defer s.onVersionMu.Unlock()
	s.onVersion = append(s.onVersion[:len(s.onVersion):len(s.onVersion)], f)
}

func (s *Service) versionMade(repo string) {
	s.onVersionMu.Lock()
	fs := s.onVersion
	s.onVersionMu.Unlock()
	for _, f := range fs {
		f(repo)
	}
}

var _ API = (*Service)(nil)

// New returns a Service over a metadata store and a blob driver (the content-addressed
// layer, blobstore.Store, is built over it here). log may be nil. The concrete backends
// are chosen at the edge: internal/backends opens them from URLs.
func New(store metastore.Store, blobs blobstore.Driver, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, blobs: blobstore.NewStore(blobs), log: log, now: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		fetchSlots: make(chan struct{}, MaxConcurrentFetches)}
}

// Store returns the metadata store.
func (s *Service) Store() metastore.Store { return s.store }

// Blobs returns the blob store.
func (s *Service) Blobs() *blobstore.Store { return s.blobs }

// BlobURL returns a URL from which a client may fetch blob sha directly for expiry, when
// the blob driver offers one (blobstore.Redirector: S3's presigned GETs); "" when it does
// not, and the bytes are streamed from OpenBlob.
func (s *Service) BlobURL(ctx context.Context, sha string, expiry time.Duration) (string, error) {
	return s.blobs.URLFor(ctx, sha, expiry)
}

// DefaultName is the repository and distribution made on first start.
const DefaultName = "main"

// EnsureDefaults creates repository "main" and the public distribution "main" serving
// its latest version when they do not exist. It is idempotent.
func (s *Service) EnsureDefaults(ctx context.Context) error {
	return s.store.InTx(ctx, func(tx metastore.Tx) error {
		repo, err := tx.Repository(ctx, DefaultName)
		if errors.Is(err, errs.ErrNotFound) {
			repo, err = tx.CreateRepository(ctx, DefaultName, "default repository", s.now())
		}
		if err != nil {
			return err
		}
		_, err = tx.Distribution(ctx, DefaultName)
		if errors.Is(err, errs.ErrNotFound) {
			return tx.CreateDistribution(ctx, &metastore.Distribution{
				BasePath: DefaultName, RepositoryID: repo.ID, Repository: repo.Name, Public: true, CreatedAt: s.now(),
			})
		}
		return err
	})
}

// validName reports whether s is 1 to 64 of [a-z0-9._-], starting and ending with a
// letter or digit. (Written out rather than as a regexp: `{0,62}` compiles to a program
// 62 states long at every start of the binary, which `pydepot run` pays on every task.)
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	for i := 0; i < len(s); i++ {
		if c := s[i]; !alnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return alnum(s[0]) && alnum(s[len(s)-1])
}

// IsDistributionRoute reports whether seg is the first path segment of a route below every
// base path (internal/server's distRoutes routes exactly these words, and a test there
// checks it): simple, files, packages (the PyPI JSON API's file URLs), pypi (the JSON API
// and XML-RPC), project and legacy. It is on the routing hot path: a switch, no map.
func IsDistributionRoute(seg string) bool {
	switch seg {
	case "simple", "files", "packages", "pypi", "project", "legacy":
		return true
	}
	return false
}

// PyPIBasePath is the one reserved word a base path may be, as a whole and at the top
// level only: what proxpi and devpi users type (`distribution create pypi`). Its rule,
// which internal/server's routing applies: a URL /pypi/SEG/... where SEG is a distribution
// route (IsDistributionRoute) goes to the distribution "pypi" when it exists, and every
// other /pypi/... URL (the root distribution's PyPI JSON API /pypi/PROJECT/json and
// POST /pypi) stays the root distribution's. The distribution's own JSON API is then
// /pypi/pypi/PROJECT/json. Below or above other names "pypi" stays reserved: a/pypi
// would take a's JSON API, and pypi/x would take the root distribution's /pypi/x/json.
const PyPIBasePath = "pypi"

// reservedSegments are the path segments the HTTP layer routes itself (internal/server:
// the top-level mux has api and doc; below every base path the distribution routes,
// IsDistributionRoute) and the ones kept for pages to come. A base path may use none of
// them at any depth (PyPIBasePath alone excepted): the router takes the longest base path
// that prefixes a URL, so a distribution "team/files" would take over the file downloads
// of distribution "team".
var reservedSegments = map[string]bool{
	"api": true, "doc": true,
	"static": true, "ui": true, "health": true, "healthz": true, "metrics": true, "client": true,
}

// ValidRepositoryName reports whether name is usable for a repository: lower-case letters,
// digits, '.', '_' and '-', starting and ending with a letter or digit, at most 64 long.
func ValidRepositoryName(name string) bool { return validName(name) }

// MaxBasePathSegments is how many '/'-separated names a base path may have.
const MaxBasePathSegments = 4

// CheckBasePath reports whether base is usable for a distribution: one to four segments
// like repository names, separated by '/', none of them a word the server routes, except
// PyPIBasePath as the whole base path. The error wraps errs.ErrInvalid and names the problem.
func CheckBasePath(base string) error {
	if base == PyPIBasePath {
		return nil
	}
	segs := strings.Split(base, "/")
	if len(segs) > MaxBasePathSegments {
		return fmt.Errorf("base path %q has %d segments, at most %d are allowed: %w", base, len(segs), MaxBasePathSegments, errs.ErrInvalid)
	}
	for _, s := range segs {
		if !validName(s) {
			return fmt.Errorf("base path %q: segment %q: use up to four '/'-separated names of lower-case letters, digits, '.', '_' and '-': %w", base, s, errs.ErrInvalid)
		}
		if s == PyPIBasePath {
			return fmt.Errorf("base path %q: %q is reserved below or above other names (a/pypi would take a's PyPI JSON API, pypi/x the root distribution's /pypi/x/json); only the whole base path %q may use it: %w", base, s, PyPIBasePath, errs.ErrInvalid)
		}
		if reservedSegments[s] || IsDistributionRoute(s) {
			return fmt.Errorf("base path %q: %q is reserved (the server routes it), at any depth: %w", base, s, errs.ErrInvalid)
		}
	}
	return nil
}

// ValidBasePath reports whether CheckBasePath accepts base.
func ValidBasePath(base string) bool { return CheckBasePath(base) == nil }
