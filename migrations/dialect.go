package migrations

import (
	"errors"

	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"
)

// IsPostgres reports whether db is a PostgreSQL database (else SQLite).
func IsPostgres(db *sqlx.DB) bool {
	switch db.DriverName() {
	case "pgx", "postgres":
		return true
	}
	return false
}

// IsUniqueViolation reports whether err is a unique-constraint violation,
// on SQLite or on a PostgreSQL driver exposing SQLSTATE (pgx, lib/pq).
func IsUniqueViolation(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	var pe interface{ SQLState() string }
	if errors.As(err, &pe) {
		return pe.SQLState() == "23505"
	}
	return false
}
