package migrations_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/grisaille/grisaille/migrations"
	"github.com/grisaille/grisaille/migrations/dbtest"
)

// TestDialect checks that the tests run on the database they were asked
// to, and that the column types the stores rely on keep their values alike
// on SQLite and PostgreSQL: booleans, bytes, microsecond UTC timestamps,
// exact decimal text, and a migrated schema that a second Up leaves alone.
func TestDialect(t *testing.T) {
	db := dbtest.Open(t)
	if got, want := migrations.IsPostgres(db), dbtest.Postgres(); got != want {
		t.Fatalf("the tests asked for PostgreSQL: %v; the database is PostgreSQL: %v", want, got)
	}
	ctx := context.Background()
	if err := migrations.Up(ctx, db); err != nil {
		t.Fatalf("a second Up: %v", err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE dialect_probe (flag BOOLEAN NOT NULL, data BYTEA NOT NULL, at TIMESTAMP NOT NULL, amount TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 20, 52, 25, 983994000, time.UTC)
	data := []byte{0, 1, 2, 0xff}
	if _, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO dialect_probe (flag, data, at, amount) VALUES (?, ?, ?, ?)`),
		true, data, at, "0.0000000000000004"); err != nil {
		t.Fatal(err)
	}
	var row struct {
		Flag   bool      `db:"flag"`
		Data   []byte    `db:"data"`
		At     time.Time `db:"at"`
		Amount string    `db:"amount"`
	}
	if err := db.GetContext(ctx, &row, `SELECT flag, data, at, amount FROM dialect_probe`); err != nil {
		t.Fatal(err)
	}
	if !row.Flag || !bytes.Equal(row.Data, data) || !row.At.UTC().Equal(at) || row.Amount != "0.0000000000000004" {
		t.Errorf("read back %+v; wrote true, %v, %v, 0.0000000000000004", row, data, at)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://portal:s3cret@db:5432/grisaille?sslmode=require": "postgres://portal:xxxxx@db:5432/grisaille?sslmode=require",
		"./data/grisaille.db": "./data/grisaille.db",
	} {
		if got := migrations.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
