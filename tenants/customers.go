package tenants

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/grisaille/grisaille/migrations"
	"github.com/jmoiron/sqlx"
)

// MaxCustomerNameLength is the longest customer name accepted, in characters.
const MaxCustomerNameLength = 100

// CustomerCreate holds what a partner admin gives to create a customer.
type CustomerCreate struct {
	// Name is the customer's display name, 1–100 characters.
	Name string
	// OrganisationID is the customer's platform organisation, unique per
	// partner.
	OrganisationID string
	// AllowedZones are the zones the customer may use; they must be among
	// the partner's allowed zones. An empty set allows no zone.
	AllowedZones []string
}

// customerRow is a customers row.
type customerRow struct {
	ID             string       `db:"id"`
	PartnerID      string       `db:"partner_id"`
	Name           string       `db:"name"`
	OrganisationID string       `db:"organisation_id"`
	CreatedAt      time.Time    `db:"created_at"`
	SuspendedAt    sql.NullTime `db:"suspended_at"`
}

// customer converts the row, without zones.
func (r customerRow) customer() Customer {
	return Customer{
		ID:             r.ID,
		PartnerID:      r.PartnerID,
		Name:           r.Name,
		OrganisationID: r.OrganisationID,
		AllowedZones:   []string{},
		CreatedAt:      utc(r.CreatedAt),
		Suspended:      r.SuspendedAt.Valid,
	}
}

// customerColumns lists the columns of customerRow.
const customerColumns = `id, partner_id, name, organisation_id, created_at, suspended_at`

// CreateCustomer validates and stores a new customer of a partner. Zones
// outside the partner's allowed zones return ErrZoneNotAllowed; a taken
// organisation returns a DuplicateError.
func (s *Store) CreateCustomer(ctx context.Context, partnerID string, cc CustomerCreate) (Customer, error) {
	var out Customer
	err := s.inTx(ctx, "create customer", func(tx *sqlx.Tx) error {
		var err error
		out, err = s.createCustomer(ctx, tx, partnerID, cc)
		return err
	})
	return out, s.afterTenantChange(ctx, err)
}

// createCustomer is CreateCustomer inside the caller's transaction.
func (s *Store) createCustomer(ctx context.Context, tx *sqlx.Tx, partnerID string, cc CustomerCreate) (Customer, error) {
	name := strings.TrimSpace(cc.Name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return Customer{}, invalid("name", MsgCustomerNameRequired)
	case n > MaxCustomerNameLength:
		return Customer{}, invalid("name", MsgCustomerNameTooLong)
	}
	org := strings.TrimSpace(cc.OrganisationID)
	if org == "" || len(org) > 200 {
		return Customer{}, invalid("organisation_id", MsgOrganisationRequired)
	}
	zones, err := normalizeZones(cc.AllowedZones)
	if err != nil {
		return Customer{}, err
	}
	c := Customer{ID: newID("cus"), PartnerID: partnerID, Name: name, OrganisationID: org, AllowedZones: zones, CreatedAt: s.timestamp()}

	if err := checkPartnerZones(ctx, tx, partnerID, zones); err != nil {
		return Customer{}, err
	}
	var n int
	if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM customers WHERE partner_id = ? AND organisation_id = ?`),
		partnerID, org); err != nil {
		return Customer{}, fmt.Errorf("tenants: create customer: %w", err)
	}
	if n > 0 {
		return Customer{}, duplicate("organisation_id", MsgOrganisationTaken)
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO customers (id, partner_id, name, organisation_id, created_at) VALUES (?, ?, ?, ?, ?)`),
		c.ID, c.PartnerID, c.Name, c.OrganisationID, c.CreatedAt)
	if migrations.IsUniqueViolation(err) {
		return Customer{}, duplicate("organisation_id", MsgOrganisationTaken)
	}
	if err != nil {
		return Customer{}, fmt.Errorf("tenants: create customer: %w", err)
	}
	if err := insertCustomerZones(ctx, tx, partnerID, c.ID, zones); err != nil {
		return Customer{}, err
	}
	return c, nil
}

// checkPartnerZones returns ErrNotFound for an unknown partner and
// ErrZoneNotAllowed when a zone is outside the partner's allowed zones.
func checkPartnerZones(ctx context.Context, tx *sqlx.Tx, partnerID string, zones []string) error {
	if err := partnerExists(ctx, tx, partnerID); err != nil {
		return err
	}
	var allowed []string
	if err := tx.SelectContext(ctx, &allowed, tx.Rebind(`SELECT zone FROM partner_zones WHERE partner_id = ?`), partnerID); err != nil {
		return fmt.Errorf("tenants: partner zones: %w", err)
	}
	for _, z := range zones {
		if !slices.Contains(allowed, z) {
			return fmt.Errorf("%w: %q", ErrZoneNotAllowed, z)
		}
	}
	return nil
}

