package tenants

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// CreateCustomerWithUser stores a new customer and its first user in one
// transaction: either both exist afterwards or neither does. The user's
// PartnerID and CustomerID are filled in.
func (s *Store) CreateCustomerWithUser(ctx context.Context, partnerID string, cc CustomerCreate, uc UserCreate) (Customer, error) {
	uc.PartnerID, uc.Role = partnerID, RoleCustomer
	nu, err := s.newUser(ctx, uc)
	if err != nil {
		return Customer{}, err
	}
	var c Customer
	err = s.inTx(ctx, "create customer", func(tx *sqlx.Tx) error {
		var err error
		if c, err = s.createCustomer(ctx, tx, partnerID, cc); err != nil {
			return err
		}
		nu.CustomerID = c.ID
		return insertUser(ctx, tx, nu)
	})
	return c, s.afterTenantChange(ctx, err)
}

// PartnerSeed is everything a new partner starts with: the partner, its
// logo, its first admin, and optionally a first customer and that
// customer's user.
type PartnerSeed struct {
	Partner      PartnerCreate
	Logo         []byte
	LogoType     string
	Admin        UserCreate
	Customer     CustomerCreate
	CustomerUser UserCreate
}

// SeedPartner stores a partner with its logo, admin, customer and customer
// user in one transaction, so that a failure leaves nothing half-made. The
// logo and the customer are optional (a nil Logo, an empty Customer.Name).
func (s *Store) SeedPartner(ctx context.Context, ps PartnerSeed) (Partner, error) {
	ps.Admin.Role = RolePartnerAdmin
	admin, err := s.newUser(ctx, ps.Admin)
	if err != nil {
		return Partner{}, err
	}
	var custUser pendingUser
	withCustomer := ps.Customer.Name != ""
	if withCustomer {
		ps.CustomerUser.Role = RoleCustomer
		if custUser, err = s.newUser(ctx, ps.CustomerUser); err != nil {
			return Partner{}, err
		}
	}
	var p Partner
	err = s.inTx(ctx, "seed partner", func(tx *sqlx.Tx) error {
		var err error
		if p, err = s.createPartner(ctx, tx, ps.Partner); err != nil {
			return err
		}
		if ps.Logo != nil {
			if err := s.setLogo(ctx, tx, p.ID, ps.Logo, ps.LogoType); err != nil {
				return err
			}
			p.Brand.HasLogo = true
		}
		admin.PartnerID = p.ID
		if err := insertUser(ctx, tx, admin); err != nil {
			return err
		}
		if !withCustomer {
			return nil
		}
		c, err := s.createCustomer(ctx, tx, p.ID, ps.Customer)
		if err != nil {
			return err
		}
		custUser.PartnerID, custUser.CustomerID = p.ID, c.ID
		return insertUser(ctx, tx, custUser)
	})
	return p, s.afterTenantChange(ctx, err)
}
