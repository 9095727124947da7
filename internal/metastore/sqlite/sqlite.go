// Package sqlite implements metastore.Store on SQLite through the pure-Go driver
// modernc.org/sqlite (the binary builds with CGO_ENABLED=0).
//
// The database runs in WAL mode with a busy timeout. Writes go through a single
// connection (SQLite allows one writer at a time; queuing in Go is cheaper than
// SQLITE_BUSY), reads through a small pool that never blocks on the writer. The schema
// is created by the versioned migrations embedded from migrations/*.sql and recorded in
// the schema_migrations table.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is the SQLite metastore.Store.
type Store struct {
	queries
	write     *sql.DB
	read      *sql.DB
	writer    *writer
	readStmts *stmtCache
	log       *slog.Logger
	// checkpoints is the background checkpoint running (CheckpointLater), which Close
	// waits for; checkpointing says one runs.
	checkpoints   sync.WaitGroup
	checkpointing atomic.Bool
}

var _ metastore.Store = (*Store)(nil)

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_txlock", "immediate")
		// The writer's page cache is 8 MiB, not SQLite's 2: a sync's inserts land all
		// over the files and content indexes (digests, filenames), and with 2 MiB half
		// its reads were pread(2)s of pages just evicted (153,000 read calls for a sync of
		// 20,000 files; 90,000 now). Its memory is Go heap here (the driver is Go), so it
		// counts twice against the full-index sync's 200 MB (32 MiB took it to 221 MB).
		q.Add("_pragma", "cache_size(-8192)")
		// The WAL is copied into the database every 10,000 pages (40 MB) rather than
		// every 1,000: a sync's transactions each dirty most pages of the digest indexes,
		// and every checkpoint wrote them all again (a 20,000-file sync wrote 618 MB for
		// 73 MB of files; 421 MB with this, 263 MB with its writes grouped).
		q.Add("_pragma", "wal_autocheckpoint(10000)")
		// A statement that writes several rows and may fail midway (a multi-row INSERT
		// under a UNIQUE, AddFiles') keeps the pages it changes in a statement journal, to
		// undo itself alone; in a file, that journal was a pwrite(2) per page, a third of
		// a sync's write transaction. In memory it is a few pages per statement.
		q.Add("_pragma", "temp_store(2)")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Open opens (creating when missing) the database file at path and migrates it to the
// newest schema. The database holds private data (token hashes, private distributions),
// so the file is made 0600 whatever the umask; SQLite gives its -wal and -shm files the
// database file's mode.
func Open(ctx context.Context, path string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := makePrivate(path); err != nil {
		return nil, err
	}
	if err := newPages(ctx, path); err != nil {
		return nil, err
	}
	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := migrate(ctx, w, log); err != nil {
		w.Close()
		return nil, fmt.Errorf("migrating %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	rs := newStmtCache(r)
	return &Store{queries: queries{q: cachedDB{r, rs}}, write: w, read: r, writer: newWriter(w), readStmts: rs, log: log}, nil
}

// makePrivate creates the database file when missing and sets it, and the -wal and -shm
// files an older version may have left readable, to 0600. It never opens a file that
// exists: closing a descriptor of a file drops every POSIX lock this process holds on it,
// those of SQLite connections already open on it included (a second pool, a second
// store), which SQLite, counting its locks per file inside the process, never takes
// again; another process closing the database would then take itself for the last user
// and delete the WAL under this one.
func makePrivate(path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("opening %s: %w", path, err)
		}
		if f != nil {
			f.Close()
		}
	} else if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("making %s private: %w", p, err)
		}
	}
	return nil
}

// CheckpointLater copies the write-ahead log into the database, in the background (at
// most one at a time; Close waits for it), PASSIVE: it waits for no reader, and it
// holds the writer while it runs. A sync's transactions leave up to wal_autocheckpoint
// pages (40 MB) in the log, and whichever writer committed next copied them: the first
// re-sync after a sync spent a third of its time on it. A sync calls this at its end
// (metastore.Checkpointer), after its version is durable in the log: the copy is
// neither in its time nor in the next writer's, unless that one comes at once.
func (s *Store) CheckpointLater(ctx context.Context) {
	if !s.checkpointing.CompareAndSwap(false, true) {
		return
	}
	s.checkpoints.Add(1)
	go func() {
		defer s.checkpoints.Done()
		defer s.checkpointing.Store(false)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), checkpointTimeout)
		defer cancel()
		if err := s.checkpoint(ctx); err != nil {
			s.log.Warn("checkpoint of the metadata database", "err", err)
		}
	}()
}

