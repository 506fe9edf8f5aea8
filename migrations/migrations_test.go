package migrations_test

import (
	"bytes"
	"context"
	"maps"
	"os"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

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

// TestBrandFilesMigration: migration 19 moves the logos, icons and fonts
// of the live brand, the drafts and the versions into the one files shape,
// byte for byte, and its Down puts them back.
func TestBrandFilesMigration(t *testing.T) {
	ctx := context.Background()
	db, err := migrations.Open(ctx, dbtest.Database(t, t.TempDir(), "files.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dialect := goose.DialectSQLite3
	if migrations.IsPostgres(db) {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, db.DB, os.DirFS("."), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 18); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	logo, icon, font := []byte("<svg/>"), []byte{0x89, 'P', 'N', 'G', 0}, []byte("wOF2\x00")
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO partners (id, slug, brand_name, brand_primary_color, brand_accent_color, brand_background_color,
			brand_text_color, brand_font, brand_language, created_at) VALUES ('ptn_a', 'a', 'A', '#000000', '#000000', '#ffffff', '#000000', 'system', 'en', ?)`, []any{now}},
		{`INSERT INTO partner_logos VALUES ('ptn_a', ?, 'image/svg+xml', ?)`, []any{logo, now}},
		{`INSERT INTO partner_icons VALUES ('ptn_a', ?, 'image/png', ?)`, []any{icon, now}},
		{`INSERT INTO partner_fonts VALUES ('ptn_a', ?, 'font/woff2', ?)`, []any{font, now}},
		{`INSERT INTO brand_drafts (partner_id, brand, logo, logo_content_type, icon, icon_content_type, font_file, updated_at, updated_by)
			VALUES ('ptn_a', '{}', ?, 'image/svg+xml', NULL, '', ?, ?, 'x')`, []any{logo, font, now}},
		{`INSERT INTO brand_versions (partner_id, version, brand, logo, logo_content_type, icon, icon_content_type, font_file,
			published_at, published_by) VALUES ('ptn_a', 1, '{}', NULL, '', ?, 'image/png', NULL, ?, 'x')`, []any{icon, now}},
	} {
		if _, err := db.ExecContext(ctx, db.Rebind(q.sql), q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	if _, err := p.UpTo(ctx, 19); err != nil {
		t.Fatal(err)
	}
	files := func(table, cond string) map[string]string {
		var rows []struct {
			Kind string `db:"kind"`
			Data []byte `db:"data"`
			Type string `db:"content_type"`
		}
		if err := db.SelectContext(ctx, &rows, `SELECT kind, data, content_type FROM `+table+` WHERE `+cond); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, r := range rows {
			out[r.Kind] = r.Type + " " + string(r.Data)
		}
		return out
	}
	for table, want := range map[string]map[string]string{
		"partner_files":       {"logo": "image/svg+xml " + string(logo), "icon": "image/png " + string(icon), "font": "font/woff2 " + string(font)},
		"brand_draft_files":   {"logo": "image/svg+xml " + string(logo), "font": "font/woff2 " + string(font)},
		"brand_version_files": {"icon": "image/png " + string(icon)},
	} {
		if got := files(table, "partner_id = 'ptn_a'"); !maps.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", table, got, want)
		}
	}
	if _, err := p.DownTo(ctx, 18); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Logo []byte `db:"logo"`
		Font []byte `db:"font_file"`
	}
	if err := db.GetContext(ctx, &back, `SELECT logo, font_file FROM brand_drafts WHERE partner_id = 'ptn_a'`); err != nil ||
		!bytes.Equal(back.Logo, logo) || !bytes.Equal(back.Font, font) {
		t.Errorf("down: the draft's files are %q, %q (%v)", back.Logo, back.Font, err)
	}
	var n int
	if err := db.GetContext(ctx, &n, `SELECT COUNT(*) FROM partner_icons WHERE partner_id = 'ptn_a'`); err != nil || n != 1 {
		t.Errorf("down: %d icons (%v)", n, err)
	}
}
