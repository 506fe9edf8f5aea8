package tenants

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// InvitationTTL is how long an invitation's link works.
const InvitationTTL = 7 * 24 * time.Hour

// Message ids of invitation refusals.
const (
	MsgInvitationInvalid  = "invite.invalid"
	MsgInvitationUsed     = "invite.used"
	MsgInvitationExpired  = "invite.expired"
	MsgInvitationPending  = "invite.already_pending"
	MsgInvitationIsMember = "invite.is_member"
)

// Invitation is an invitation to join a partner (CustomerID "": as an
// admin) or one of its customers (with Member's role).
type Invitation struct {
	ID         string     `db:"id"`
	PartnerID  string     `db:"partner_id"`
	CustomerID string     `db:"customer_id"`
	Email      string     `db:"email"`
	Member     MemberRole `db:"member_role"`
	// CustomerName is the name of the customer invited to, "" for none.
	CustomerName string       `db:"customer_name"`
	Name         string       `db:"name"`
	Language     string       `db:"language"`
	InvitedBy    string       `db:"invited_by"`
	Sends        int          `db:"sends"`
	CreatedAt    time.Time    `db:"created_at"`
	ExpiresAt    time.Time    `db:"expires_at"`
	AcceptedAt   sql.NullTime `db:"accepted_at"`
}

// InvitationMail writes, inside the invitation's transaction, the e-mail
// carrying its link: key is once-only for this sending.
type InvitationMail func(ctx context.Context, tx *sqlx.Tx, inv Invitation, token, key string) error

const invitationColumns = `id, partner_id, COALESCE(customer_id, '') AS customer_id, email, member_role,
	COALESCE((SELECT c.name FROM customers c WHERE c.id = invitations.customer_id), '') AS customer_name, name, language, invited_by, sends,
	created_at, expires_at, accepted_at`

// InviteCreate is an invitation to make: to the partner's admins
// (CustomerID "", Member "") or to one of its customers with Member's
// role; Name and Language are the invitee's, as the inviter knows them.
type InviteCreate struct {
	PartnerID, CustomerID, Email string
	Member                       MemberRole
	Name, Language               string
	InvitedBy                    string
}

// Invite stores an invitation and writes its e-mail through send, in one
// transaction. An address that is already a user of the partner, or has a
// pending invitation there, is refused.
func (s *Store) Invite(ctx context.Context, in InviteCreate, send InvitationMail) (Invitation, error) {
	var inv Invitation
	err := s.inTx(ctx, "invite", func(tx *sqlx.Tx) error {
		var err error
		inv, err = s.inviteTx(ctx, tx, in, send)
		return err
	})
	return inv, err
}

// CreateCustomerWithInvitation stores a new customer and the invitation of
// its first owner in one transaction: either both exist afterwards or
// neither does.
func (s *Store) CreateCustomerWithInvitation(ctx context.Context, cc CustomerCreate, in InviteCreate, send InvitationMail) (Customer, error) {
	var c Customer
	err := s.inTx(ctx, "create customer", func(tx *sqlx.Tx) error {
		var err error
		if c, err = s.createCustomer(ctx, tx, in.PartnerID, cc); err != nil {
			return err
		}
		in.CustomerID, in.Member = c.ID, MemberOwner
		_, err = s.inviteTx(ctx, tx, in, send)
		return err
	})
	return c, s.afterTenantChange(ctx, err)
}

// CheckInvitee reports whether email may be invited to the partner: a
// valid address, no user's and without a pending invitation.
func (s *Store) CheckInvitee(ctx context.Context, partnerID, email string) error {
	return s.inTx(ctx, "check invitee", func(tx *sqlx.Tx) error {
		_, err := s.invitee(ctx, tx, partnerID, email)
		return err
	})
}

// invitee normalises email and checks it may be invited to the partner.
func (s *Store) invitee(ctx context.Context, tx *sqlx.Tx, partnerID, email string) (string, error) {
	addr, ok := normalizeEmail(email)
	if !ok {
		return "", invalid("email", MsgEmailInvalid)
	}
	var n int
	if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM users WHERE partner_id = ? AND email = ?`), partnerID, addr); err != nil {
		return "", err
	}
	if n > 0 {
		return "", duplicate("email", MsgInvitationIsMember)
	}
	if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM invitations WHERE partner_id = ? AND email = ?
		AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?`), partnerID, addr, s.timestamp()); err != nil {
		return "", err
	}
	if n > 0 {
		return "", duplicate("email", MsgInvitationPending)
	}
	return addr, nil
}