// insertCustomerZones adds zones to a customer.
func insertCustomerZones(ctx context.Context, tx *sqlx.Tx, partnerID, customerID string, zones []string) error {
	for _, z := range zones {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO customer_zones (customer_id, partner_id, zone) VALUES (?, ?, ?)`),
			customerID, partnerID, z); err != nil {
			return fmt.Errorf("tenants: customer zones: %w", err)
		}
	}
	return nil
}

// Customer returns a partner's customer; another partner's customer id
// returns ErrNotFound.
func (s *Store) Customer(ctx context.Context, partnerID, id string) (Customer, error) {
	return s.cachedCustomerWhere(ctx, partnerID, "id:"+id, `id = ?`, id)
}

// CustomerByOrganisation returns the partner's customer bound to a platform
// organisation, or ErrNotFound.
func (s *Store) CustomerByOrganisation(ctx context.Context, partnerID, orgID string) (Customer, error) {
	return s.cachedCustomerWhere(ctx, partnerID, "org:"+orgID, `organisation_id = ?`, orgID)
}

// customerWhere loads the partner's one customer matching a condition.
func (s *Store) customerWhere(ctx context.Context, partnerID, cond string, arg any) (Customer, error) {
	var row customerRow
	err := s.db.GetContext(ctx, &row, s.db.Rebind(`SELECT `+customerColumns+` FROM customers
		WHERE partner_id = ? AND `+cond), partnerID, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return Customer{}, ErrNotFound
	}
	if err != nil {
		return Customer{}, fmt.Errorf("tenants: customer: %w", err)
	}
	c := row.customer()
	if err := s.db.SelectContext(ctx, &c.AllowedZones, s.db.Rebind(`SELECT zone FROM customer_zones
		WHERE partner_id = ? AND customer_id = ? ORDER BY zone`), partnerID, c.ID); err != nil {
		return Customer{}, fmt.Errorf("tenants: customer zones: %w", err)
	}
	return c, nil
}

// Customers returns a partner's customers ordered by name, with their zones.
func (s *Store) Customers(ctx context.Context, partnerID string) ([]Customer, error) {
	var rows []customerRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+customerColumns+` FROM customers
		WHERE partner_id = ? ORDER BY name, id`), partnerID); err != nil {
		return nil, fmt.Errorf("tenants: customers: %w", err)
	}
	var pairs []struct {
		CustomerID string `db:"customer_id"`
		Zone       string `db:"zone"`
	}
	if err := s.db.SelectContext(ctx, &pairs, s.db.Rebind(`SELECT customer_id, zone FROM customer_zones
		WHERE partner_id = ? ORDER BY zone`), partnerID); err != nil {
		return nil, fmt.Errorf("tenants: customers zones: %w", err)
	}
	zones := map[string][]string{}
	for _, p := range pairs {
		zones[p.CustomerID] = append(zones[p.CustomerID], p.Zone)
	}
	out := make([]Customer, 0, len(rows))
	for _, r := range rows {
		c := r.customer()
		c.AllowedZones = append(c.AllowedZones, zones[c.ID]...)
		out = append(out, c)
	}
	return out, nil
}

// SetCustomerZones replaces the zones a partner's customer may use; they
// must be among the partner's allowed zones, else ErrZoneNotAllowed.
func (s *Store) SetCustomerZones(ctx context.Context, partnerID, customerID string, zones []string) error {
	zones, err := normalizeZones(zones)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("tenants: set customer zones: %w", err)
	}
	defer tx.Rollback()
	if err := customerExists(ctx, tx, partnerID, customerID); err != nil {
		return err
	}
	if err := checkPartnerZones(ctx, tx, partnerID, zones); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM customer_zones WHERE partner_id = ? AND customer_id = ?`),
		partnerID, customerID); err != nil {
		return fmt.Errorf("tenants: set customer zones: %w", err)
	}
	if err := insertCustomerZones(ctx, tx, partnerID, customerID, zones); err != nil {
		return err
	}
	return s.afterTenantChange(ctx, tx.Commit())
}

// customerExists returns ErrNotFound unless the customer belongs to the
// partner.
func customerExists(ctx context.Context, q queryer, partnerID, customerID string) error {
	var n int
	if err := sqlx.GetContext(ctx, q, &n, q.Rebind(`SELECT COUNT(*) FROM customers WHERE partner_id = ? AND id = ?`),
		partnerID, customerID); err != nil {
		return fmt.Errorf("tenants: customer: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
