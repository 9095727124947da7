package blobstore

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Packs. The small blobs that a Batch commits together (a sync's thousands of small
// wheels) are appended to one pack file instead of a file each: making a file costs the
// file system an inode, and ext4 without a journal (this project's machines) looks past
// every inode freed in the last minutes before it takes one, so that after a mass
// deletion a sync of 20,000 small wheels spent 6 of its 9 seconds of CPU in openat(2).
// A pack is written whole and synced before the rows that name its blobs are committed,
// so a blob is stored (Reader, Stat and Walk find it) only once its bytes are durable,
// as with a file. The rows live in a small SQLite database beside the packs
// (_packs/index.db): every process on the folder (a second server, pydepot gc) sees the
// same ones, and a lookup costs a query, not memory per blob. The database is opened by
// the caller's FileOptions.OpenPackIndex (internal/backends gives modernc's SQLite):
// this package, which the domain links, carries no database driver. A file at a blob's path
// wins over a packed copy. Delete removes the row; the bytes stay in their pack until
// Compact rewrites the packs that are mostly dead (pydepot gc calls it). Git keeps small
// objects in packs for the same reason.
//
// A batch of at most inlineMax bytes in all (a pull-through page's ten metadata files)
// makes no pack: its bytes go into their rows (with an empty pack name), committed by the
// one fsync of the index's transaction. A pack of them cost three (the pack, its folder, the index)
// and a file made for a few kilobytes.
const (
	packDir   = "_packs"
	packIndex = "index.db"
	packExt   = ".pack"
)

// packs is the pack half of a File driver.
type packs struct {
	dir    string
	openDB func(path string) (*sql.DB, error) // nil: no packs
	mu     sync.Mutex
	db     *sql.DB // nil until a pack is written or index.db is found
	get    *sql.Stmt
}

// packLoc is where a packed blob's bytes are.
type packLoc struct {
	pack      string
	off, size int64
	mtime     time.Time
}

// packEntry is a blob to append to a pack.
type packEntry struct {
	path string
	data []byte
}

const packSchema = `CREATE TABLE IF NOT EXISTS packed (
	path  TEXT PRIMARY KEY,
	pack  TEXT NOT NULL,
	off   INTEGER NOT NULL,
	size  INTEGER NOT NULL,
	mtime INTEGER NOT NULL,
	data  BLOB -- the bytes of an inline blob (pack ''), else NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS packed_pack ON packed(pack);
CREATE TABLE IF NOT EXISTS packs (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;`

// inlineMax is the most bytes a batch's small blobs may take in all to be kept in
// their rows instead of a pack (see Packs).
const inlineMax = 64 << 10

// addDataColumn gives an index made before inline blobs their column (CREATE TABLE IF
// NOT EXISTS leaves an existing table as it is). Another process may add it meanwhile.
func addDataColumn(db *sql.DB) error {
	if _, err := db.Exec(`SELECT data FROM packed LIMIT 0`); err == nil {
		return nil
	}
	_, err := db.Exec(`ALTER TABLE packed ADD COLUMN data BLOB`)
	if err != nil && strings.Contains(err.Error(), "duplicate column") {
		return nil
	}
	return err
}

// enabled reports whether the driver packs small blobs (it has an index opener).
func (p *packs) enabled() bool { return p.openDB != nil }

// open returns the index database, opening it (and, with create, making it and its
// folder) on first use; nil without create when there is none yet.
func (p *packs) open(create bool) (*sql.DB, error) {
	if !p.enabled() {
		return nil, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.db != nil {
		return p.db, nil
	}
	path := filepath.Join(p.dir, packIndex)
	if !create {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
	} else if err := MkdirPrivate(p.dir); err != nil {
		return nil, fmt.Errorf("pack directory: %w", err)
	}
	// Two processes making the index at once: one of them may find it locked while the
	// other sets it up (SQLite's journal mode switch does not wait out the busy
	// timeout), so the first open is tried a few times.
	var db *sql.DB
	var err error
	for attempt := range 20 {
		if attempt > 0 {
			time.Sleep(25 * time.Millisecond)
		}
		if db, err = p.openDB(path); err != nil {
			continue
		}
		if _, err = db.Exec(packSchema); err == nil {
			err = addDataColumn(db)
		}
		if err != nil {
			db.Close()
			continue
		}
		break
	}
	if err != nil {
		return nil, fmt.Errorf("pack index: %w", err)
	}
	get, err := db.Prepare(`SELECT pack, off, size, mtime, CASE WHEN pack = '' THEN data END FROM packed WHERE path = ?`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("pack index: %w", err)
	}
	// Whatever the opener did: SQLite gives its -wal and -shm files this mode.
	if err := os.Chmod(path, fileMode); err != nil {
		db.Close()
		return nil, fmt.Errorf("pack index: %w", err)
	}
	p.db, p.get = db, get
	return db, nil
}

func (p *packs) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.db == nil {
		return nil
	}
	err := errors.Join(p.get.Close(), p.db.Close())
	p.db, p.get = nil, nil
	return err
}

// lookup finds where path is packed, with the bytes of an inline blob (pack ""); ok
// false when no pack holds it.
func (p *packs) lookup(ctx context.Context, path string) (l packLoc, inline []byte, ok bool, err error) {
	db, err := p.open(false)
	if db == nil || err != nil {
		return packLoc{}, nil, false, err
	}
	var mtime int64
	p.mu.Lock()
	get := p.get
	p.mu.Unlock()
	err = get.QueryRowContext(ctx, path).Scan(&l.pack, &l.off, &l.size, &mtime, &inline)
	if errors.Is(err, sql.ErrNoRows) {
		return packLoc{}, nil, false, nil
	}
	if err != nil {
		return packLoc{}, nil, false, fmt.Errorf("pack index: %w", err)
	}
	l.mtime = time.Unix(0, mtime)
	return l, inline, true, nil
}

// lookupMany is lookup of many paths, a query per hundreds: the sizes and times of the
// packed ones.
func (p *packs) lookupMany(ctx context.Context, paths []string) (map[string]Info, error) {
	out := map[string]Info{}
	db, err := p.open(false)
	if db == nil || err != nil {
		return out, err
	}
	const chunk = 500 // under SQLite's 32,766 parameters, and a short statement
	for len(paths) > 0 {
		n := min(chunk, len(paths))
		args := make([]any, n)
		for i, path := range paths[:n] {
			args[i] = path
		}
		err := queryEach(ctx, db, func(rows *sql.Rows) error {
			i, err := scanInfo(rows)
			out[i.Path] = i
			return err
		}, `SELECT path, size, mtime FROM packed WHERE path IN (?`+strings.Repeat(`, ?`, n-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		paths = paths[n:]
	}
	return out, nil
}

// queryEach runs query on db and calls scan for each row; errors name the pack index.
func queryEach(ctx context.Context, db *sql.DB, scan func(*sql.Rows) error, query string, args ...any) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("pack index: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("pack index: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("pack index: %w", err)
	}
	return nil
}

// scanInfo reads a row of path, size and mtime.
func scanInfo(rows *sql.Rows) (Info, error) {
	var i Info
	var mtime int64
	err := rows.Scan(&i.Path, &i.Size, &mtime)
	i.ModTime = time.Unix(0, mtime)
	return i, err
}

// packedBlob is a packed blob opened for reading: a section of its pack file.
type packedBlob struct {
	*io.SectionReader
	f *os.File
}

func (b *packedBlob) Close() error { return b.f.Close() }

// inlineBlob is an inline blob opened for reading: its bytes, read with its row.
type inlineBlob struct{ *bytes.Reader }

func (inlineBlob) Close() error { return nil }

// reader opens the packed blob at path; ok false when no pack holds it.
func (p *packs) reader(ctx context.Context, path string) (io.ReadSeekCloser, int64, bool, error) {
	// Compact may move the blob to another pack (and remove the old one) between the
	// lookup and the open, and again before the next: look again while the row moves.
	var last packLoc
	for range 8 {
		l, inline, ok, err := p.lookup(ctx, path)
		if !ok || err != nil {
			return nil, 0, false, err
		}
		if l.pack == "" {
			return inlineBlob{bytes.NewReader(inline)}, int64(len(inline)), true, nil
		}
		f, err := os.Open(filepath.Join(p.dir, l.pack))
		if errors.Is(err, fs.ErrNotExist) {
			if l == last {
				break // the row stays on a pack that is gone: a damaged store
			}
			last = l
			continue
		}
		if err != nil {
			return nil, 0, false, fmt.Errorf("blob %s: %w", path, err)
		}
		return &packedBlob{io.NewSectionReader(f, l.off, l.size), f}, l.size, true, nil
	}
	return nil, 0, false, nil
}

// commit writes entries into a new pack, then records their rows: they are stored from
// then on. A path already packed keeps its row (same bytes, and a reader may hold it).
// A pack that fails to be recorded is removed. Entries of at most inlineMax bytes in all
// go into their rows instead.
func (p *packs) commit(ctx context.Context, entries []packEntry) error {
	if len(entries) == 0 {
		return nil
	}
	var total int
	for _, e := range entries {
		total += len(e.data)
	}
	if total <= inlineMax {
		return p.commitInline(ctx, entries)
	}
	offs := make([]int64, len(entries))
	pack, err := p.writePack(func(w io.Writer) error {
		var off int64
		for i, e := range entries {
			offs[i] = off
			if _, err := w.Write(e.data); err != nil {
				return err
			}
			off += int64(len(e.data))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return p.inTx(ctx, pack, func(tx *sql.Tx) error { return insertPacked(ctx, tx, pack, entries, offs) })
}

// insertPacked writes the rows of entries, at offs in pack, or with their bytes when pack
// is "" (inline). Rows go in statements of packedRows: one statement per row was most of
// the transaction (each statement's binding and virtual machine start).
func insertPacked(ctx context.Context, tx *sql.Tx, pack string, entries []packEntry, offs []int64) error {
	now := time.Now().UnixNano()
	args := make([]any, 0, 6*packedRows)
	for start := 0; start < len(entries); start += packedRows {
		part := entries[start:min(start+packedRows, len(entries))]
		args = args[:0]
		for i, e := range part {
			var data []byte // NULL in a pack's row
			var off int64
			if pack == "" {
				data = e.data
			} else {
				off = offs[start+i]
			}
			args = append(args, e.path, pack, off, len(e.data), now, data)
		}
		q := `INSERT OR IGNORE INTO packed (path, pack, off, size, mtime, data) VALUES (?, ?, ?, ?, ?, ?)` +
			strings.Repeat(`, (?, ?, ?, ?, ?, ?)`, len(part)-1)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// commitInline records entries with their bytes in their rows, in one transaction
// (however many: a batch of 64 KiB may hold thousands of tiny blobs).
func (p *packs) commitInline(ctx context.Context, entries []packEntry) error {
	err := func() error {
		db, err := p.open(true)
		if err != nil {
			return err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := insertPacked(ctx, tx, "", entries, nil); err != nil {
			return err
		}
		return tx.Commit()
	}()
	if err != nil {
		return fmt.Errorf("pack index: %w", err)
	}
	return nil
}

// packedRows is how many rows of the pack index one INSERT writes (six columns each,
// well within SQLite's limit of variables); packBuffer, the buffer a pack is written
// through.
const (
	packedRows = 128
	packBuffer = 256 << 10
)

// writePack makes a new pack file of what fill writes into it, fsynced with its folder
// (its own fsync costs less than a syncfs, which also writes back whatever other
// processes left dirty on the file system: a pip install beside the server), and
// returns its name.
func (p *packs) writePack(fill func(io.Writer) error) (string, error) {
	if err := MkdirPrivate(p.dir); err != nil {
		return "", fmt.Errorf("pack directory: %w", err)
	}
	f, err := os.CreateTemp(p.dir, "pack-*"+packExt) // 0600
	if err != nil {
		return "", fmt.Errorf("pack file: %w", err)
	}
	// Through a buffer: a pack of 2,000 small blobs was 2,000 write(2)s.
	bw := bufio.NewWriterSize(f, packBuffer)
	err = fill(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(p.dir)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("pack file: %w", err)
	}
	return filepath.Base(f.Name()), nil
}

// inTx runs fn in a transaction of the index that also records the new pack (its rows
// are fn's); when it fails, the pack file is removed.
func (p *packs) inTx(ctx context.Context, pack string, fn func(*sql.Tx) error) error {
	err := func() error {
		db, err := p.open(true)
		if err != nil {
			return err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `INSERT INTO packs (name) VALUES (?)`, pack); err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Commit()
	}()
	if err != nil {
		os.Remove(filepath.Join(p.dir, pack))
		return fmt.Errorf("pack index: %w", err)
	}
	return nil
}

// remove drops the row of path, in the transaction that counts the deletion (see
// deletions), made first; found false when there was none. A blob stored as a file is
// counted here too, before the caller removes it, so the index is made if there is none.
func (p *packs) remove(ctx context.Context, path string) (bool, error) {
	db, err := p.open(true)
	if db == nil || err != nil {
		return false, err
	}
	var n int64
	err = func() error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `INSERT INTO counters (name, n) VALUES ('deletions', 1)
			ON CONFLICT (name) DO UPDATE SET n = n + 1`); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM packed WHERE path = ?`, path)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		return tx.Commit()
	}()
	if err != nil {
		return false, fmt.Errorf("pack index: %w", err)
	}
	return n > 0, nil
}

// deletions is how many deletions the index has counted, by any process on the folder
// (0 when it has no index yet: none was made).
func (p *packs) deletions(ctx context.Context) (int64, error) {
	db, err := p.open(false)
	if db == nil || err != nil {
		return 0, err
	}
	var n int64
	err = db.QueryRowContext(ctx, `SELECT n FROM counters WHERE name = 'deletions'`).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("pack index: %w", err)
	}
	return n, nil
}

// walkPage is how many rows a walk reads at a time: no query stays open while the
// walk's function runs (it may delete, as gc does).
const walkPage = 1000

// pull returns a function that gives the packed blobs under prefix one by one, in path
// order (more false after the last).
func (p *packs) pull(ctx context.Context, prefix string) func() (next Info, more bool, err error) {
	lo, hi := "", "\U0010FFFF"
	if prefix != "" {
		lo, hi = prefix+"/", prefix+"0" // '0' follows '/'
	}
	var page []Info
	done := false
	return func() (Info, bool, error) {
		if len(page) == 0 && !done {
			var err error
			if page, err = p.page(ctx, lo, hi); err != nil {
				return Info{}, false, err
			}
			done = len(page) < walkPage
			if len(page) > 0 {
				lo = page[len(page)-1].Path
			}
		}
		if len(page) == 0 {
			return Info{}, false, nil
		}
		i := page[0]
		page = page[1:]
		return i, true, nil
	}
}

// page reads up to walkPage packed blobs with lo < path < hi, in path order.
func (p *packs) page(ctx context.Context, lo, hi string) ([]Info, error) {
	db, err := p.open(false)
	if db == nil || err != nil {
		return nil, err
	}
	var out []Info
	err = queryEach(ctx, db, func(rows *sql.Rows) error {
		i, err := scanInfo(rows)
		out = append(out, i)
		return err
	}, `SELECT path, size, mtime FROM packed WHERE path > ? AND path < ? ORDER BY path LIMIT ?`, lo, hi, walkPage)
	return out, err
}

// CompactReport says what Compact did.
type CompactReport struct {
	Packs     int   // pack files looked at
	Rewritten int   // of them rewritten (their live blobs moved to a new pack)
	Removed   int   // removed (rewritten ones included)
	Freed     int64 // bytes of pack files freed
}

// Compact rewrites the packs whose live blobs take less than half of their bytes into
// new packs and removes the packs that hold none; a pack that was never recorded (a
// Commit writes its pack before its rows: it crashed, or is between the two) is removed
// only once older than staleTemp. Safe while others read and commit: a row moves to the
// new pack in one transaction, after the new pack is synced, and the old file goes last
// (a reader that opened it reads on).
func (d *File) Compact(ctx context.Context) (CompactReport, error) {
	var rep CompactReport
	db, err := d.packs.open(false)
	if db == nil || err != nil {
		return rep, err
	}
	live := map[string]int64{}
	err = queryEach(ctx, db, func(rows *sql.Rows) error {
		var name string
		var n int64
		err := rows.Scan(&name, &n)
		live[name] = n
		return err
	}, `SELECT pack, SUM(size) FROM packed GROUP BY pack`)
	if err != nil {
		return rep, err
	}
	recorded := map[string]bool{}
	err = queryEach(ctx, db, func(rows *sql.Rows) error {
		var name string
		err := rows.Scan(&name)
		recorded[name] = true
		return err
	}, `SELECT name FROM packs`)
	if err != nil {
		return rep, err
	}
	ents, err := os.ReadDir(d.packs.dir)
	if err != nil {
		return rep, fmt.Errorf("pack directory: %w", err)
	}
	cutoff := time.Now().Add(-staleTemp)
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), packExt) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		rep.Packs++
		n := live[e.Name()]
		switch {
		case !recorded[e.Name()] && info.ModTime().Before(cutoff):
		case recorded[e.Name()] && n == 0:
			// Its rows were read apart from the packs: delete it only if it still has none.
			res, err := db.ExecContext(ctx, `DELETE FROM packs WHERE name = ? AND NOT EXISTS (SELECT 1 FROM packed WHERE pack = ?)`, e.Name(), e.Name())
			if err != nil {
				return rep, fmt.Errorf("pack index: %w", err)
			}
			if gone, err := res.RowsAffected(); err != nil || gone == 0 {
				continue
			}
		case recorded[e.Name()] && n*2 < info.Size():
			if err := d.packs.rewrite(ctx, db, e.Name()); err != nil {
				return rep, err
			}
			rep.Rewritten++
			rep.Freed -= n
		default:
			continue
		}
		if err := os.Remove(filepath.Join(d.packs.dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return rep, fmt.Errorf("pack file: %w", err)
		}
		rep.Removed++
		rep.Freed += info.Size()
	}
	return rep, nil
}

// rewrite copies the live blobs of pack into a new pack and moves their rows to it, in
// the transaction that records the new pack and forgets the old one.
func (p *packs) rewrite(ctx context.Context, db *sql.DB, pack string) error {
	type moved struct {
		path      string
		off, size int64
	}
	var list []moved
	err := queryEach(ctx, db, func(rows *sql.Rows) error {
		var m moved
		err := rows.Scan(&m.path, &m.off, &m.size)
		list = append(list, m)
		return err
	}, `SELECT path, off, size FROM packed WHERE pack = ? ORDER BY off`, pack)
	if err != nil {
		return err
	}
	src, err := os.Open(filepath.Join(p.dir, pack))
	if err != nil {
		return fmt.Errorf("pack file: %w", err)
	}
	defer src.Close()
	offs := make([]int64, len(list))
	name, err := p.writePack(func(w io.Writer) error {
		var off int64
		for i, m := range list {
			offs[i] = off
			if _, err := io.Copy(w, io.NewSectionReader(src, m.off, m.size)); err != nil {
				return fmt.Errorf("copying from %s: %w", pack, err)
			}
			off += m.size
		}
		return nil
	})
	if err != nil {
		return err
	}
	return p.inTx(ctx, name, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM packs WHERE name = ?`, pack); err != nil {
			return err
		}
		for i, m := range list {
			// A row deleted meanwhile stays deleted; its bytes are dead in the new pack.
			if _, err := tx.ExecContext(ctx, `UPDATE packed SET pack = ?, off = ? WHERE path = ? AND pack = ? AND off = ?`, name, offs[i], m.path, pack, m.off); err != nil {
				return err
			}
		}
		return nil
	})
}
