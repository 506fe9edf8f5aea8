package tenants

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// Message ids of a customer's life.
const (
	MsgCustomerNameInvalid = "customer.error.name"
	MsgCustomerSuspended   = "auth.customer_suspended"
)

// ErrCustomerSuspended refuses a sign-in or a token of a suspended
// customer.
var ErrCustomerSuspended = errors.New("tenants: the customer is suspended")

// RenameCustomer changes a customer's display name (1–100 characters).
func (s *Store) RenameCustomer(ctx context.Context, partnerID, id, name string) error {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return invalid("name", MsgCustomerNameInvalid)
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE customers SET name = ? WHERE partner_id = ? AND id = ?`), name, partnerID, id)
	return s.afterTenantChange(ctx, affectedOne(res, err, "rename customer"))
}

// SuspendCustomer suspends a customer: its users' sessions end, and they
// cannot sign in again until ResumeCustomer; its applications are left as
// they are. It returns the ids of the sessions ended.
func (s *Store) SuspendCustomer(ctx context.Context, partnerID, id string) ([]string, error) {
	var ended []string
	err := s.inTx(ctx, "suspend customer", func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE customers SET suspended_at = ? WHERE partner_id = ? AND id = ?
			AND suspended_at IS NULL`), s.timestamp(), partnerID, id)
		if err := affectedOne(res, err, "suspend customer"); err != nil {
			return err
		}
		cond := `partner_id = ? AND user_id IN (SELECT id FROM users WHERE partner_id = ? AND customer_id = ?)`
		if err := tx.SelectContext(ctx, &ended, tx.Rebind(`SELECT id FROM sessions WHERE `+cond), partnerID, partnerID, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM sessions WHERE `+cond), partnerID, partnerID, id)
		return err
	})
	if err := s.afterTenantChange(ctx, err); err != nil {
		return nil, err
	}
	return ended, s.afterSessionChange(ctx, nil)
}

// ResumeCustomer lifts a customer's suspension.
func (s *Store) ResumeCustomer(ctx context.Context, partnerID, id string) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE customers SET suspended_at = NULL WHERE partner_id = ? AND id = ?
		AND suspended_at IS NOT NULL`), partnerID, id)
	return s.afterTenantChange(ctx, affectedOne(res, err, "resume customer"))
}

// DeleteCustomer deletes a customer and, with it, its users, sessions,
// invitations and zones. The platform's organisation is the caller's to
// delete first, and its tokens the caller's to revoke.
func (s *Store) DeleteCustomer(ctx context.Context, partnerID, id string) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM customers WHERE partner_id = ? AND id = ?`), partnerID, id)
	if err := affectedOne(res, err, "delete customer"); err != nil {
		return err
	}
	s.sessionsChanged(ctx)
	return s.afterTenantChange(ctx, nil)
}
