package tenants

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Password resets.
const (
	// ResetTTL is how long a reset link works.
	ResetTTL = 30 * time.Minute
	// resetQuiet is how long after a reset was asked for another request
	// for the same user sends nothing: a retried or repeated request never
	// sends a second e-mail.
	resetQuiet = 2 * time.Minute
)

// Message ids of the resets' refusals.
const (
	MsgResetInvalid = "reset.invalid"
	MsgResetUsed    = "reset.used"
	MsgResetExpired = "reset.expired"
)

// ResetMail writes, inside the reset's transaction, the e-mail that carries
// its link: user is whom it is for, token the link's secret, id the
// reset's (a once-only key for the e-mail).
type ResetMail func(ctx context.Context, tx *sqlx.Tx, user User, id, token string) error

// StartPasswordReset asks for a reset of the password of the partner's
// user with that e-mail address: a single-use link, valid ResetTTL,
// stored with the e-mail that send writes, in one transaction. An address
// of no user, and a repeat within a short quiet time, do nothing: the
// caller answers the same in every case.
func (s *Store) StartPasswordReset(ctx context.Context, partnerID, email string, send ResetMail) error {
	u, err := s.UserByEmail(ctx, partnerID, email)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.timestamp()
	return s.inTx(ctx, "start password reset", func(tx *sqlx.Tx) error {
		var recent int
		if err := tx.GetContext(ctx, &recent, tx.Rebind(`SELECT COUNT(*) FROM password_resets WHERE user_id = ? AND created_at > ?
			AND used_at IS NULL`), u.ID, now.Add(-resetQuiet)); err != nil {
			return err
		}
		if recent > 0 {
			return nil
		}
		token, err := newLinkToken()
		if err != nil {
			return err
		}
		id := newID("rst")
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO password_resets (id, partner_id, user_id, token_hash, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`), id, partnerID, u.ID, tokenHash(token), now, now.Add(ResetTTL)); err != nil {
			return err
		}
		return send(ctx, tx, u, id, token)
	})
}

// PasswordReset is a reset as its link finds it.
type PasswordReset struct {
	ID        string    `db:"id"`
	UserID    string    `db:"user_id"`
	ExpiresAt time.Time `db:"expires_at"`
}

// CheckPasswordReset returns the reset of token, or a ValidationError
// saying why its link no longer works (unknown, used, expired).
func (s *Store) CheckPasswordReset(ctx context.Context, partnerID, token string) (PasswordReset, error) {
	return s.checkReset(ctx, s.db, partnerID, token)
}

func (s *Store) checkReset(ctx context.Context, q sqlx.QueryerContext, partnerID, token string) (PasswordReset, error) {
	var row struct {
		PasswordReset
		UsedAt sql.NullTime `db:"used_at"`
	}
	err := sqlx.GetContext(ctx, q, &row, s.db.Rebind(`SELECT id, user_id, expires_at, used_at FROM password_resets
		WHERE partner_id = ? AND token_hash = ?`), partnerID, tokenHash(token))
	switch {
	case errors.Is(err, sql.ErrNoRows) || token == "":
		return PasswordReset{}, invalid("token", MsgResetInvalid)
	case err != nil:
		return PasswordReset{}, fmt.Errorf("tenants: password reset: %w", err)
	case row.UsedAt.Valid:
		return PasswordReset{}, invalid("token", MsgResetUsed)
	case !row.ExpiresAt.After(s.timestamp()):
		return PasswordReset{}, invalid("token", MsgResetExpired)
	}
	row.ExpiresAt = utc(row.ExpiresAt)
	return row.PasswordReset, nil
}

// ResetPassword sets the password through a reset link, once: the link is
// used up, the old password stops working and every session of the user
// ends, in one transaction. It returns the user and the ids of the sessions
// ended (their Biscuits are the caller's to revoke).
func (s *Store) ResetPassword(ctx context.Context, partnerID, token, password string) (User, []string, error) {
	if _, err := s.CheckPasswordReset(ctx, partnerID, token); err != nil {
		return User{}, nil, err
	}
	hash, err := s.passwordHash(ctx, password)
	if err != nil {
		return User{}, nil, err
	}
	var userID string
	var ended []string
	err = s.inTx(ctx, "reset password", func(tx *sqlx.Tx) error {
		r, err := s.checkReset(ctx, tx, partnerID, token)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE password_resets SET used_at = ? WHERE id = ? AND used_at IS NULL`), s.timestamp(), r.ID)
		if n, _ := res.RowsAffected(); err == nil && n != 1 {
			return invalid("token", MsgResetUsed) // used at the same time
		}
		if err != nil {
			return err
		}
		userID = r.UserID
		ended, err = setPasswordTx(ctx, tx, partnerID, r.UserID, hash)
		return err
	})
	if err := s.afterSessionChange(ctx, err); err != nil {
		return User{}, nil, err
	}
	u, err := s.User(ctx, partnerID, userID)
	return u, ended, err
}

// tokenHash is how a link's token is stored: its SHA-256, in hex.
func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}
