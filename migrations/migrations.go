// Package migrations holds the portal's SQL schema, as numbered, append-only
// goose migrations embedded in the binary, and opens the database they run on.
//
// The SQL is portable: it runs on SQLite (the embedded default) and on
// PostgreSQL. Queries live in the package that owns each table; this package
// only creates and evolves the tables.
package migrations

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/url"

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
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrations: open %s: %w", path, err)
	}
	return db, nil
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
	if db.DriverName() == "postgres" || db.DriverName() == "pgx" {
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
