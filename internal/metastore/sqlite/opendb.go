package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
)

// OpenDB opens another pool on the database file at path, with the settings of the
// store's writer (WAL, busy timeout, BEGIN IMMEDIATE, synchronous NORMAL) and one
// connection: for a package that keeps its own tables in the same file (internal/tasks,
// whose job queue River runs on it). One connection, because SQLite lets one writer in at
// a time and River asks for it (see riversqlite's package doc); BEGIN IMMEDIATE, because
// a transaction that reads and then writes while another pool writes would otherwise get
// SQLITE_BUSY at once instead of waiting out the busy timeout. The file must exist: Open
// (the store) creates it, makes it private and migrates it.
func OpenDB(ctx context.Context, path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("opening %s: open the metadata store first: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return db, nil
}

// OpenSideDB opens (creating when missing) a small database file of its own at path for
// a package that keeps an index beside its data (the blob store's pack index, see
// blobstore.FileOptions): WAL, the store's busy timeout, BEGIN IMMEDIATE, and
// synchronous FULL, so that every commit is durable by itself. The file is made 0600
// (SQLite gives its -wal and -shm files that mode).
func OpenSideDB(path string) (*sql.DB, error) {
	if err := newPages(context.Background(), path); err != nil { // blobstore.FileOptions opens it without a context
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return db, nil
}

// pageSize is the page size of a database file made here. A sync writes hundreds of
// megabytes of pages through the write-ahead log, each page a pwrite(2) of its frame's
// header and one of the page, and a checkpoint reads each again and writes it once more:
// 8 KiB pages make half as many calls as SQLite's 4 KiB for the same bytes. Larger ones
// cost more than they save: a multi-row INSERT that may abort (a UNIQUE, the foreign
// keys) copies each page it changes into its statement journal first, and with 16 KiB
// pages those copies were 5% of a sync's CPU. Interleaved A/B runs of a 20,000-file
// sync (5 rounds each): 8 KiB used less CPU than 16 KiB, and 16 KiB less than 4 KiB.
const pageSize = 8192

// newPages gives a database file that does not exist yet, or is empty, pageSize pages.
// It must be done before WAL mode is entered (which every pool's settings ask for), so
// by a connection of its own: once a database has pages, their size stays.
func newPages(ctx context.Context, path string) error {
	if st, err := os.Stat(path); err == nil && st.Size() > 0 || err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+url.Values{"_pragma": {fmt.Sprintf("page_size=%d", pageSize)}}.Encode())
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	_, err = db.ExecContext(ctx, "VACUUM") // writes the header, with the page size
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	return nil
}