// inviteTx is Invite inside tx.
func (s *Store) inviteTx(ctx context.Context, tx *sqlx.Tx, in InviteCreate, send InvitationMail) (Invitation, error) {
	switch {
	case in.CustomerID == "" && !in.Member.ValidStaff():
		return Invitation{}, invalid("role", MsgMemberRoleInvalid)
	case in.CustomerID != "" && !in.Member.Valid():
		return Invitation{}, invalid("role", MsgMemberRoleInvalid)
	case !validLanguage(in.Language):
		return Invitation{}, invalid("language", MsgLanguageInvalid)
	case utf8.RuneCountInString(in.Name) > MaxUserNameLength:
		return Invitation{}, invalid("name", MsgUserNameTooLong)
	}
	addr, err := s.invitee(ctx, tx, in.PartnerID, in.Email)
	if err != nil {
		return Invitation{}, err
	}
	var customerName string
	if in.CustomerID != "" {
		err := tx.GetContext(ctx, &customerName, tx.Rebind(`SELECT name FROM customers WHERE partner_id = ? AND id = ?`), in.PartnerID, in.CustomerID)
		if err != nil {
			return Invitation{}, notFoundOr(err, "invite")
		}
	}
	token, err := newLinkToken()
	if err != nil {
		return Invitation{}, err
	}
	now := s.timestamp()
	inv := Invitation{ID: newID("inv"), PartnerID: in.PartnerID, CustomerID: in.CustomerID, Email: addr, Member: in.Member,
		CustomerName: customerName, Name: in.Name, Language: in.Language, InvitedBy: in.InvitedBy, Sends: 1, CreatedAt: now,
		ExpiresAt: now.Add(InvitationTTL)}
	customer := sql.NullString{String: in.CustomerID, Valid: in.CustomerID != ""}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO invitations (id, partner_id, customer_id, email, member_role, name, language,
		token_hash, invited_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), inv.ID, in.PartnerID, customer, addr,
		string(in.Member), in.Name, in.Language, tokenHash(token), in.InvitedBy, now, inv.ExpiresAt); err != nil {
		return Invitation{}, err
	}
	return inv, send(ctx, tx, inv, token, inv.ID+":1")
}

// Invitations lists the pending invitations to the partner's admins
// (customerID "") or to one of its customers, newest first.
func (s *Store) Invitations(ctx context.Context, partnerID, customerID string) ([]Invitation, error) {
	cond := `customer_id IS NULL`
	args := []any{partnerID, s.timestamp()}
	if customerID != "" {
		cond, args = `customer_id = ?`, append(args, customerID)
	}
	var out []Invitation
	if err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT `+invitationColumns+` FROM invitations WHERE partner_id = ?
		AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ? AND `+cond+` ORDER BY created_at DESC, id`), args...); err != nil {
		return nil, fmt.Errorf("tenants: invitations: %w", err)
	}
	return out, nil
}

// ResendInvitation sends a pending invitation again with a new link (the
// old one stops working) and a new expiry.
func (s *Store) ResendInvitation(ctx context.Context, partnerID, customerID, id string, send InvitationMail) error {
	token, err := newLinkToken()
	if err != nil {
		return err
	}
	now := s.timestamp()
	return s.inTx(ctx, "resend invitation", func(tx *sqlx.Tx) error {
		inv, err := s.pendingInvitation(ctx, tx, partnerID, customerID, id, now)
		if err != nil {
			return err
		}
		inv.Sends++
		inv.ExpiresAt = now.Add(InvitationTTL)
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE invitations SET token_hash = ?, sends = ?, expires_at = ? WHERE id = ?`),
			tokenHash(token), inv.Sends, inv.ExpiresAt, id); err != nil {
			return err
		}
		return send(ctx, tx, inv, token, fmt.Sprintf("%s:%d", id, inv.Sends))
	})
}

