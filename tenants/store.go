package tenants

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// Message ids the store returns in ValidationError.MessageID and
// DuplicateError.MessageID, translated by the web layer.
const (
	MsgSlugInvalid           = "partner.slug.invalid"
	MsgHostnameInvalid       = "partner.hostname.invalid"
	MsgPlatformTokenRequired = "partner.platform_token.required"
	MsgZoneInvalid           = "zone.invalid"
	MsgCustomerNameRequired  = "customer.name.required"
	MsgCustomerNameTooLong   = "customer.name.too_long"
	MsgOrganisationRequired  = "customer.organisation.required"
	MsgEmailInvalid          = "user.email.invalid"
	MsgUserNameTooLong       = "user.name.too_long"
	MsgPasswordTooShort      = "user.password.too_short"
	MsgPasswordTooLong       = "user.password.too_long"
	MsgRoleInvalid           = "user.role.invalid"
	MsgUserCustomerRequired  = "user.customer.required"
	MsgUserCustomerForbidden = "user.customer.forbidden"
	MsgLanguageInvalid       = "user.language.invalid"
	MsgLogoEmpty             = "logo.empty"
	MsgLogoTooLarge          = "logo.too_large"
	MsgLogoTypeInvalid       = "logo.type.invalid"
	MsgLogoUnsafe            = "logo.svg.unsafe"
	MsgLogoUndecodable       = "logo.raster.invalid"
	MsgLogoTooManyPixels     = "logo.raster.too_big"
	MsgOperationKeyInvalid   = "operation.key.invalid"
	MsgOperationKindInvalid  = "operation.kind.invalid"
	MsgOperationConflict     = "operation.status.conflict"
	MsgSlugTaken             = "partner.slug.taken"
	MsgHostnameTaken         = "partner.hostname.taken"
	MsgOrganisationTaken     = "customer.organisation.taken"
	MsgEmailTaken            = "user.email.taken"
	MsgOperationKeyReused    = "operation.key.reused"
)

// Store reads and writes the tenancy tables. Every method takes a context
// and scopes its queries by partner. It is safe for concurrent use.
type Store struct {
	db     *sqlx.DB
	sealer *Sealer
	// now returns the current time; tests replace it to move the clock.
	now func() time.Time
	// throttle is the sign-in throttle's policy.
	throttle ThrottlePolicy
	// partners and customers cache the tenants looked up by each request.
	partners  lookupCache[Partner]
	customers lookupCache[Customer]
	// credentials caches the partners' opened platform credentials.
	credentials lookupCache[string]
	// sessions caches the console sessions and their users.
	sessions lookupCache[sessionEntry]
	// bus tells the other instances about changes; nil for one instance.
	bus Broadcaster
}

// NewStore returns a Store on db (migrated with migrations.Up) that seals
// partners' platform credentials with sealer.
func NewStore(db *sqlx.DB, sealer *Sealer) *Store {
	return &Store{db: db, sealer: sealer, now: time.Now, throttle: DefaultThrottle}
}

// Sealer returns the sealer of the store's secrets, for the other secrets
// the portal keeps at rest (its TLS keys).
func (s *Store) Sealer() *Sealer { return s.sealer }

// timestamp returns the current time in UTC, at the microsecond precision
// PostgreSQL keeps, so that a value read back equals the one written.
func (s *Store) timestamp() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// newID returns a new random id with a type prefix ("ptn", "cus", …).
func newID(prefix string) string {
	return prefix + "_" + uuid.NewString()
}

// utc returns t in UTC; times read back from SQLite may carry another
// location.
func utc(t time.Time) time.Time {
	return t.UTC()
}

// inTx runs fn in one transaction, committed when fn returns nil and rolled
// back otherwise.
func (s *Store) inTx(ctx context.Context, what string, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("tenants: %s: %w", what, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("tenants: %s: %w", what, err)
	}
	return nil
}
