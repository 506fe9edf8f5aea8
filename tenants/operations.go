package tenants

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Operation statuses.
const (
	// OperationPending marks an intent recorded before calling the platform.
	OperationPending = "pending"
	// OperationDone marks an operation whose platform call succeeded.
	OperationDone = "done"
	// OperationFailed marks an operation whose platform call failed; the
	// same key may be begun again.
	OperationFailed = "failed"
)

// MaxOperationKeyLength bounds idempotency keys and kinds, in bytes.
const MaxOperationKeyLength = 200

// Operation is the recorded intent of a write that spans the portal and the
// platform (creating an application, an add-on, an invoice), keyed by an
// idempotency key unique per customer, so that a retry or a crash never
// does the write twice.
type Operation struct {
	// ID is the portal's id of the operation ("op_…").
	ID string `db:"id"`
	// PartnerID is the partner of the customer.
	PartnerID string `db:"partner_id"`
	// CustomerID is the customer the write is for.
	CustomerID string `db:"customer_id"`
	// Key is the idempotency key, unique per customer.
	Key string `db:"idempotency_key"`
	// Kind names the write ("application.create", …).
	Kind string `db:"kind"`
	// Status is OperationPending, OperationDone or OperationFailed.
	Status string `db:"status"`
	// ResourceID is the id of what the write created, once done.
	ResourceID string `db:"resource_id"`
	// CreatedAt is when the intent was first recorded, in UTC.
	CreatedAt time.Time `db:"created_at"`
	// UpdatedAt is when the status last changed, in UTC.
	UpdatedAt time.Time `db:"updated_at"`
}

// operationColumns lists the columns of Operation.
const operationColumns = `id, partner_id, customer_id, idempotency_key, kind, status, resource_id, created_at, updated_at`

// BeginOperation records the intent of a write for a partner's customer
// under an idempotency key. When the key is new it returns the new pending
// operation and created=true; the caller then calls the platform and ends
// with CompleteOperation or FailOperation. When the key was used before it
// returns the existing operation and created=false (pending: another
// attempt is in flight or crashed; done: ResourceID holds the result) —
// except a failed operation, which is reset to pending and returned with
// created=true. Concurrent calls with one key create one row: the unique
// constraint decides. A key used for another kind returns a DuplicateError.
func (s *Store) BeginOperation(ctx context.Context, partnerID, customerID, key, kind string) (Operation, bool, error) {
	if key == "" || len(key) > MaxOperationKeyLength {
		return Operation{}, false, invalid("key", MsgOperationKeyInvalid)
	}
	if kind == "" || len(kind) > MaxOperationKeyLength {
		return Operation{}, false, invalid("kind", MsgOperationKindInvalid)
	}
	now := s.timestamp()
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Operation{}, false, fmt.Errorf("tenants: begin operation: %w", err)
	}
	defer tx.Rollback()
	if err := customerExists(ctx, tx, partnerID, customerID); err != nil {
		return Operation{}, false, err
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO operations (`+operationColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, '', ?, ?) ON CONFLICT (customer_id, idempotency_key) DO NOTHING`),
		newID("op"), partnerID, customerID, key, kind, OperationPending, now, now)
	if err != nil {
		return Operation{}, false, fmt.Errorf("tenants: begin operation: %w", err)
	}
	inserted, err := res.RowsAffected()
	if err != nil {
		return Operation{}, false, fmt.Errorf("tenants: begin operation: %w", err)
	}
	var op Operation
	if err := tx.GetContext(ctx, &op, tx.Rebind(`SELECT `+operationColumns+` FROM operations
		WHERE partner_id = ? AND customer_id = ? AND idempotency_key = ?`), partnerID, customerID, key); err != nil {
		return Operation{}, false, fmt.Errorf("tenants: begin operation: %w", err)
	}
	if op.Kind != kind {
		return Operation{}, false, duplicate("key", MsgOperationKeyReused)
	}
	created := inserted == 1
	if !created && op.Status == OperationFailed {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE operations SET status = ?, updated_at = ?
			WHERE partner_id = ? AND id = ? AND status = ?`), OperationPending, now, partnerID, op.ID, OperationFailed)
		if err != nil {
			return Operation{}, false, fmt.Errorf("tenants: retry operation: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 1 {
			created = true
			op.Status, op.UpdatedAt = OperationPending, now
		}
	}
	if err := tx.Commit(); err != nil {
		return Operation{}, false, fmt.Errorf("tenants: begin operation: %w", err)
	}
	op.CreatedAt, op.UpdatedAt = utc(op.CreatedAt), utc(op.UpdatedAt)
	return op, created, nil
}

// Operation returns a partner's operation by id.
func (s *Store) Operation(ctx context.Context, partnerID, opID string) (Operation, error) {
	var op Operation
	err := s.db.GetContext(ctx, &op, s.db.Rebind(`SELECT `+operationColumns+` FROM operations
		WHERE partner_id = ? AND id = ?`), partnerID, opID)
	if errors.Is(err, sql.ErrNoRows) {
		return Operation{}, ErrNotFound
	}
	if err != nil {
		return Operation{}, fmt.Errorf("tenants: operation: %w", err)
	}
	op.CreatedAt, op.UpdatedAt = utc(op.CreatedAt), utc(op.UpdatedAt)
	return op, nil
}

// CompleteOperation marks a pending operation done with the id of what it
// created. Completing a done operation again with the same resource is a
// no-op; completing a failed one, or a done one with another resource,
// returns a ValidationError (MsgOperationConflict).
func (s *Store) CompleteOperation(ctx context.Context, partnerID, opID, resourceID string) error {
	return s.endOperation(ctx, partnerID, opID, OperationDone, resourceID)
}

// FailOperation marks a pending operation failed, so that its key may be
// begun again. Failing a failed operation is a no-op; failing a done one
// returns a ValidationError (MsgOperationConflict).
func (s *Store) FailOperation(ctx context.Context, partnerID, opID string) error {
	return s.endOperation(ctx, partnerID, opID, OperationFailed, "")
}

// endOperation moves a pending operation to a final status.
func (s *Store) endOperation(ctx context.Context, partnerID, opID, status, resourceID string) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE operations SET status = ?, resource_id = ?, updated_at = ?
		WHERE partner_id = ? AND id = ? AND status = ?`), status, resourceID, s.timestamp(), partnerID, opID, OperationPending)
	if err != nil {
		return fmt.Errorf("tenants: end operation: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("tenants: end operation: %w", err)
	} else if n == 1 {
		return nil
	}
	op, err := s.Operation(ctx, partnerID, opID)
	if err != nil {
		return err
	}
	if op.Status == status && op.ResourceID == resourceID {
		return nil
	}
	return invalid("status", MsgOperationConflict)
}
