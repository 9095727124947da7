package backends

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"time"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/metastore/sqlite"
	"github.com/pydepot/pydepot/internal/tasks"
)

// scaleOut names the issue that brings the shared backends, for the refusals.
const scaleOut = "it comes with the scale-out issue (several servers on one database and one bucket)"

// DatabaseSchemes and BlobsSchemes are the schemes the factories take, for completion
// and help.
var (
	DatabaseSchemes = []string{"sqlite://"}
	BlobsSchemes    = []string{"file://"}
)

// DataURLs returns the database and blobs URLs that a data directory stands for:
// sqlite:///DIR/pydepot.db and file:///DIR/blobs. dir should be absolute.
func DataURLs(dir string) (database, blobs string) {
	return (&url.URL{Scheme: "sqlite", Path: filepath.ToSlash(filepath.Join(dir, "pydepot.db"))}).String(),
		(&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, "blobs"))}).String()
}

// localPath returns the absolute path of a sqlite:/// or file:/// URL.
func localPath(what, raw string, u *url.URL) (string, error) {
	if (u.Host != "" && u.Host != "localhost") || u.Opaque != "" || !filepath.IsAbs(filepath.FromSlash(u.Path)) {
		return "", fmt.Errorf("%s URL %q: want an absolute path after the scheme, such as %s:///var/lib/pydepot/%s: %w",
			what, raw, u.Scheme, map[string]string{"database": "pydepot.db", "blobs": "blobs"}[what], errs.ErrInvalid)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%s URL %q: a %s URL takes no user, query or fragment: %w", what, raw, u.Scheme, errs.ErrInvalid)
	}
	return filepath.Clean(filepath.FromSlash(u.Path)), nil
}

func parse(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return nil, fmt.Errorf("%s URL %q: want scheme://..., such as %s: %w", what, raw, map[string]string{"database": "sqlite:///var/lib/pydepot/pydepot.db", "blobs": "file:///var/lib/pydepot/blobs"}[what], errs.ErrInvalid)
	}
	return u, nil
}

// DatabasePath checks a database URL and returns the SQLite file it names. postgres://
// (and postgresql://) are refused with an error naming the scale-out issue; every error
// wraps errs.ErrInvalid.
func DatabasePath(raw string) (string, error) {
	u, err := parse("database", raw)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "sqlite":
		return localPath("database", raw, u)
	case "postgres", "postgresql":
		return "", fmt.Errorf("database URL %s: PostgreSQL is not supported yet, %s; use sqlite:///path/pydepot.db: %w", redact(u), scaleOut, errs.ErrInvalid)
	}
	return "", fmt.Errorf("database URL %s: unknown scheme %q, want sqlite:///path/pydepot.db (postgres:// %s): %w", redact(u), u.Scheme, scaleOut, errs.ErrInvalid)
}

// BlobsPath checks a blobs URL and returns the directory it names. s3:// is refused with
// an error naming the scale-out issue; every error wraps errs.ErrInvalid.
func BlobsPath(raw string) (string, error) {
	u, err := parse("blobs", raw)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "file":
		return localPath("blobs", raw, u)
	case "s3":
		return "", fmt.Errorf("blobs URL %s: S3 is not supported yet, %s; use file:///path: %w", redact(u), scaleOut, errs.ErrInvalid)
	}
	return "", fmt.Errorf("blobs URL %s: unknown scheme %q, want file:///path (s3:// %s): %w", redact(u), u.Scheme, scaleOut, errs.ErrInvalid)
}

// redact hides a password in a URL (postgres://user:secret@host) before it is printed.
func redact(u *url.URL) string { return u.Redacted() }

// OpenStore opens the metadata store that a database URL names, creating and migrating
// it when missing. A SQLite database's folder, when OpenStore creates it, is 0700.
func OpenStore(ctx context.Context, databaseURL string, log *slog.Logger) (metastore.Store, error) {
	path, err := DatabasePath(databaseURL)
	if err != nil {
		return nil, err
	}
	if err := blobstore.MkdirPrivate(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("database directory: %w", err)
	}
	return sqlite.Open(ctx, path, log)
}

