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
	db      *sql.DB
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	pending map[string]bool // met in a transaction, to prepare once it ends
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// get returns the prepared statement of query, or nil when there is none yet.
func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
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

// later notes a query met in a transaction: preparing it on the pool would wait for the
// connection the transaction holds (the write pool has one).
func (c *stmtCache) later(query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) < maxCachedStmts {
		c.pending[query] = true
	}
}

// preparePending prepares the queries noted by later; call it with no transaction open.
func (c *stmtCache) preparePending(ctx context.Context) {
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	qs := make([]string, 0, len(c.pending))
	for q := range c.pending {
		qs = append(qs, q)
	}
	clear(c.pending)
	c.mu.Unlock()
	for _, q := range qs {
		c.prepare(ctx, q)
	}
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

// cachedTx runs queries in a transaction through the statement cache of its pool
// (Tx.StmtContext reuses the statement already prepared on the transaction's connection).
// A query the pool has not prepared yet is prepared on the transaction for the rest of
// it (own), and on the pool once it ends: a sync's batch runs the same few statements
// thousands of times in one transaction, and parsing each run was a fifth of its work.
type cachedTx struct {
	*sql.Tx
	c   *stmtCache
	own map[string]*sql.Stmt // the transaction's statements, closed with it
}

func (t cachedTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := t.own[query]; ok {
		return st
	}
	if t.own == nil || len(t.own) >= maxCachedStmts {
		if st := t.c.get(query); st != nil {
			return t.Tx.StmtContext(ctx, st)
		}
		t.c.later(query)
		return nil
	}
	// The transaction's own form of a pooled statement is kept for its other runs: each
	// Tx.StmtContext makes a statement the transaction holds until it ends, so a sync's
	// batch of thousands of runs held thousands.
	if st := t.c.get(query); st != nil {
		st = t.Tx.StmtContext(ctx, st)
		t.own[query] = st
		return st
	}
	t.c.later(query)
	st, err := t.Tx.PrepareContext(ctx, query)
	if err != nil {
		return nil // run as text, which reports the error
	}
	t.own[query] = st
	return st
}

func (t cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

func (t cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

func (t cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}
