package tokens

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// PruneSessions deletes the records of console-session tokens that expired
// before the given instant, with the authority block minted for each, so
// that the records of sign-ins do not pile up. A deleted token was already
// refused (expired); with its records gone it is refused as unknown. It
// returns how many blocks it deleted.
func (s *Service) PruneSessions(ctx context.Context, before time.Time) (int64, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("tokens: prune sessions: %w", err)
	}
	defer tx.Rollback()
	var expired []struct {
		ID     string `db:"revocation_id"`
		Parent string `db:"parent_id"`
	}
	if err := tx.SelectContext(ctx, &expired, tx.Rebind(`SELECT revocation_id, parent_id FROM token_blocks
		WHERE session_id IS NOT NULL AND expires_at < ?`), before.UTC()); err != nil {
		return 0, fmt.Errorf("tokens: prune sessions: %w", err)
	}
	var n int64
	for _, e := range expired {
		deleted, err := deleteBlock(ctx, tx, e.ID)
		if err != nil {
			return 0, err
		}
		n += deleted
		// The session's authority block goes with it once nothing else
		// was derived from it.
		var children int
		if err := tx.GetContext(ctx, &children, tx.Rebind(`SELECT COUNT(*) FROM token_blocks WHERE parent_id = ?`), e.Parent); err != nil {
			return 0, fmt.Errorf("tokens: prune sessions: %w", err)
		}
		if children == 0 {
			res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM token_blocks WHERE revocation_id = ? AND block_index = 0`), e.Parent)
			if err != nil {
				return 0, fmt.Errorf("tokens: prune sessions: %w", err)
			}
			d, _ := res.RowsAffected()
			n += d
		}
	}
	if n > 0 {
		if err := recordChanged(ctx, tx); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("tokens: prune sessions: %w", err)
	}
	s.records.stale()
	return n, nil
}

// deleteBlock deletes one block record.
func deleteBlock(ctx context.Context, tx *sqlx.Tx, id string) (int64, error) {
	res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM token_blocks WHERE revocation_id = ?`), id)
	if err != nil {
		return 0, fmt.Errorf("tokens: prune sessions: %w", err)
	}
	return res.RowsAffected()
}
