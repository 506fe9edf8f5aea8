// Package tenants owns the portal's tenancy: partners (resellers) with their
// brand, hostnames, allowed zones and platform credential; their customers;
// the users of both; console sessions; and the idempotency intents of writes
// that span the portal and the platform.
//
// Every query is scoped by partner: asking partner B's store methods for
// partner A's customer, user or session answers ErrNotFound, exactly as for
// an id that does not exist. The package also holds the one zone policy
// (AllowedZones), host normalisation, password hashing and the Sealer that
// encrypts secrets at rest.
package tenants

import (
	"context"
	"errors"
	"time"

	"github.com/grisaille/grisaille/themes"
)

// Role is what a user may do in the portal.
type Role string

const (
	// RolePartnerAdmin manages a partner: brand, customers, prices, users.
	RolePartnerAdmin Role = "partner_admin"
	// RoleCustomer uses the console on behalf of one customer.
	RoleCustomer Role = "customer"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RolePartnerAdmin || r == RoleCustomer
}

// Partner is a reseller of the platform. Its platform credential is not part
// of the struct: read it with Store.PlatformToken when calling the platform.
type Partner struct {
	// ID is the portal's id of the partner ("ptn_…").
	ID string
	// Slug is the partner's short name, [a-z0-9-]{2,40}, used by the CLI.
	Slug string
	// Brand is the partner's look; Brand.HasLogo tells whether a logo is stored.
	Brand themes.Brand
	// Hostnames are the hosts the partner's console answers on, sorted.
	Hostnames []string
	// AllowedZones are the platform zones the partner may sell, sorted.
	AllowedZones []string
	// PrimaryHost is the host its other hosts redirect to; empty for none.
	PrimaryHost string
	// AppDomain is the domain its customers' applications are named under
	// ("apps.acme.example"); empty for none, when they keep only the
	// platform's names, which the portal does not show.
	AppDomain string
	// CreatedAt is when the partner was created, in UTC.
	CreatedAt time.Time
	// SuspendedAt is when the operator suspended the partner (zero for an
	// active one), with the reason given: none of its hosts serve it then.
	SuspendedAt  time.Time
	SuspendedWhy string
}

// Customer is a partner's client, bound to one platform organisation.
type Customer struct {
	// ID is the portal's id of the customer ("cus_…").
	ID string
	// PartnerID is the partner the customer belongs to.
	PartnerID string
	// Name is the customer's display name.
	Name string
	// OrganisationID is the customer's platform organisation, unique per partner.
	OrganisationID string
	// AllowedZones are the zones the customer may use, a subset of the
	// partner's, sorted. An empty set allows no zone.
	AllowedZones []string
	// CreatedAt is when the customer was created, in UTC.
	CreatedAt time.Time
	// Suspended reports that the partner suspended the customer: its
	// users cannot sign in and its tokens are refused.
	Suspended bool
}

// User is a person who signs in to a partner's console.
type User struct {
	// ID is the portal's id of the user ("usr_…").
	ID string
	// PartnerID is the partner whose console the user signs in to.
	PartnerID string
	// CustomerID is the customer the user acts for, "" for partner admins.
	CustomerID string
	// Email is the user's sign-in address, lowercase, unique per partner.
	Email string
	// Name is the user's display name.
	Name string
	// Role is what the user may do.
	Role Role
	// Member is what a customer's user may do in its organisation; "" for
	// partner admins.
	Member MemberRole
	// Language is the user's chosen language, "" when none was chosen (the
	// partner's brand language then applies).
	Language string
	// CreatedAt is when the user was created, in UTC.
	CreatedAt time.Time
}

// Session is a signed-in console session. Its ID is the hex SHA-256 of the
// token the cookie carries; the token itself is never stored.
type Session struct {
	// ID is the hex SHA-256 of the session token.
	ID string
	// UserID is the signed-in user.
	UserID string
	// PartnerID is the partner whose console the session belongs to.
	PartnerID string
	// ExpiresAt is when the session stops being valid, in UTC.
	ExpiresAt time.Time
	// CreatedAt is when the user signed in, in UTC.
	CreatedAt time.Time
	// Biscuit is the token the session's console actions are authorized
	// with ("" until the portal sets it).
	Biscuit string
}

