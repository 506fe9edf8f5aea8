package tenants

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// SessionInfo is one of a user's open sessions, as the user's list shows it.
type SessionInfo struct {
	ID         string    `db:"id"`
	CreatedAt  time.Time `db:"created_at"`
	ExpiresAt  time.Time `db:"expires_at"`
	ClientAddr string    `db:"client_addr"`
	UserAgent  string    `db:"user_agent"`
}

// UserSessions lists a user's open sessions, newest first.
func (s *Store) UserSessions(ctx context.Context, partnerID, userID string) ([]SessionInfo, error) {
	var out []SessionInfo
	if err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT id, created_at, expires_at, client_addr, user_agent FROM sessions
		WHERE partner_id = ? AND user_id = ? AND expires_at > ? ORDER BY created_at DESC, id`), partnerID, userID, s.timestamp()); err != nil {
		return nil, fmt.Errorf("tenants: user sessions: %w", err)
	}
	for i := range out {
		out[i].CreatedAt, out[i].ExpiresAt = utc(out[i].CreatedAt), utc(out[i].ExpiresAt)
	}
	return out, nil
}

// EndSessions signs a user out of their sessions: the one of id, or every
// one but keep when id is "". It returns the ids of the sessions ended
// (their Biscuits are the caller's to revoke); none is not an error.
func (s *Store) EndSessions(ctx context.Context, partnerID, userID, id, keep string) ([]string, error) {
	var ended []string
	err := s.inTx(ctx, "end sessions", func(tx *sqlx.Tx) error {
		var err error
		ended, err = endSessionsTx(ctx, tx, partnerID, userID, id, keep)
		return err
	})
	return ended, s.afterSessionChange(ctx, err)
}

// endSessionsTx is EndSessions inside tx.
func endSessionsTx(ctx context.Context, tx *sqlx.Tx, partnerID, userID, id, keep string) ([]string, error) {
	cond, args := `partner_id = ? AND user_id = ? AND id <> ?`, []any{partnerID, userID, keep}
	if id != "" {
		cond, args = cond+` AND id = ?`, append(args, id)
	}
	var ended []string
	if err := tx.SelectContext(ctx, &ended, tx.Rebind(`SELECT id FROM sessions WHERE `+cond), args...); err != nil {
		return nil, fmt.Errorf("tenants: end sessions: %w", err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM sessions WHERE `+cond), args...); err != nil {
		return nil, fmt.Errorf("tenants: end sessions: %w", err)
	}
	return ended, nil
}

// ChangePassword sets a user's new password once their current one is
// checked, and ends every other session of theirs (keep is the session
// making the change), in one transaction. A wrong current password is a
// ValidationError on "current"; the ids of the sessions ended are returned.
func (s *Store) ChangePassword(ctx context.Context, partnerID, userID, current, next, keep string) ([]string, error) {
	var hash string
	if err := s.db.GetContext(ctx, &hash, s.db.Rebind(`SELECT password_hash FROM users WHERE partner_id = ? AND id = ?`),
		partnerID, userID); err != nil {
		return nil, fmt.Errorf("tenants: change password: %w", err)
	}
	if hash == noPassword { // a single sign-on user has no current password
		return nil, invalid("current", MsgCurrentPasswordWrong)
	}
	ok, err := withHashSlot(ctx, func() (bool, error) { return CheckPassword(hash, current) })
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, invalid("current", MsgCurrentPasswordWrong)
	}
	newHash, err := s.passwordHash(ctx, next)
	if err != nil {
		return nil, err
	}
	var ended []string
	err = s.inTx(ctx, "change password", func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET password_hash = ? WHERE partner_id = ? AND id = ? AND password_hash = ?`),
			newHash, partnerID, userID, hash)
		if err := affectedOne(res, err, "change password"); err != nil {
			return invalid("current", MsgCurrentPasswordWrong) // changed meanwhile
		}
		ended, err = endSessionsTx(ctx, tx, partnerID, userID, "", keep)
		return err
	})
	return ended, s.afterSessionChange(ctx, err)
}

// MsgCurrentPasswordWrong refuses a password change whose current password
// is wrong.
const MsgCurrentPasswordWrong = "account.current_wrong"
