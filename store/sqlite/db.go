// Package sqlite is the embedded store: modernc.org/sqlite (pure Go) in WAL
// mode with a real schema, real indexes and versioned migrations. One writer
// connection, a small read-only pool.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gdqjp/qj/core"
)

// DB is the SQLite store.
type DB struct {
	w    *sql.DB // the single writer connection
	r    *sql.DB // read-only pool
	path string
	log  *slog.Logger

	// Readers hold mu for reading per query; the checkpointer takes it for
	// writing so a RESTART checkpoint is never starved by readers and the
	// WAL stays small under steady load.
	mu        sync.RWMutex
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the database file at path and migrates it.
func Open(ctx context.Context, path string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: create data dir: %w", err)
	}
	pragmas := []string{
		"journal_mode(WAL)", "busy_timeout(10000)", "synchronous(NORMAL)", "foreign_keys(1)",
		"mmap_size(268435456)", "cache_size(-32000)", "temp_store(MEMORY)",
	}
	dsn := func(extra ...string) string {
		q := url.Values{}
		for _, p := range append(pragmas, extra...) {
			q.Add("_pragma", p)
		}
		return "file:" + path + "?" + q.Encode()
	}
	w, err := sql.Open("sqlite", dsn()+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	db := &DB{w: w, path: path, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	if err := db.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn("query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open read pool: %w", err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	db.r = r
	go db.checkpointLoop()
	return db, nil
}

// Close stops the checkpointer and closes both pools.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.stop)
		<-db.done
		db.mu.Lock()
		defer db.mu.Unlock()
		_, _ = db.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		_, _ = db.w.Exec("PRAGMA optimize")
		db.closeErr = errors.Join(db.r.Close(), db.w.Close())
	})
	return db.closeErr
}

// Kind names the adapter.
func (db *DB) Kind() string { return "sqlite" }

// Ping checks both pools answer.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite writer: %w", err)
	}
	var one int
	if err := db.queryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlite reader: %w", err)
	}
	return nil
}

func (db *DB) checkpointLoop() {
	defer close(db.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-db.stop:
			return
		case <-t.C:
			db.mu.Lock()
			_, err := db.w.Exec("PRAGMA wal_checkpoint(RESTART)")
			db.mu.Unlock()
			if err != nil {
				db.log.Warn("sqlite checkpoint", "err", err)
			}
		}
	}
}

// rows wraps *sql.Rows so the read lock is released on Close.
type rows struct {
	*sql.Rows
	unlock func()
}

func (r *rows) Close() error {
	err := r.Rows.Close()
	if r.unlock != nil {
		r.unlock()
		r.unlock = nil
	}
	return err
}

func (db *DB) query(ctx context.Context, q string, args ...any) (*rows, error) {
	db.mu.RLock()
	rs, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		db.mu.RUnlock()
		return nil, fmt.Errorf("sqlite query: %w", err)
	}
	return &rows{Rows: rs, unlock: db.mu.RUnlock}, nil
}

type row struct {
	db   *DB
	q    string
	args []any
	ctx  context.Context
}

func (r row) Scan(dest ...any) error {
	r.db.mu.RLock()
	defer r.db.mu.RUnlock()
	return r.db.r.QueryRowContext(r.ctx, r.q, r.args...).Scan(dest...)
}

func (db *DB) queryRow(ctx context.Context, q string, args ...any) row {
	return row{db: db, q: q, args: args, ctx: ctx}
}

// tx runs fn in one immediate write transaction.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite commit: %w", err)
	}
	return nil
}

// isUnique reports whether err is a UNIQUE constraint violation, and on
// which columns.
func isUnique(err error) (bool, string) {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		return true, se.Error()
	}
	return false, ""
}

// getDoc decodes the JSON document of the one row q selects; what names
// the record in the NotFound message.
func getDoc[T any](ctx context.Context, db *DB, what, q string, args ...any) (*T, error) {
	var doc string
	if err := db.queryRow(ctx, q, args...).Scan(&doc); err != nil {
		return nil, notFound(err, what)
	}
	v := new(T)
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return nil, fmt.Errorf("decode %T: %w", v, err)
	}
	return v, nil
}

// values copies pointed-to records into a slice of values.
func values[T any](list []*T) []T {
	out := make([]T, len(list))
	for i, v := range list {
		out[i] = *v
	}
	return out
}

// queryDocs decodes the JSON document of every row q selects.
func queryDocs[T any](ctx context.Context, db *DB, q string, args ...any) ([]*T, error) {
	rs, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*T
	for rs.Next() {
		var doc string
		if err := rs.Scan(&doc); err != nil {
			return nil, err
		}
		v := new(T)
		if err := json.Unmarshal([]byte(doc), v); err != nil {
			return nil, fmt.Errorf("decode %T: %w", v, err)
		}
		out = append(out, v)
	}
	return out, rs.Err()
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return core.ErrNotFound(what)
	}
	return fmt.Errorf("sqlite: %w", err)
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// like escapes s for a LIKE pattern with ESCAPE '\'.
func like(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}