// checkpointTimeout bounds a background checkpoint (tens of milliseconds for a sync's
// 40 MB of log; SQLite stops it where it is, and the next checkpoint goes on).
const checkpointTimeout = time.Minute

func (s *Store) checkpoint(ctx context.Context) error {
	if err := s.writer.acquire(ctx); err != nil {
		return err
	}
	defer s.writer.release()
	c, err := s.writer.connect(ctx)
	if err != nil {
		return err
	}
	_, err = c.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	return err
}

// Close updates the planner's statistics (PRAGMA optimize) and closes both pools.
func (s *Store) Close() error {
	s.checkpoints.Wait()
	s.readStmts.close()
	var err error
	if s.writer.acquire(context.Background()) == nil {
		s.writer.drop() // gives the connection back to the pool
		_, err = s.write.Exec(`PRAGMA optimize`)
		s.writer.release()
	}
	return errors.Join(err, s.read.Close(), s.write.Close())
}

// InTx implements metastore.Store. It retries fn when SQLite reports the database busy.
func (s *Store) InTx(ctx context.Context, fn func(tx metastore.Tx) error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = s.inTx(ctx, fn)
		if isFull(err) {
			return fmt.Errorf("%w: %w", errs.ErrStorageFull, err)
		}
		if !isBusy(err) {
			return err
		}
		s.log.Debug("database busy, retrying transaction", "attempt", attempt+1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(10<<attempt) * time.Millisecond):
		}
	}
	return err
}

func (s *Store) inTx(ctx context.Context, fn func(tx metastore.Tx) error) error {
	if err := s.writer.acquire(ctx); err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer s.writer.release()
	conn, err := s.writer.connect(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	// The transaction does not end with ctx by itself: database/sql would roll it back
	// from another goroutine, and the statements that run on the connection rather than
	// through the Tx would then run outside any transaction. It ends here: a ctx done
	// before the commit rolls it back (the statements themselves stop when ctx ends).
	sqlTx, err := conn.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		s.writer.broken(err)
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(&tx{queries{q: connTx{s.writer}, projects: map[string]int64{}, names: map[int64]uploadedAs{}}}); err != nil {
		_ = sqlTx.Rollback()
		s.writer.broken(err)
		return err
	}
	if err := ctx.Err(); err != nil {
		_ = sqlTx.Rollback()
		return fmt.Errorf("commit: %w", err)
	}
	if err := sqlTx.Commit(); err != nil {
		s.writer.broken(err)
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

type tx struct{ queries }

var _ metastore.Tx = (*tx)(nil)

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries holds every statement; on the read pool it serves the Reader roles, inside a
// transaction every role.
type queries struct {
	q querier
	// projects caches the id of each project row a write transaction found or made
	// (nil outside one): a sync adds thousands of files of few projects, and each add
	// upserted its project's row again. Project rows are never deleted nor renamed, and
	// the cache dies with its transaction.
	projects map[string]int64
	// names remembers, per project id, the display name AddFile last gave the project in
	// a version of this transaction (nil outside one): the files of one project in one
	// version set it once, not once each. Any other write of attributes forgets it.
	names map[int64]uploadedAs
}

// uploadedAs is a display name a project was given in a repository version.
type uploadedAs struct {
	repoID  int64
	version int
	name    string
}

// strings runs a query of one text column and returns its values in order.
func (q queries) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

func isBusy(err error) bool {
	c := sqliteCode(err)
	return c&0xff == sqlite3.SQLITE_BUSY || c&0xff == sqlite3.SQLITE_LOCKED
}

// isFull reports SQLITE_FULL: the disk (or a quota) under the database is full.
func isFull(err error) bool { return sqliteCode(err)&0xff == sqlite3.SQLITE_FULL }

func isUnique(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func migrate(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration file %s has no number: %w", base, errs.ErrInvalid)
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		var done int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, num).Scan(&done); err != nil {
			tx.Rollback()
			return err
		}
		if done > 0 {
			tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			num, base, micros(time.Now())); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		log.Info("database migrated", "migration", base)
	}
	return nil
}

// SchemaVersion returns the highest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}
