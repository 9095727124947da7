package blobstore

import (
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
	mtime INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS packed_pack ON packed(pack);
CREATE TABLE IF NOT EXISTS packs (name TEXT PRIMARY KEY) WITHOUT ROWID;`

// open returns the index database, opening it (and, with create, making it and its
// folder) on first use; nil without create when there is none yet.
func (p *packs) open(create bool) (*sql.DB, error) {
	if p.openDB == nil {
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
		if _, err = db.Exec(packSchema); err != nil {
			db.Close()
			continue
		}
		break
	}
	if err != nil {
		return nil, fmt.Errorf("pack index: %w", err)
	}
	get, err := db.Prepare(`SELECT pack, off, size, mtime FROM packed WHERE path = ?`)
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

// lookup finds where path is packed; ok false when no pack holds it.
func (p *packs) lookup(ctx context.Context, path string) (packLoc, bool, error) {
	db, err := p.open(false)
	if db == nil || err != nil {
		return packLoc{}, false, err
	}
	var l packLoc
	var mtime int64
	p.mu.Lock()
	get := p.get
	p.mu.Unlock()
	err = get.QueryRowContext(ctx, path).Scan(&l.pack, &l.off, &l.size, &mtime)
	if errors.Is(err, sql.ErrNoRows) {
		return packLoc{}, false, nil
	}
	if err != nil {
		return packLoc{}, false, fmt.Errorf("pack index: %w", err)
	}
	l.mtime = time.Unix(0, mtime)
	return l, true, nil
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
		q := `SELECT path, size, mtime FROM packed WHERE path IN (?` + strings.Repeat(`, ?`, n-1) + `)`
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("pack index: %w", err)
		}
		for rows.Next() {
			var i Info
			var mtime int64
			if err := rows.Scan(&i.Path, &i.Size, &mtime); err != nil {
				rows.Close()
				return nil, fmt.Errorf("pack index: %w", err)
			}
			i.ModTime = time.Unix(0, mtime)
			out[i.Path] = i
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("pack index: %w", err)
		}
		paths = paths[n:]
	}
	return out, nil
}

// packedBlob is a packed blob opened for reading: a section of its pack file.
type packedBlob struct {
	*io.SectionReader
	f *os.File
}

func (b *packedBlob) Close() error { return b.f.Close() }

// reader opens the packed blob at path; ok false when no pack holds it.
func (p *packs) reader(ctx context.Context, path string) (io.ReadSeekCloser, int64, bool, error) {
	// Compact may move the blob to another pack (and remove the old one) between the
	// lookup and the open, and again before the next: look again while the row moves.
	var last packLoc
	for range 8 {
		l, ok, err := p.lookup(ctx, path)
		if !ok || err != nil {
			return nil, 0, false, err
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

// write appends the entries to a new pack file, synced when fsync is set (otherwise the
// caller syncs the file system), and returns the pack's name and each entry's offset.
func (p *packs) write(entries []packEntry, fsync bool) (string, []int64, error) {
	if err := MkdirPrivate(p.dir); err != nil {
		return "", nil, fmt.Errorf("pack directory: %w", err)
	}
	f, err := os.CreateTemp(p.dir, "pack-*"+packExt) // 0600
	if err != nil {
		return "", nil, fmt.Errorf("pack file: %w", err)
	}
	offs := make([]int64, len(entries))
	var off int64
	for i, e := range entries {
		offs[i] = off
		if _, err = f.Write(e.data); err != nil {
			break
		}
		off += int64(len(e.data))
	}
	if err == nil && fsync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", nil, fmt.Errorf("pack file: %w", err)
	}
	return filepath.Base(f.Name()), offs, nil
}

// record commits the rows of a written (and synced) pack: its blobs are stored after.
// A path already packed keeps its row (same bytes, and a reader may hold it).
func (p *packs) record(ctx context.Context, pack string, entries []packEntry, offs []int64) error {
	db, err := p.open(true)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("pack index: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO packed (path, pack, off, size, mtime) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("pack index: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO packs (name) VALUES (?)`, pack); err != nil {
		return fmt.Errorf("pack index: %w", err)
	}
	now := time.Now().UnixNano()
	for i, e := range entries {
		if _, err := stmt.ExecContext(ctx, e.path, pack, offs[i], len(e.data), now); err != nil {
			return fmt.Errorf("pack index: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("pack index: %w", err)
	}
	return nil
}

// remove drops the row of path; found false when there was none.
func (p *packs) remove(ctx context.Context, path string) (bool, error) {
	db, err := p.open(false)
	if db == nil || err != nil {
		return false, err
	}
	res, err := db.ExecContext(ctx, `DELETE FROM packed WHERE path = ?`, path)
	if err != nil {
		return false, fmt.Errorf("pack index: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
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
	rows, err := db.QueryContext(ctx, `SELECT path, size, mtime FROM packed WHERE path > ? AND path < ? ORDER BY path LIMIT ?`, lo, hi, walkPage)
	if err != nil {
		return nil, fmt.Errorf("pack index: %w", err)
	}
	defer rows.Close()
	var out []Info
	for rows.Next() {
		var i Info
		var mtime int64
		if err := rows.Scan(&i.Path, &i.Size, &mtime); err != nil {
			return nil, fmt.Errorf("pack index: %w", err)
		}
		i.ModTime = time.Unix(0, mtime)
		out = append(out, i)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pack index: %w", err)
	}
	return out, nil
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
	rows, err := db.QueryContext(ctx, `SELECT pack, SUM(size) FROM packed GROUP BY pack`)
	if err != nil {
		return rep, fmt.Errorf("pack index: %w", err)
	}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			rows.Close()
			return rep, fmt.Errorf("pack index: %w", err)
		}
		live[name] = n
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return rep, fmt.Errorf("pack index: %w", err)
	}
	recorded := map[string]bool{}
	rows, err = db.QueryContext(ctx, `SELECT name FROM packs`)
	if err != nil {
		return rep, fmt.Errorf("pack index: %w", err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return rep, fmt.Errorf("pack index: %w", err)
		}
		recorded[name] = true
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return rep, fmt.Errorf("pack index: %w", err)
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

// rewrite copies the live blobs of pack into a new pack and moves their rows to it. A
// pack holds at most heldMax bytes (a batch's held blobs), so its live blobs are read
// into memory.
func (p *packs) rewrite(ctx context.Context, db *sql.DB, pack string) error {
	rows, err := db.QueryContext(ctx, `SELECT path, off, size FROM packed WHERE pack = ? ORDER BY off`, pack)
	if err != nil {
		return fmt.Errorf("pack index: %w", err)
	}
	type moved struct {
		path      string
		off, size int64
	}
	var list []moved
	for rows.Next() {
		var m moved
		if err := rows.Scan(&m.path, &m.off, &m.size); err != nil {
			rows.Close()
			return fmt.Errorf("pack index: %w", err)
		}
		list = append(list, m)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return fmt.Errorf("pack index: %w", err)
	}
	src, err := os.Open(filepath.Join(p.dir, pack))
	if err != nil {
		return fmt.Errorf("pack file: %w", err)
	}
	defer src.Close()
	entries := make([]packEntry, len(list))
	for i, m := range list {
		data := make([]byte, m.size)
		if _, err := src.ReadAt(data, m.off); err != nil {
			return fmt.Errorf("pack file %s: %w", pack, err)
		}
		entries[i] = packEntry{path: m.path, data: data}
	}
	name, offs, err := p.write(entries, true)
	if err != nil {
		return err
	}
	if err := syncDir(p.dir); err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		os.Remove(filepath.Join(p.dir, name))
		return fmt.Errorf("pack index: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO packs (name) VALUES (?)`, name); err != nil {
		os.Remove(filepath.Join(p.dir, name))
		return fmt.Errorf("pack index: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM packs WHERE name = ?`, pack); err != nil {
		os.Remove(filepath.Join(p.dir, name))
		return fmt.Errorf("pack index: %w", err)
	}
	for i, m := range list {
		// A row deleted meanwhile stays deleted; its bytes are dead in the new pack.
		if _, err := tx.ExecContext(ctx, `UPDATE packed SET pack = ?, off = ? WHERE path = ? AND pack = ? AND off = ?`, name, offs[i], m.path, pack, m.off); err != nil {
			os.Remove(filepath.Join(p.dir, name))
			return fmt.Errorf("pack index: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		os.Remove(filepath.Join(p.dir, name))
		return fmt.Errorf("pack index: %w", err)
	}
	return nil
}
