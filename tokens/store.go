package tokens

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// blockRow is one row of token_blocks.
type blockRow struct {
	RevocationID string         `db:"revocation_id"`
	ParentID     string         `db:"parent_id"`
	PartnerID    string         `db:"partner_id"`
	CustomerID   sql.NullString `db:"customer_id"`
	UserID       sql.NullString `db:"user_id"`
	Label        string         `db:"label"`
	BlockIndex   int            `db:"block_index"`
	Restriction  string         `db:"restriction"`
	SessionID    sql.NullString `db:"session_id"`
	ExpiresAt    sql.NullTime   `db:"expires_at"`
	CreatedAt    time.Time      `db:"created_at"`
	RevokedAt    sql.NullTime   `db:"revoked_at"`
}

// blockColumns lists blockRow's columns in a SELECT.
const blockColumns = `revocation_id, parent_id, partner_id, customer_id, user_id, label, block_index,
	restriction, session_id, expires_at, created_at, revoked_at`

// record converts the row, decoding its restriction.
func (r blockRow) record() (Record, error) {
	rec := Record{
		RevocationID: r.RevocationID,
		ParentID:     r.ParentID,
		PartnerID:    r.PartnerID,
		CustomerID:   r.CustomerID.String,
		UserID:       r.UserID.String,
		Label:        r.Label,
		BlockIndex:   r.BlockIndex,
		CreatedAt:    r.CreatedAt.UTC(),
	}
	if err := json.Unmarshal([]byte(r.Restriction), &rec.Restriction); err != nil {
		return Record{}, fmt.Errorf("tokens: restriction of block %s: %w", r.RevocationID, err)
	}
	if r.RevokedAt.Valid {
		t := r.RevokedAt.Time.UTC()
		rec.RevokedAt = &t
	}
	return rec, nil
}