// RevokeInvitation cancels a pending invitation: its link stops working.
func (s *Store) RevokeInvitation(ctx context.Context, partnerID, customerID, id string) error {
	return s.inTx(ctx, "revoke invitation", func(tx *sqlx.Tx) error {
		if _, err := s.pendingInvitation(ctx, tx, partnerID, customerID, id, s.timestamp()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE invitations SET revoked_at = ? WHERE id = ?`), s.timestamp(), id)
		return err
	})
}

// pendingInvitation reads a pending invitation of the partner's admins or
// of customerID; ErrNotFound otherwise.
func (s *Store) pendingInvitation(ctx context.Context, q sqlx.QueryerContext, partnerID, customerID, id string, now time.Time) (Invitation, error) {
	var inv Invitation
	err := sqlx.GetContext(ctx, q, &inv, s.db.Rebind(`SELECT `+invitationColumns+` FROM invitations WHERE partner_id = ? AND id = ?
		AND COALESCE(customer_id, '') = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?`), partnerID, id, customerID, now)
	if errors.Is(err, sql.ErrNoRows) {
		return Invitation{}, ErrNotFound
	}
	return inv, err
}

// InvitationByToken returns the invitation of a link, or a ValidationError
// saying why the link no longer works.
func (s *Store) InvitationByToken(ctx context.Context, partnerID, token string) (Invitation, error) {
	return s.invitationByToken(ctx, s.db, partnerID, token)
}

func (s *Store) invitationByToken(ctx context.Context, q sqlx.QueryerContext, partnerID, token string) (Invitation, error) {
	var row struct {
		Invitation
		RevokedAt sql.NullTime `db:"revoked_at"`
	}
	err := sqlx.GetContext(ctx, q, &row, s.db.Rebind(`SELECT `+invitationColumns+`, revoked_at FROM invitations
		WHERE partner_id = ? AND token_hash = ?`), partnerID, tokenHash(token))
	switch {
	case errors.Is(err, sql.ErrNoRows) || token == "":
		return Invitation{}, invalid("token", MsgInvitationInvalid)
	case err != nil:
		return Invitation{}, fmt.Errorf("tenants: invitation: %w", err)
	case row.AcceptedAt.Valid:
		return Invitation{}, invalid("token", MsgInvitationUsed)
	case row.RevokedAt.Valid:
		return Invitation{}, invalid("token", MsgInvitationInvalid)
	case !row.ExpiresAt.After(s.timestamp()):
		return Invitation{}, invalid("token", MsgInvitationExpired)
	}
	return row.Invitation, nil
}

// AcceptInvitation creates the invitee's user, with the invitation's role
// and the password they chose, and uses the link up, in one transaction.
func (s *Store) AcceptInvitation(ctx context.Context, partnerID, token, name, password string) (User, error) {
	inv, err := s.InvitationByToken(ctx, partnerID, token)
	if err != nil {
		return User{}, err
	}
	uc := UserCreate{PartnerID: partnerID, CustomerID: inv.CustomerID, Email: inv.Email, Name: name, Password: password,
		Role: RolePartnerAdmin, Member: inv.Member, Language: inv.Language}
	if inv.CustomerID != "" {
		uc.Role = RoleCustomer
	}
	nu, err := s.newUser(ctx, uc)
	if err != nil {
		return User{}, err
	}
	err = s.inTx(ctx, "accept invitation", func(tx *sqlx.Tx) error { return s.acceptTx(ctx, tx, inv, token, nu) })
	if err != nil {
		return User{}, err
	}
	return nu.User, nil
}

// acceptTx uses up the invitation of token, still live, and creates its
// user nu, inside tx.
func (s *Store) acceptTx(ctx context.Context, tx *sqlx.Tx, inv Invitation, token string, nu pendingUser) error {
	if _, err := s.invitationByToken(ctx, tx, inv.PartnerID, token); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE invitations SET accepted_at = ? WHERE id = ? AND accepted_at IS NULL`), s.timestamp(), inv.ID)
	if n, _ := res.RowsAffected(); err == nil && n != 1 {
		return invalid("token", MsgInvitationUsed)
	}
	if err != nil {
		return err
	}
	return insertUser(ctx, tx, nu)
}

// newLinkToken is a link's secret: 32 random bytes, base64url.
func newLinkToken() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}
