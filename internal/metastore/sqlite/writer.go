package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
)

// writer is the one connection every write transaction runs on, held for the store's
// life, with the statements prepared on it. A statement of the pool run in a transaction
// took a Tx.StmtContext per transaction (a statement the transaction holds until it
// ends); one prepared on the connection itself runs in whatever transaction the
// connection has open, as is. Transactions take turns (turn), as the pool of one
// connection had them wait for it.
type writer struct {
	db    *sql.DB
	turn  chan struct{}
	conn  *sql.Conn            // nil until the first transaction, and after a broken one
	stmts map[string]*sql.Stmt // prepared on conn; only used holding the turn
}

func newWriter(db *sql.DB) *writer {
	return &writer{db: db, turn: make(chan struct{}, 1), stmts: map[string]*sql.Stmt{}}
}

// acquire waits for the turn to write, or for ctx to end.
func (w *writer) acquire(ctx context.Context) error {
	select {
	case w.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *writer) release() { <-w.turn }

// connect returns the connection, taking it from the pool when there is none. Call it
// holding the turn.
func (w *writer) connect(ctx context.Context) (*sql.Conn, error) {
	if w.conn == nil {
		c, err := w.db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		w.conn = c
	}
	return w.conn, nil
}

// broken drops the connection and its statements when err says the connection is gone,
// so that the next transaction takes a new one. Call it holding the turn.
func (w *writer) broken(err error) {
	if w.conn == nil || !errors.Is(err, driver.ErrBadConn) && !errors.Is(err, sql.ErrConnDone) {
		return
	}
	w.drop()
}

// drop closes the statements and gives the connection back. Call it holding the turn.
func (w *writer) drop() {
	for q, st := range w.stmts {
		_ = st.Close()
		delete(w.stmts, q)
	}
	if w.conn != nil {
		_ = w.conn.Close()
		w.conn = nil
	}
}

// stmt returns the statement of query prepared on the connection, preparing it the
// first time; nil past maxCachedStmts or when it does not prepare (the caller then runs
// the text, which reports the error).
func (w *writer) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := w.stmts[query]; ok {
		return st
	}
	if len(w.stmts) >= maxCachedStmts {
		return nil
	}
	st, err := w.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	w.stmts[query] = st
	return st
}

// connTx runs the queries of a transaction open on the writer's connection.
type connTx struct{ w *writer }

func (t connTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.w.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.w.conn.ExecContext(ctx, query, args...)
}

func (t connTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.w.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.w.conn.QueryContext(ctx, query, args...)
}

func (t connTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.w.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.w.conn.QueryRowContext(ctx, query, args...)
}