// nullString maps "" to NULL.
func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// timestamp returns the service's current time in UTC at the microsecond
// precision PostgreSQL keeps.
func (s *Service) timestamp() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// insertRecords records blocks in one transaction.
func (s *Service) insertRecords(ctx context.Context, recs []Record) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("tokens: record blocks: %w", err)
	}
	defer tx.Rollback()
	q := s.db.Rebind(`INSERT INTO token_blocks (` + blockColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`)
	for _, rec := range recs {
		restriction, err := json.Marshal(rec.Restriction)
		if err != nil {
			return fmt.Errorf("tokens: record block: %w", err)
		}
		expires := sql.NullTime{Time: rec.Restriction.ExpiresAt.UTC(), Valid: !rec.Restriction.ExpiresAt.IsZero()}
		if _, err := tx.ExecContext(ctx, q, rec.RevocationID, rec.ParentID, rec.PartnerID,
			nullString(rec.CustomerID), nullString(rec.UserID), rec.Label, rec.BlockIndex,
			string(restriction), nullString(rec.Restriction.Session), expires, rec.CreatedAt); err != nil {
			return fmt.Errorf("tokens: record block %d: %w", rec.BlockIndex, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("tokens: record blocks: %w", err)
	}
	return nil
}

// recordsByID returns the records of the revocation ids the store knows,
// keyed by revocation id: from the record cache when it has them all and
// no record changed since, else with one more query.
func (s *Service) recordsByID(ctx context.Context, ids []string) (map[string]Record, error) {
	if len(ids) == 0 {
		return map[string]Record{}, nil
	}
	changes, err := s.recordChanges(ctx)
	if err != nil {
		return nil, err
	}
	if cached, ok := s.records.get(ids, changes); ok {
		return cached, nil
	}
	out, err := s.lookUpRecords(ctx, ids)
	if err == nil {
		s.records.put(out, changes)
	}
	return out, err
}

// lookUpRecords is recordsByID from the store.
func (s *Service) lookUpRecords(ctx context.Context, ids []string) (map[string]Record, error) {
	q, args, err := sqlx.In(`SELECT `+blockColumns+` FROM token_blocks WHERE revocation_id IN (?)`, ids)
	if err != nil {
		return nil, fmt.Errorf("tokens: look up blocks: %w", err)
	}
	var rows []blockRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("tokens: look up blocks: %w", err)
	}
	out := make(map[string]Record, len(rows))
	for _, row := range rows {
		rec, err := row.record()
		if err != nil {
			return nil, err
		}
		out[rec.RevocationID] = rec
	}
	return out, nil
}

// selectRecords runs a SELECT of token_blocks rows after WHERE and returns
// their records.
func (s *Service) selectRecords(ctx context.Context, where string, args ...any) ([]Record, error) {
	var rows []blockRow
	q := s.db.Rebind(`SELECT ` + blockColumns + ` FROM token_blocks WHERE ` + where)
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("tokens: list blocks: %w", err)
	}
	out := make([]Record, 0, len(rows))
	for _, row := range rows {
		rec, err := row.record()
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// Records returns every block recorded for the partner tenant, newest first.
func (s *Service) Records(ctx context.Context, tenant string) ([]Record, error) {
	return s.selectRecords(ctx, `partner_id = ? ORDER BY created_at DESC, block_index DESC, revocation_id`, tenant)
}

// RecordsOfCustomer returns the blocks recorded for one customer of the
// partner tenant, newest first.
func (s *Service) RecordsOfCustomer(ctx context.Context, tenant, customerID string) ([]Record, error) {
	return s.selectRecords(ctx, `partner_id = ? AND customer_id = ? ORDER BY created_at DESC, block_index DESC, revocation_id`,
		tenant, customerID)
}

// Revoke revokes the block of revocationID, and so every token containing
// it, for the partner tenant. Another partner's id answers ErrUnknownToken,
// exactly as an unknown one. Revoking a revoked block changes nothing.
func (s *Service) Revoke(ctx context.Context, tenant, revocationID string) error {
	revocationID = strings.ToLower(strings.TrimSpace(revocationID))
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("tokens: revoke %s: %w", revocationID, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE token_blocks SET revoked_at = ?
		WHERE revocation_id = ? AND partner_id = ? AND revoked_at IS NULL`), s.timestamp(), revocationID, tenant)
	if err != nil {
		return fmt.Errorf("tokens: revoke %s: %w", revocationID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		if err := recordChanged(ctx, tx); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("tokens: revoke %s: %w", revocationID, err)
		}
		s.records.stale()
		return nil
	}
	if err := tx.Rollback(); err != nil {
		return fmt.Errorf("tokens: revoke %s: %w", revocationID, err)
	}
	var one int
	err = s.db.GetContext(ctx, &one, s.db.Rebind(`SELECT 1 FROM token_blocks WHERE revocation_id = ? AND partner_id = ?`),
		revocationID, tenant)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("tokens: revoke %s: %w", revocationID, ErrUnknownToken)
	}
	if err != nil {
		return fmt.Errorf("tokens: revoke %s: %w", revocationID, err)
	}
	return nil
}

// RevokeSession revokes every block of the partner tenant bound to the
// console session id session (on sign-out). No such block is not an error.
func (s *Service) RevokeSession(ctx context.Context, tenant, session string) error {
	if session == "" {
		return nil
	}
	return s.revokeBlocks(ctx, "revoke session", `partner_id = ? AND session_id = ?`, tenant, session)
}

// RevokeUser revokes every block issued to a user of the partner tenant:
// their sessions' and their tokens (when the user is removed).
func (s *Service) RevokeUser(ctx context.Context, tenant, userID string) error {
	return s.revokeBlocks(ctx, "revoke user", `partner_id = ? AND user_id = ?`, tenant, userID)
}

// RevokeCustomer revokes every block issued to a customer of the partner
// tenant (when the customer is deleted).
func (s *Service) RevokeCustomer(ctx context.Context, tenant, customerID string) error {
	return s.revokeBlocks(ctx, "revoke customer", `partner_id = ? AND customer_id = ?`, tenant, customerID)
}

// revokeBlocks revokes the blocks cond selects that are not revoked yet.
func (s *Service) revokeBlocks(ctx context.Context, what, cond string, args ...any) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("tokens: %s: %w", what, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE token_blocks SET revoked_at = ? WHERE `+cond+` AND revoked_at IS NULL`),
		append([]any{s.timestamp()}, args...)...)
	if err != nil {
		return fmt.Errorf("tokens: %s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		if err := recordChanged(ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("tokens: %s: %w", what, err)
	}
	s.records.stale()
	return nil
}