// Sentinel errors returned (wrapped) by the store; test them with errors.Is.
var (
	// ErrNotFound reports a missing record, or one of another partner.
	ErrNotFound = errors.New("tenants: not found")
	// ErrInvalidCredentials reports an unknown email or a wrong password.
	ErrInvalidCredentials = errors.New("tenants: invalid credentials")
	// ErrDuplicate reports a taken slug, hostname, email, organisation or
	// idempotency key.
	ErrDuplicate = errors.New("tenants: already exists")
	// ErrZoneNotAllowed reports a zone outside the partner's allowed zones.
	ErrZoneNotAllowed = errors.New("tenants: zone not allowed")
	// ErrInvalid reports invalid input. Every ValidationError and every
	// invalid brand (themes.Errors) matches it with errors.Is.
	ErrInvalid = errors.New("tenants: invalid input")
)

// ValidationError names an invalid input field and the i18n message id that
// explains the problem to the user. errors.Is(err, ErrInvalid) holds for it.
type ValidationError struct {
	// Field is the input at fault ("slug", "hostnames", "email", "logo"…).
	Field string
	// MessageID is the i18n message id describing the problem.
	MessageID string
}

// Error returns a developer-facing description; users see MessageID
// translated instead.
func (e *ValidationError) Error() string {
	return "tenants: invalid " + e.Field + ": " + e.MessageID
}

// Is makes every ValidationError match ErrInvalid.
func (e *ValidationError) Is(target error) bool {
	return target == ErrInvalid
}

// DuplicateError names an input whose value is already taken (a slug, a
// hostname, an email, an organisation, an idempotency key) and the i18n
// message id that tells the user. errors.Is(err, ErrDuplicate) holds for it.
type DuplicateError struct {
	// Field is the input whose value is taken.
	Field string
	// MessageID is the i18n message id describing the problem.
	MessageID string
}

// Error returns a developer-facing description.
func (e *DuplicateError) Error() string {
	return "tenants: " + e.Field + " already taken: " + e.MessageID
}

// Is makes every DuplicateError match ErrDuplicate.
func (e *DuplicateError) Is(target error) bool {
	return target == ErrDuplicate
}

// duplicate returns a *DuplicateError.
func duplicate(field, messageID string) error {
	return &DuplicateError{Field: field, MessageID: messageID}
}

// invalid returns a *ValidationError.
func invalid(field, messageID string) error {
	return &ValidationError{Field: field, MessageID: messageID}
}

// Message ids of the sentinel errors, as returned by MessageID.
const (
	MsgNotFound           = "tenants.not_found"
	MsgInvalidCredentials = "auth.invalid_credentials"
	MsgDuplicate          = "tenants.duplicate"
	MsgZoneNotAllowed     = "zone.not_allowed"
	MsgInvalid            = "tenants.invalid"
)

// MessageID returns the i18n message id a user should read for err: the
// ValidationError's or the first brand field error's own id, or the id of
// the sentinel error it wraps; a DuplicateError's own id likewise. It reports false for errors the package does
// not know (faults the user cannot act on).
func MessageID(err error) (string, bool) {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.MessageID, true
	}
	var de *DuplicateError
	if errors.As(err, &de) {
		return de.MessageID, true
	}
	var be themes.Errors
	if errors.As(err, &be) && len(be) > 0 {
		return be[0].MessageID, true
	}
	for _, m := range []struct {
		err error
		id  string
	}{
		{ErrNotFound, MsgNotFound},
		{ErrInvalidCredentials, MsgInvalidCredentials},
		{ErrDuplicate, MsgDuplicate},
		{ErrZoneNotAllowed, MsgZoneNotAllowed},
		{ErrInvalid, MsgInvalid},
	} {
		if errors.Is(err, m.err) {
			return m.id, true
		}
	}
	return "", false
}

// partnerKey, userKey and customerKey are the context keys of WithPartner,
// WithUser and WithCustomer.
type (
	partnerKey  struct{}
	userKey     struct{}
	customerKey struct{}
)

// WithPartner returns a context carrying the request's partner (tenant).
func WithPartner(ctx context.Context, p Partner) context.Context {
	return context.WithValue(ctx, partnerKey{}, p)
}

// PartnerFrom returns the request's partner set by WithPartner.
func PartnerFrom(ctx context.Context) (Partner, bool) {
	p, ok := ctx.Value(partnerKey{}).(Partner)
	return p, ok
}

// WithUser returns a context carrying the signed-in user.
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the signed-in user set by WithUser.
func UserFrom(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(userKey{}).(User)
	return u, ok
}

// WithCustomer returns a context carrying the customer a request acts on,
// once the server has resolved it (the signed-in user's, or the one that
// owns the organisation an API call names).
func WithCustomer(ctx context.Context, c Customer) context.Context {
	return context.WithValue(ctx, customerKey{}, c)
}

// CustomerFrom returns the customer set by WithCustomer.
func CustomerFrom(ctx context.Context) (Customer, bool) {
	c, ok := ctx.Value(customerKey{}).(Customer)
	return c, ok
}
