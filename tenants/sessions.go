package tenants

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// sessionTokenBytes is the entropy of a session token.
const sessionTokenBytes = 32

// sessionID returns the stored id of a session token: its hex SHA-256.
func sessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateSession signs a partner's user in for ttl. It returns the token for
// the cookie (32 random bytes, unpadded base64url) and the session, whose
// ID is the token's SHA-256; the token itself is not stored.
func (s *Store) CreateSession(ctx context.Context, partnerID, userID string, ttl time.Duration) (string, Session, error) {
	return s.OpenSession(ctx, partnerID, userID, ttl, SessionClient{})
}

// SessionClient is where a session is opened from: the client's address
// and its browser's User-Agent (cut to 200 characters), shown in the
// user's list of sessions.
type SessionClient struct {
	Addr, UserAgent string
}

// OpenSession is CreateSession, recording the client it is opened from.
func (s *Store) OpenSession(ctx context.Context, partnerID, userID string, ttl time.Duration, client SessionClient) (string, Session, error) {
	if ttl <= 0 {
		return "", Session{}, fmt.Errorf("tenants: create session: ttl %v: %w", ttl, ErrInvalid)
	}
	raw := make([]byte, sessionTokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", Session{}, fmt.Errorf("tenants: create session: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := s.timestamp()
	sess := Session{ID: sessionID(token), UserID: userID, PartnerID: partnerID, ExpiresAt: now.Add(ttl), CreatedAt: now}

	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return "", Session{}, fmt.Errorf("tenants: create session: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM users WHERE partner_id = ? AND id = ?`),
		partnerID, userID); err != nil {
		return "", Session{}, fmt.Errorf("tenants: create session: %w", err)
	}
	if n == 0 {
		return "", Session{}, ErrNotFound
	}
	ua := []rune(strings.ToValidUTF8(client.UserAgent, ""))
	client.UserAgent = string(ua[:min(len(ua), 200)])
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO sessions (id, user_id, partner_id, expires_at, created_at, client_addr, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?)`), sess.ID, sess.UserID, sess.PartnerID, sess.ExpiresAt, sess.CreatedAt,
		client.Addr, client.UserAgent); err != nil {
		return "", Session{}, fmt.Errorf("tenants: create session: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", Session{}, fmt.Errorf("tenants: create session: %w", err)
	}
	return token, sess, nil
}

// SessionUser returns the session of a cookie token on a partner's console
// and its user. An unknown or expired token, or one of another partner,
// returns ErrNotFound; an expired session is deleted. Sessions are cached
// (a page view then makes no query for them) and forgotten on every
// instance when one ends or its user changes.
func (s *Store) SessionUser(ctx context.Context, partnerID, token string) (Session, User, error) {
	if token == "" {
		return Session{}, User{}, ErrNotFound
	}
	id := sessionID(token)
	e, err := s.sessions.through(partnerID+"|"+id, s.now(), func() (sessionEntry, error) { return s.loadSession(ctx, partnerID, id) },
		func(e sessionEntry) sessionEntry { return e })
	if err != nil {
		return Session{}, User{}, err
	}
	if !s.timestamp().Before(e.session.ExpiresAt) {
		if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM sessions WHERE partner_id = ? AND id = ?`),
			partnerID, id); err != nil {
			return Session{}, User{}, fmt.Errorf("tenants: delete expired session: %w", err)
		}
		s.sessionsChanged(ctx)
		return Session{}, User{}, ErrNotFound
	}
	return e.session, e.user, nil
}

// sessionEntry is a session and its user, as the cache keeps them.
type sessionEntry struct {
	session Session
	user    User
}

// loadSession reads session id of a partner and its user.
func (s *Store) loadSession(ctx context.Context, partnerID, id string) (sessionEntry, error) {
	var row struct {
		userRow
		SessionID        string    `db:"session_id"`
		SessionExpiresAt time.Time `db:"session_expires_at"`
		SessionCreatedAt time.Time `db:"session_created_at"`
		SessionBiscuit   string    `db:"session_biscuit"`
	}
	err := s.db.GetContext(ctx, &row, s.db.Rebind(`SELECT s.id AS session_id, s.expires_at AS session_expires_at,
		s.created_at AS session_created_at, s.biscuit AS session_biscuit, u.id, u.partner_id, u.customer_id, u.email, u.name, u.role, u.member_role, u.language,
		u.created_at
		FROM sessions s JOIN users u ON u.id = s.user_id AND u.partner_id = s.partner_id
		WHERE s.partner_id = ? AND s.id = ?`), partnerID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return sessionEntry{}, ErrNotFound
	}
	if err != nil {
		return sessionEntry{}, fmt.Errorf("tenants: session: %w", err)
	}
	sess := Session{ID: row.SessionID, UserID: row.ID, PartnerID: row.PartnerID,
		ExpiresAt: utc(row.SessionExpiresAt), CreatedAt: utc(row.SessionCreatedAt), Biscuit: row.SessionBiscuit}
	return sessionEntry{session: sess, user: row.user()}, nil
}

// SetSessionBiscuit stores the Biscuit a session's console actions are
// authorized with.
func (s *Store) SetSessionBiscuit(ctx context.Context, partnerID, sessionID, biscuit string) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE sessions SET biscuit = ? WHERE partner_id = ? AND id = ?`),
		biscuit, partnerID, sessionID)
	return s.afterSessionChange(ctx, affectedOne(res, err, "set session biscuit"))
}

// DeleteSession signs out the session of a cookie token on a partner's
// console. Deleting an unknown session is not an error.
func (s *Store) DeleteSession(ctx context.Context, partnerID, token string) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM sessions WHERE partner_id = ? AND id = ?`),
		partnerID, sessionID(token)); err != nil {
		return fmt.Errorf("tenants: delete session: %w", err)
	}
	s.sessionsChanged(ctx)
	return nil
}

// DeleteExpiredSessions removes every expired session of every partner and
// returns how many it removed. It is maintenance for the operator's
// periodic job: the one session query not scoped by partner.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM sessions WHERE expires_at <= ?`), s.timestamp())
	if err != nil {
		return 0, fmt.Errorf("tenants: delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if n > 0 {
		s.sessionsChanged(ctx)
	}
	return n, err
}
