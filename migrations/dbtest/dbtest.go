// Package dbtest gives tests a fresh, migrated portal database: a SQLite
// file in the test's temporary directory, or, when GRISAILLE_TEST_DB is
// "postgres", a schema of its own on the PostgreSQL server that
// GRISAILLE_TEST_POSTGRES names, dropped when the test ends. `make test` runs
// the suite both ways.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/grisaille/grisaille/migrations"
)

const (
	// DBEnv chooses the tests' database: "postgres", or anything else for SQLite.
	DBEnv = "GRISAILLE_TEST_DB"
	// PostgresEnv is the URL of the PostgreSQL server the tests may use.
	PostgresEnv = "GRISAILLE_TEST_POSTGRES"
)

// Postgres reports whether the tests run on PostgreSQL.
func Postgres() bool { return os.Getenv(DBEnv) == "postgres" }

// Database returns the --database value of a fresh, empty database for the
// test: the path of a SQLite file named name in dir, or the URL of a new
// PostgreSQL schema (dropped at the end of the test). It fails the test when
// GRISAILLE_TEST_DB asks for PostgreSQL and GRISAILLE_TEST_POSTGRES names
// no server that answers.
func Database(t testing.TB, dir, name string) string {
	t.Helper()
	if !Postgres() {
		return filepath.Join(dir, name)
	}
	server := os.Getenv(PostgresEnv)
	if !migrations.IsPostgresURL(server) {
		t.Fatalf("%s=postgres, but %s=%q is not a postgres:// URL", DBEnv, PostgresEnv, server)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := migrations.Open(ctx, server)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a fresh database for the test, migrated to the current
// schema, closed when the test ends.
func Open(t testing.TB) *sqlx.DB {
	t.Helper()
	ctx := context.Background()
	db, err := migrations.Open(ctx, Database(t, t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := migrations.Up(ctx, db); err != nil {
		t.Fatal(err)
	}
	return db
}
