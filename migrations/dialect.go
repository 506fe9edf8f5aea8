package migrations

import "github.com/jmoiron/sqlx"

// IsPostgres reports whether db is a PostgreSQL database (else SQLite).
func IsPostgres(db *sqlx.DB) bool {
	switch db.DriverName() {
	case "pgx", "postgres":
		return true
	}
	return false
}
