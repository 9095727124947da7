package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// The driver parses and plans every query it is given as text, which was the larger part
// of an upload's work (a dozen statements) and a good part of each read. stmtCache
// prepares each distinct query once per pool instead; database/sql then keeps it
// prepared on every connection that runs it (SQLite prepares again by itself when the
// schema changes). The rows of a prepared statement are reset when closed, as those of
// a one-off query are finalized, so no read is held open longer than before.

// maxCachedStmts bounds the cache: queries whose text varies with their arguments (IN
// lists) beyond it run unprepared, as all did before.
const maxCachedStmts = 512

type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}}
}

// prepare returns the prepared statement of query, preparing it on the pool; nil when
// the cache is full or the query cannot be prepared (the caller then runs it as text,
// which reports the error). It takes a connection: never call it holding the last one.
func (c *stmtCache) prepare(ctx context.Context, query string) *sql.Stmt {
	c.mu.Lock()
	st, ok := c.m[query]
	full := len(c.m) >= maxCachedStmts
	c.mu.Unlock()
	if ok || full {
		return st
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[query]; ok {
		_ = st.Close()
		return prev
	}
	c.m[query] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		_ = st.Close()
		delete(c.m, q)
	}
}

// cachedDB runs queries on a pool through its statement cache.
type cachedDB struct {
	*sql.DB
	c *stmtCache
}

func (d cachedDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := d.c.prepare(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return d.DB.ExecContext(ctx, query, args...)
}

func (d cachedDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := d.c.prepare(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return d.DB.QueryContext(ctx, query, args...)
}

func (d cachedDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := d.c.prepare(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return d.DB.QueryRowContext(ctx, query, args...)
}