// OpenDriver opens the blob driver that a blobs URL names, creating its folder (0700)
// when missing.
func OpenDriver(_ context.Context, blobsURL string) (blobstore.Driver, error) {
	dir, err := BlobsPath(blobsURL)
	if err != nil {
		return nil, err
	}
	if err := blobstore.MkdirPrivate(filepath.Dir(dir)); err != nil {
		return nil, fmt.Errorf("blob directory: %w", err)
	}
	return blobstore.NewFileWith(dir, blobstore.FileOptions{OpenPackIndex: sqlite.OpenSideDB})
}

// Open opens the backends that the URLs name and returns the index over them; the
// returned function closes them. Open also starts a background check that logs a warning
// when blobs exist that no file references (see index.Service.ReportOrphans); closing
// stops it and waits for it.
func Open(ctx context.Context, databaseURL, blobsURL string, log *slog.Logger) (*index.Service, func() error, error) {
	svc, closeStores, err := OpenStores(ctx, databaseURL, blobsURL, log)
	if err != nil {
		return nil, nil, err
	}
	// Report blobs left by a crash, in the background so that a large store does not delay
	// the start.
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	started := time.Now()
	go func() {
		defer close(done)
		_, _ = svc.ReportOrphans(bg, started)
	}()
	closeFn := func() error {
		cancel()
		<-done
		return closeStores()
	}
	return svc, closeFn, nil
}

// OpenStores is Open without the background orphan check: for commands (pydepot gc) that
// walk the blobs themselves.
func OpenStores(ctx context.Context, databaseURL, blobsURL string, log *slog.Logger) (*index.Service, func() error, error) {
	// Check both before creating anything, so that a refused URL leaves no half-made store.
	if _, err := DatabasePath(databaseURL); err != nil {
		return nil, nil, err
	}
	if _, err := BlobsPath(blobsURL); err != nil {
		return nil, nil, err
	}
	st, err := OpenStore(ctx, databaseURL, log)
	if err != nil {
		return nil, nil, err
	}
	drv, err := OpenDriver(ctx, blobsURL)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	svc := index.New(st, drv, log)
	closeAll := func() error {
		return errors.Join(st.Close(), svc.Blobs().Close())
	}
	return svc, closeAll, nil
}

// OpenDir is Open on the backends of a data directory (see DataURLs): SQLite at
// dir/pydepot.db and file blobs under dir/blobs. A data directory it creates is 0700
// (whatever the umask): it holds private data; one that exists keeps its mode. Tests in
// every package open their index with it.
func OpenDir(ctx context.Context, dir string, log *slog.Logger) (*index.Service, func() error, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("data directory: %w", err)
	}
	if err := blobstore.MkdirPrivate(abs); err != nil {
		return nil, nil, fmt.Errorf("data directory: %w", err)
	}
	db, blobs := DataURLs(abs)
	return Open(ctx, db, blobs, log)
}

// OpenDirStores is OpenDir without the background orphan check (see OpenStores).
func OpenDirStores(ctx context.Context, dir string, log *slog.Logger) (*index.Service, func() error, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("data directory: %w", err)
	}
	db, blobs := DataURLs(abs)
	return OpenStores(ctx, db, blobs, log)
}

// OpenQueue opens the task queue kept in the metadata database that databaseURL names,
// on a pool of its own. Open the store first (OpenStore, Open): it migrates the file,
// and the queue's table comes with those migrations. The returned function closes the
// pool; call it after the queue's Stop.
func OpenQueue(ctx context.Context, databaseURL string, cfg tasks.Config) (*tasks.RiverQueue, func() error, error) {
	path, err := DatabasePath(databaseURL)
	if err != nil {
		return nil, nil, err
	}
	db, err := sqlite.OpenDB(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	q, err := tasks.Open(ctx, db, cfg)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return q, db.Close, nil
}
