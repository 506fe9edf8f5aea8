// Package migrations holds the portal's SQL schema, as numbered, append-only
// goose migrations embedded in the binary, and opens the database they run on:
// a SQLite file (the embedded default, one machine) or a PostgreSQL server
// (several instances), through pgx's database/sql driver.
//
// The SQL is portable: it runs on both. Queries live in the package that owns
// each table, written with ? placeholders that sqlx's Rebind turns into $n for
// PostgreSQL; what differs between the two dialects is in this package
// (dialect.go), and nowhere else.
package migrations

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL, driver "pgx"
	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // the embedded default driver
	"github.com/pressly/goose/v3"
)

//go:embed *.sql
var files embed.FS

// OpenSQLite opens (creating it if needed) the SQLite database file at path
// with write-ahead logging, a busy timeout, foreign keys on and immediate
// write transactions, so that concurrent writers wait instead of failing.
func OpenSQLite(path string) (*sqlx.DB, error) {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "NORMAL")
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sqlx.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("migrations: open %s: %w", path, err)
	}
	// Opening a SQLite connection reads the schema and sets the pragmas
	// again: keep the connections a busy portal uses open, rather than
	// open and close one per request past database/sql's two idle ones. A
	// connection idle a while is closed, and its page cache freed.
	db.SetMaxOpenConns(sqliteConns)
	db.SetMaxIdleConns(sqliteConns)
	db.SetConnMaxIdleTime(15 * time.Second)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrations: open %s: %w", path, err)
	}
	return db, nil
}

// sqliteConns bounds a SQLite database's connections: readers run side by
// side in write-ahead logging, writers take turns, so a few more than the
// processors is plenty.
var sqliteConns = max(8, 4*runtime.GOMAXPROCS(0))

// Open opens the database named by database: a postgres:// (or
// postgresql://) URL, else the path of a SQLite file (see OpenSQLite).
func Open(ctx context.Context, database string) (*sqlx.DB, error) {
	if !IsPostgresURL(database) {
		return OpenSQLite(database)
	}
	db, err := sqlx.Open("pgx", database)
	if err != nil {
		return nil, fmt.Errorf("migrations: open PostgreSQL: %w", err)
	}
	// A small pool per instance: several instances share the server's
	// connections.
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(postgresIdleConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrations: open PostgreSQL %s: %w", Redact(database), err)
	}
	return db, nil
}

// postgresIdleConns is how many idle connections a PostgreSQL pool keeps.
const postgresIdleConns = 10

// CloseIdle closes the connections of db no query uses (their buffers and
// statement caches with them), as a portal idle a while does; the pool opens
// new ones on demand.
func CloseIdle(db *sqlx.DB) {
	db.SetMaxIdleConns(0)
	if IsPostgres(db) {
		db.SetMaxIdleConns(postgresIdleConns)
	} else {
		db.SetMaxIdleConns(sqliteConns)
	}
}

// IsPostgresURL reports whether database names a PostgreSQL server.
func IsPostgresURL(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// Redact returns a database name fit for logs: a URL without its password.
func Redact(database string) string {
	u, err := url.Parse(database)
	if err != nil || !IsPostgresURL(database) {
		return database
	}
	return u.Redacted()
}

// Up applies every pending migration of the portal's schema. It is
// idempotent: running it on an up-to-date database changes nothing.
func Up(ctx context.Context, db *sqlx.DB) error {
	return UpFS(ctx, db, files)
}

// UpFS applies the pending goose migrations found at the root of fsys. Other
// packages with a database of their own (the platform emulator) use it with
// their own files.
func UpFS(ctx context.Context, db *sqlx.DB, fsys fs.FS) error {
	dialect := goose.DialectSQLite3
	if IsPostgres(db) {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, db.DB, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: up: %w", err)
	}
	return nil
}
