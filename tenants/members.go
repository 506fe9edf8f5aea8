package tenants

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// MemberRole is what a customer's user may do in its organisation. The web
// layer maps each to the operations its sessions' Biscuits carry.
type MemberRole string

// The customers' member roles.
const (
	// MemberOwner does everything, members and invoices included.
	MemberOwner MemberRole = "owner"
	// MemberDeveloper runs applications and add-ons; no invoices, no members.
	MemberDeveloper MemberRole = "developer"
	// MemberViewer reads applications, add-ons and prices; changes nothing.
	MemberViewer MemberRole = "viewer"
	// MemberBilling reads prices and invoices only.
	MemberBilling MemberRole = "billing"
)

// The partner's staff roles, held by partner admins' users.
const (
	// StaffAdmin runs the partner: brand, customers, prices, Stripe, tokens.
	StaffAdmin MemberRole = "admin"
	// StaffSupport reads the customers and their usage and invoices; it
	// changes nothing and sees no brand, grids, Stripe or tokens.
	StaffSupport MemberRole = "support"
)

// StaffRoles lists the partner's staff roles.
func StaffRoles() []MemberRole { return []MemberRole{StaffAdmin, StaffSupport} }

// ValidStaff reports whether r is a staff role ("" is an admin's).
func (r MemberRole) ValidStaff() bool { return r == "" || r == StaffAdmin || r == StaffSupport }

// MemberRoles lists the member roles, the most powerful first.
func MemberRoles() []MemberRole {
	return []MemberRole{MemberOwner, MemberDeveloper, MemberViewer, MemberBilling}
}

// Valid reports whether r is one of MemberRoles.
func (r MemberRole) Valid() bool {
	switch r {
	case MemberOwner, MemberDeveloper, MemberViewer, MemberBilling:
		return true
	}
	return false
}

// Message ids of member role refusals.
const (
	MsgMemberRoleInvalid = "member.role.invalid"
	MsgLastOwner         = "member.last_owner"
)

// SetMemberRole changes the role of a customer's user. The customer keeps
// at least one owner: demoting the last one is refused. It returns the
// user as changed; the caller re-issues the user's sessions' rights.
func (s *Store) SetMemberRole(ctx context.Context, partnerID, customerID, userID string, role MemberRole) (User, error) {
	if !role.Valid() {
		return User{}, invalid("member", MsgMemberRoleInvalid)
	}
	err := s.inTx(ctx, "set member role", func(tx *sqlx.Tx) error {
		var current string
		if err := tx.GetContext(ctx, &current, tx.Rebind(`SELECT member_role FROM users WHERE partner_id = ? AND customer_id = ?
			AND id = ? AND role = ?`), partnerID, customerID, userID, string(RoleCustomer)); err != nil {
			return notFoundOr(err, "set member role")
		}
		if MemberRole(current) == MemberOwner && role != MemberOwner {
			if err := keepsAnOwner(ctx, tx, partnerID, customerID, userID, "member"); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET member_role = ? WHERE partner_id = ? AND id = ?`),
			string(role), partnerID, userID)
		return err
	})
	if err := s.afterSessionChange(ctx, err); err != nil {
		return User{}, err
	}
	return s.User(ctx, partnerID, userID)
}

// keepsAnOwner refuses, as a ValidationError on field, a change that would
// leave the customer without an owner once userID is no longer one.
func keepsAnOwner(ctx context.Context, tx *sqlx.Tx, partnerID, customerID, userID, field string) error {
	var owners int
	if err := tx.GetContext(ctx, &owners, tx.Rebind(`SELECT COUNT(*) FROM users WHERE partner_id = ? AND customer_id = ?
		AND member_role = ? AND id <> ?`), partnerID, customerID, string(MemberOwner), userID); err != nil {
		return err
	}
	if owners == 0 {
		return invalid(field, MsgLastOwner)
	}
	return nil
}

// notFoundOr reads sql.ErrNoRows as ErrNotFound.
func notFoundOr(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return fmt.Errorf("tenants: %s: %w", what, err)
}

// MsgRemoveSelf refuses a member removing themselves.
const MsgRemoveSelf = "member.remove_self"

// RemoveMember deletes a customer's user: their sessions end with them
// (the caller revokes their tokens). The customer keeps at least one owner,
// and nobody removes themselves here.
func (s *Store) RemoveMember(ctx context.Context, partnerID, customerID, userID, by string) error {
	if userID == by {
		return invalid("user", MsgRemoveSelf)
	}
	err := s.inTx(ctx, "remove member", func(tx *sqlx.Tx) error {
		var role string
		if err := tx.GetContext(ctx, &role, tx.Rebind(`SELECT member_role FROM users WHERE partner_id = ? AND customer_id = ?
			AND id = ? AND role = ?`), partnerID, customerID, userID, string(RoleCustomer)); err != nil {
			return notFoundOr(err, "remove member")
		}
		if MemberRole(role) == MemberOwner {
			if err := keepsAnOwner(ctx, tx, partnerID, customerID, userID, "user"); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM users WHERE partner_id = ? AND id = ?`), partnerID, userID)
		return err
	})
	return s.afterSessionChange(ctx, err)
}
